/* Ranking, awards, decision and publication of a campaign, and a proposal's own published result.
 * The public results themselves are served from memory by r_public_results.c. */
#include "db/decisions.h"
#include "db/panel.h"
#include "domain/ranking.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"
#include "db/accounts.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS 2000


/* ---- Computing the ranking from the database --------------------------------------------------- */

struct ranking {
	PGresult *criteria, *proposals, *reviews;
	struct sk_rank_criterion *crit;
	struct sk_rank_review *rev;
	int *scores;
	int64_t *pids, *panelists;
	size_t npanelists;
	struct sk_rank_input in;
	struct sk_rank_result by_method, by_other;
	char digest[65];
};

static void ranking_free(struct ranking *k)
{
	sk_rank_result_free(&k->by_method);
	sk_rank_result_free(&k->by_other);
	PQclear(k->criteria);
	PQclear(k->proposals);
	PQclear(k->reviews);
	free(k->crit);
	free(k->rev);
	free(k->scores);
	free(k->pids);
	free(k->panelists);
	memset(k, 0, sizeof *k);
}

static size_t find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? lo : n;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Loads campaign cid's criteria and submitted reviews and ranks them under method (and the other
 * method, for comparison). The inputs digest is the SHA-256 of the canonical inputs text.
 */
static enum sk_db_status ranking_compute(struct sk_dbconn *db, int64_t cid, const char *method, struct ranking *k)
{
	memset(k, 0, sizeof *k);
	enum sk_db_status st;
	if ((st = sk_db_rank_criteria(db, cid, &k->criteria)) != SK_DB_OK ||
	    ((st = sk_db_rank_proposals(db, cid, &k->proposals)) != SK_DB_OK && st != SK_DB_NOROWS) ||
	    ((st = sk_db_rank_reviews(db, cid, &k->reviews)) != SK_DB_OK && st != SK_DB_NOROWS))
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	size_t C = (size_t)PQntuples(k->criteria), P = (size_t)PQntuples(k->proposals), V = (size_t)PQntuples(k->reviews);
	if (C > SK_RANK_MAX_CRITERIA)
		return SK_DB_ERROR;
	k->crit = calloc(C + 1, sizeof *k->crit);
	k->rev = calloc(V + 1, sizeof *k->rev);
	k->scores = calloc(V * C + 1, sizeof *k->scores);
	k->pids = calloc(P + 1, sizeof *k->pids);
	k->panelists = calloc(V + 1, sizeof *k->panelists);
	if (!k->crit || !k->rev || !k->scores || !k->pids || !k->panelists)
		return SK_DB_ERROR;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char line[512];
	int n = snprintf(line, sizeof line, "sangkien-inputs-v1\nmethod=%s\n", method);
	crypto_hash_sha256_update(&h, (unsigned char *)line, (size_t)n);
	for (size_t c = 0; c < C; c++) {
		k->crit[c].weight = strtod(sk_db_str(k->criteria, (int)c, "weight"), NULL);
		k->crit[c].max = atoi(sk_db_str(k->criteria, (int)c, "max_score"));
		n = snprintf(line, sizeof line, "criterion=%s|%.3f|%d\n", sk_db_str(k->criteria, (int)c, "id"),
			     k->crit[c].weight, k->crit[c].max);
		crypto_hash_sha256_update(&h, (unsigned char *)line, (size_t)n);
	}
	for (size_t i = 0; i < P; i++)
		k->pids[i] = sk_db_i64(k->proposals, (int)i, "id");
	/* Panelist indexes: the distinct panelist ids, sorted. */
	for (size_t v = 0; v < V; v++)
		k->panelists[v] = sk_db_i64(k->reviews, (int)v, "panelist_id");
	qsort(k->panelists, V, sizeof *k->panelists, cmp_i64);
	size_t N = 0;
	for (size_t v = 0; v < V; v++)
		if (N == 0 || k->panelists[N - 1] != k->panelists[v])
			k->panelists[N++] = k->panelists[v];
	k->npanelists = N;
	for (size_t v = 0; v < V; v++) {
		int64_t pid = sk_db_i64(k->reviews, (int)v, "proposal_id"), pan = sk_db_i64(k->reviews, (int)v, "panelist_id");
		const char *s = sk_db_str(k->reviews, (int)v, "scores");
		int *out = &k->scores[v * C];
		for (size_t c = 0; c < C; c++) {
			out[c] = (int)strtol(s, (char **)&s, 10);
			if (*s == ',')
				s++;
		}
		k->rev[v] = (struct sk_rank_review){ find_id(k->pids, P, pid), find_id(k->panelists, N, pan), out };
		n = snprintf(line, sizeof line, "review=%lld|%lld|%s\n", (long long)pid, (long long)pan,
			     sk_db_str(k->reviews, (int)v, "scores"));
		crypto_hash_sha256_update(&h, (unsigned char *)line, (size_t)n);
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(k->digest, sizeof k->digest, digest, sizeof digest);
	bool raw = !strcmp(method, "raw");
	k->in = (struct sk_rank_input){ C, P, N, V, k->crit, k->rev, k->pids, raw ? SK_RANK_RAW : SK_RANK_NORMALISED };
	struct sk_rank_input other = k->in;
	other.method = raw ? SK_RANK_NORMALISED : SK_RANK_RAW;
	/* Both methods share one scratch workspace (docs/ranking.md, section 16). */
	struct sk_rank_workspace *ws = sk_rank_workspace_new();
	bool ok = ws && sk_rank_with(&k->in, ws, &k->by_method) && sk_rank_with(&other, ws, &k->by_other);
	sk_rank_workspace_free(ws);
	return ok ? SK_DB_OK : SK_DB_ERROR;
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(round(v * 1000) / 1000);
}

/* Award slots in order: "Giải Nhất", "Giải Nhì", "Giải Nhì", ... */
static size_t award_slots(PGresult *awards, const char **slots, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < PQntuples(awards); i++)
		for (int j = 0; j < atoi(sk_db_str(awards, i, "count")) && n < max; j++)
			slots[n++] = sk_db_str(awards, i, "name");
	return n;
}

/*
 * The ranking as JSON: entries in order with both methods, breakdown, interval, ties, the default
 * award of each, and (when chosen is given: proposal id -> award) the decided award and reasons.
 */
static json_t *ranking_json(struct ranking *k, PGresult *awards, json_t *chosen, json_t *reasons, bool *tie_warning)
{
	const char *slots[MAX_SLOTS];
	size_t nslots = award_slots(awards, slots, MAX_SLOTS);
	size_t P = k->by_method.n;
	size_t *other_rank = calloc(k->in.nproposals + 1, sizeof *other_rank);
	for (size_t i = 0; i < k->by_other.n; i++)
		other_rank[k->by_other.entries[i].proposal] = k->by_other.entries[i].rank;
	json_t *list = json_array();
	*tie_warning = nslots > 0 && nslots < P && k->by_method.entries[nslots - 1].tied_with_next;
	for (size_t i = 0; i < P; i++) {
		const struct sk_rank_entry *e = &k->by_method.entries[i];
		int row = (int)e->proposal;
		json_t *crit = json_array();
		for (size_t c = 0; c < k->in.ncriteria; c++)
			json_array_append_new(crit, json_pack("{s:I,s:s,s:o,s:o}", "criterion_id",
							      (json_int_t)sk_db_i64(k->criteria, (int)c, "id"), "name",
							      sk_db_str(k->criteria, (int)c, "name"), "raw", num(e->criterion_raw[c]),
							      "normalised", num(e->criterion_normalised[c])));
		json_t *why = json_array();
		if (i + 1 < P) {
			size_t idx[SK_RANK_MAX_CRITERIA];
			size_t nw = sk_rank_explain_pair(&k->in, e, &k->by_method.entries[i + 1], idx, SK_RANK_MAX_CRITERIA);
			for (size_t w = 0; w < nw; w++)
				json_array_append_new(why, json_string(sk_db_str(k->criteria, (int)idx[w], "name")));
		}
		int64_t pid = k->pids[e->proposal];
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)pid);
		const char *def = i < nslots ? slots[i] : NULL;
		json_t *award = chosen ? json_object_get(chosen, key) : NULL;
		json_t *reason = reasons ? json_object_get(reasons, key) : NULL;
		json_array_append_new(
			list,
			json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:s?,s:O?,s:O?}", "rank",
				  (json_int_t)e->rank, "rank_other_method", (json_int_t)other_rank[e->proposal], "proposal_id",
				  (json_int_t)pid, "tracking_code", sk_db_str(k->proposals, row, "tracking_code"), "title",
				  sk_db_str(k->proposals, row, "title"), "group_name", sk_db_str(k->proposals, row, "group_name"),
				  "reviews", (json_int_t)e->nreviews, "score", num(e->score), "raw", num(e->raw), "normalised",
				  num(e->normalised), "interval",
				  e->has_interval ? json_pack("{s:o,s:o}", "low", num(e->lo), "high", num(e->hi)) : json_null(),
				  "min_review", num(e->min_review), "max_review", num(e->max_review), "tied_with_next",
				  e->tied_with_next, "criteria", crit, "above_next_because", why, "default_award", def, "award",
				  chosen ? (award && json_is_string(award) ? award : json_null()) : NULL, "reason",
				  chosen ? (reason ? reason : json_null()) : NULL));
	}
	free(other_rank);
	return list;
}

static json_t *agreement_json(struct ranking *k)
{
	json_t *per = json_array();
	for (size_t c = 0; c < k->in.ncriteria; c++)
		json_array_append_new(per, json_pack("{s:s,s:o}", "criterion", sk_db_str(k->criteria, (int)c, "name"), "alpha",
						     num(k->by_method.alpha_criteria[c])));
	return json_pack("{s:o,s:o}", "criteria", per, "review_score", num(k->by_method.alpha_total));
}

/* The campaign of the path when the caller leads its ward, its row in *c (state, ward_id, …) for the
 * caller to clear; replies 404 or 403 and returns false otherwise. Declared in handlers.h. */
bool sk_led_campaign(struct sk_request *req, PGresult **c)
{
	int64_t cid = sk_param_id(req, 0);
	enum sk_db_status st = cid ? sk_db_decision_campaign(req->db, cid, c) : SK_DB_NOROWS;
	if (st != SK_DB_OK) {
		if (cid)
			PQclear(*c);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return false;
	}
	if (!sk_require_role(req, sk_db_i64(*c, 0, "ward_id"), SK_ROLE_LEADER)) {
		PQclear(*c);
		return false;
	}
	return true;
}

/*
 * For the leader before deciding (never in a snapshot): how normalisation moved each panelist (their
 * mean and spread of R against the call's; who was left as is for fewer than 3 reviews), and the
 * proposals whose rank differs between the two methods. New reference.
 */
static json_t *normalisation_json(struct ranking *k, bool normalised_method)
{
	const struct sk_rank_result *r = &k->by_method;
	json_t *panelists = json_array(), *moved = json_array();
	for (size_t p = 0; p < r->npanelists; p++) {
		const struct sk_rank_panelist *x = &r->panelists[p];
		json_array_append_new(panelists,
				      json_pack("{s:I,s:I,s:o,s:o,s:o,s:b}", "panelist_id", (json_int_t)k->panelists[p], "reviews",
						(json_int_t)x->nreviews, "mean", num(x->mean), "sd", num(x->sd), "shift",
						x->adjusted ? num(r->mean_all - x->mean) : json_null(), "adjusted", x->adjusted));
	}
	size_t *other_rank = calloc(r->n + 1, sizeof *other_rank);
	for (size_t j = 0; other_rank && j < k->by_other.n; j++)
		other_rank[k->by_other.entries[j].proposal] = k->by_other.entries[j].rank;
	for (size_t j = 0; other_rank && j < r->n; j++) {
		const struct sk_rank_entry *e = &r->entries[j];
		if (isnan(e->score) || other_rank[e->proposal] == e->rank)
			continue;
		size_t n_rank = normalised_method ? e->rank : other_rank[e->proposal];
		size_t raw_rank = normalised_method ? other_rank[e->proposal] : e->rank;
		json_array_append_new(moved, json_pack("{s:I,s:s,s:s,s:I,s:I}", "proposal_id", (json_int_t)k->pids[e->proposal],
						       "tracking_code", sk_db_str(k->proposals, (int)e->proposal, "tracking_code"),
						       "title", sk_db_str(k->proposals, (int)e->proposal, "title"), "rank_normalised",
						       (json_int_t)n_rank, "rank_raw", (json_int_t)raw_rank));
	}
	free(other_rank);
	return json_pack("{s:b,s:o,s:o,s:o,s:o}", "applied", normalised_method, "call_mean", num(r->mean_all), "call_sd",
			 num(r->sd_all), "panelists", panelists, "moved", moved);
}

void ranking_get(struct sk_request *req)
{
	PGresult *c, *awards;
	if (!sk_led_campaign(req, &c))
		return;
	int64_t cid = sk_param_id(req, 0);
	if (!sk_db_bool(c, 0, "locked")) {
		/* Scores stay private while the panel works, from the leader too. */
		PQclear(c);
		sk_reply_error(req, 409, "panel_not_locked", NULL, "The ranking is shown once the panel is locked.");
		return;
	}
	struct ranking k;
	enum sk_db_status st = ranking_compute(req->db, cid, sk_db_str(c, 0, "ranking_method"), &k);
	if (st != SK_DB_OK || ((st = sk_db_awards(req->db, cid, &awards)) != SK_DB_OK && st != SK_DB_NOROWS)) {
		ranking_free(&k);
		PQclear(c);
		sk_reply_db_error(req, st);
		return;
	}
	bool tie;
	json_t *list = ranking_json(&k, awards, NULL, NULL, &tie);
	json_t *v = json_pack("{s:s,s:s,s:o,s:o,s:b,s:s,s:I,s:I,s:o}", "method", sk_db_str(c, 0, "ranking_method"), "state",
			      sk_db_str(c, 0, "state"), "ranking", list, "agreement", agreement_json(&k), "tie_warning", tie,
			      "inputs_digest", k.digest, "reviews", (json_int_t)k.in.nreviews, "panelists",
			      (json_int_t)k.npanelists, "normalisation",
			      normalisation_json(&k, strcmp(sk_db_str(c, 0, "ranking_method"), "raw") != 0));
	ranking_free(&k);
	PQclear(c);
	PQclear(awards);
	sk_reply_json(req, 200, v);
}

void awards_put(struct sk_request *req)
{
	PGresult *c;
	if (!sk_led_campaign(req, &c))
		return;
	PQclear(c);
	json_t *list = NULL;
	bool has;
	struct sk_field fields[] = { SK_ARRAY_OPT("awards", &list, &has), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	size_t i, total = 0;
	json_t *a;
	json_t *clean = json_array();
	json_array_foreach(list, i, a) {
		json_t *cnt = json_object_get(a, "count");
		const char *name = json_is_object(a) && json_object_size(a) == 2 && json_is_integer(cnt) &&
						   json_integer_value(cnt) >= 1 && json_integer_value(cnt) <= 1000
					   ? sk_json_text(req, json_object_get(a, "name"), "awards.name", 1, 100, SK_TEXT_SINGLE_LINE)
					   : NULL;
		if (name == NULL) {
			json_decref(clean);
			if (!req->replied)
				sk_reply_error(req, 400, "invalid_field", "awards", "Each award is {name, count} with count 1 to 1000.");
			return;
		}
		total += (size_t)json_integer_value(cnt);
		json_array_append_new(clean, json_pack("{s:s,s:O}", "name", name, "count", cnt));
	}
	if (!has || json_array_size(list) < 1 || json_array_size(list) > 20 || total > MAX_SLOTS) {
		json_decref(clean);
		sk_reply_error(req, 400, "invalid_field", "awards", "Give 1 to 20 awards, %d places in all at most.", MAX_SLOTS);
		return;
	}
	char *text = json_dumps(clean, JSON_COMPACT);
	enum sk_db_status st = sk_db_awards_set(req->db, sk_param_id(req, 0), req->session.account_id, text, req->ip);
	free(text);
	if (st == SK_DB_RULE) {
		json_decref(clean);
		sk_reply_error(req, 409, "decision_made", NULL, "Awards are fixed once a decision is made.");
		return;
	}
	if (st != SK_DB_OK) {
		json_decref(clean);
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:o}", "awards", clean));
}

void awards_get(struct sk_request *req)
{
	struct sk_dbconn *db = sk_req_public_db_or_reply(req);
	if (db == NULL)
		return;
	PGresult *r;
	int64_t cid = sk_param_id(req, 0);
	enum sk_db_status st = cid ? sk_db_awards_public(db, cid, &r) : SK_DB_NOROWS;
	if (st != SK_DB_OK) {
		if (cid)
			PQclear(r);
		if (st == SK_DB_NOROWS) /* no such call, or a draft, which is not public */
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		if (!sk_db_isnull(r, i, "name")) /* the call's row alone: no awards set */
			json_array_append_new(list, json_pack("{s:s,s:I}", "name", sk_db_str(r, i, "name"), "count",
						      (json_int_t)sk_db_i64(r, i, "count")));
	PQclear(r);
	char as_of[32];
	sk_reply_json(req, 200, json_pack("{s:o,s:s}", "awards", list, "as_of", sk_req_as_of(req, as_of, sizeof as_of)));
}

/*
 * Builds and stores a decision (or a correction when correction_reason is given): the chosen awards
 * (default: the ranking order), a reason required for every departure. Replies itself.
 */
static void decide(struct sk_request *req, const char *correction_reason, const char *password)
{
	PGresult *c, *awards;
	if (!sk_led_campaign(req, &c))
		return;
	if (password && !sk_auth_recheck_password(req, password)) {
		PQclear(c);
		return;
	}
	int64_t cid = sk_param_id(req, 0);
	/* The snapshot names the score record's head: seal what is still pending (after the role check,
	 * so that no other caller can make the server write), then read the head again. */
	enum sk_db_status st = sk_db_score_seal(req->db, cid);
	PQclear(c);
	c = NULL;
	if (st == SK_DB_OK)
		st = sk_db_decision_campaign(req->db, cid, &c);
	if (st != SK_DB_OK) {
		PQclear(c);
		sk_reply_db_error(req, st == SK_DB_NOROWS ? SK_DB_ERROR : st);
		return;
	}
	json_t *given = json_object_get(req->json, "awards"), *given_reasons = json_object_get(req->json, "reasons");
	struct ranking k;
	st = ranking_compute(req->db, cid, sk_db_str(c, 0, "ranking_method"), &k);
	if (st != SK_DB_OK || ((st = sk_db_awards(req->db, cid, &awards)) != SK_DB_OK && st != SK_DB_NOROWS)) {
		ranking_free(&k);
		PQclear(c);
		sk_reply_db_error(req, st);
		return;
	}
	const char *slots[MAX_SLOTS];
	size_t nslots = award_slots(awards, slots, MAX_SLOTS);
	json_t *chosen = json_object(), *reasons = json_object();
	const char *error = NULL, *field = NULL;
	if (given == NULL) { /* the ranking order */
		for (size_t i = 0; i < nslots && i < k.by_method.n; i++) {
			char key[24];
			snprintf(key, sizeof key, "%lld", (long long)k.pids[k.by_method.entries[i].proposal]);
			json_object_set_new(chosen, key, json_string(slots[i]));
		}
	} else if (!json_is_array(given)) {
		error = "'awards' is a list of {proposal_id, award}.", field = "awards";
	} else {
		size_t i;
		json_t *a;
		json_array_foreach(given, i, a) {
			json_t *pid = json_object_get(a, "proposal_id"), *name = json_object_get(a, "award");
			char key[24];
			snprintf(key, sizeof key, "%lld", (long long)json_integer_value(pid));
			if (!json_is_integer(pid) || find_id(k.pids, k.in.nproposals, json_integer_value(pid)) == k.in.nproposals ||
			    !json_is_string(name) || json_object_get(chosen, key)) {
				error = "Each award names a submitted proposal of this call once, and an award name.", field = "awards";
				break;
			}
			/* One of the call's awards (set with PUT /awards, whose names are checked as texts), and no
			 * more often than its count: a free-typed name would reach the public page unchecked. */
			const char *want = json_string_value(name), *okey;
			size_t given_n = 0, slot_n = 0;
			json_t *other;
			json_object_foreach(chosen, okey, other)
				if (!strcmp(json_string_value(other), want))
					given_n++;
			for (size_t j = 0; j < nslots; j++)
				if (!strcmp(slots[j], want))
					slot_n++;
			if (given_n >= slot_n) {
				error = slot_n == 0 ? "Each award must be one of the call's awards (PUT /awards sets them)."
						    : "An award is given more often than its count.";
				field = "awards";
				break;
			}
			json_object_set(chosen, key, name);
		}
	}
	/* Departures from the default (ranking order) need a written reason; they are shown publicly. */
	for (size_t i = 0; error == NULL && i < k.by_method.n; i++) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)k.pids[k.by_method.entries[i].proposal]);
		const char *def = i < nslots ? slots[i] : NULL;
		json_t *got = json_object_get(chosen, key);
		const char *now_award = got ? json_string_value(got) : NULL;
		bool departs = (def == NULL) != (now_award == NULL) || (def && now_award && strcmp(def, now_award));
		if (!departs)
			continue;
		json_t *r = json_object_get(given_reasons, key);
		char *clean = NULL;
		if (!json_is_string(r) ||
		    sk_text_clean(json_string_value(r), json_string_length(r), SK_TEXT_MULTI_LINE, 5, 2000, &clean) != SK_TEXT_OK) {
			error = "Every departure from the ranking (a skip, a swap, an extra award) needs a written reason of 5 "
				"to 2000 characters in 'reasons', keyed by proposal id.";
			field = "reasons";
			break;
		}
		json_object_set_new(reasons, key, json_string(clean));
		free(clean);
	}
	if (error) {
		json_decref(chosen);
		json_decref(reasons);
		ranking_free(&k);
		PQclear(c);
		PQclear(awards);
		sk_reply_error(req, 400, "invalid_field", field, "%s", error);
		return;
	}
	bool tie;
	json_t *list = ranking_json(&k, awards, chosen, reasons, &tie);
	json_t *award_cfg = json_array();
	for (int i = 0; i < PQntuples(awards); i++)
		json_array_append_new(award_cfg, json_pack("{s:s,s:I}", "name", sk_db_str(awards, i, "name"), "count",
							   (json_int_t)sk_db_i64(awards, i, "count")));
	json_t *snapshot = json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:o,s:o,s:o,s:b,s:I,s:I,s:s?}", "campaign_title",
				     sk_db_str(c, 0, "title"), "method", sk_db_str(c, 0, "ranking_method"), "config_digest",
				     sk_db_str(c, 0, "config_digest"), "score_record_head", sk_db_str(c, 0, "chain_head"),
				     "inputs_digest", k.digest, "ranking", list, "agreement", agreement_json(&k), "awards",
				     award_cfg, "tie_warning", tie, "reviews", (json_int_t)k.in.nreviews, "panelists",
				     (json_int_t)k.npanelists, "correction_reason", correction_reason);
	char *text = json_dumps(snapshot, JSON_COMPACT | JSON_REAL_PRECISION(12));
	int64_t decision_id = 0;
	if (correction_reason) /* a correction is recorded and published together, or not at all */
		sk_db_simple(req->db, "BEGIN");
	st = sk_db_decision_create(req->db, cid, req->session.account_id, sk_db_str(c, 0, "ranking_method"), k.digest, text,
				   correction_reason, req->now, req->ip, &decision_id);
	free(text);
	json_decref(chosen);
	json_decref(reasons);
	ranking_free(&k);
	PQclear(c);
	PQclear(awards);
	if (correction_reason) {
		if (st == SK_DB_OK)
			st = sk_db_decision_publish(req->db, cid, req->session.account_id, req->now, req->ip);
		if (st == SK_DB_OK)
			st = sk_db_simple(req->db, "COMMIT");
		else
			sk_db_simple(req->db, "ROLLBACK");
		results_forget(cid);
	}
	if (st == SK_DB_RULE) {
		json_decref(snapshot);
		const char *rule = sk_db_rule(req->db);
		if (!strcmp(rule, "panel_not_locked"))
			sk_reply_error(req, 409, "panel_not_locked", NULL, "Lock the panel before deciding.");
		else if (!strcmp(rule, "not_correctable"))
			sk_reply_error(req, 409, "not_correctable", NULL, "Only a published decision can be corrected.");
		else
			sk_reply_error(req, 409, "not_decidable", NULL, "The call must be in appraisal to decide.");
		return;
	}
	if (st != SK_DB_OK) {
		json_decref(snapshot);
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 201, json_pack("{s:I,s:o}", "decision_id", (json_int_t)decision_id, "snapshot", snapshot));
}

void decision_post(struct sk_request *req)
{
	json_t *awards = NULL, *reasons = NULL;
	bool ha, hr;
	struct sk_field fields[] = { SK_ARRAY_OPT("awards", &awards, &ha), SK_OBJECT_OPT("reasons", &reasons, &hr), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	decide(req, NULL, NULL);
}

void correction_post(struct sk_request *req)
{
	json_t *awards = NULL, *reasons = NULL;
	const char *why, *password;
	bool ha, hr;
	struct sk_field fields[] = { SK_ARRAY_OPT("awards", &awards, &ha), SK_OBJECT_OPT("reasons", &reasons, &hr),
				     SK_TEXT("correction_reason", &why, 5, 4000), SK_SECRET("password", &password, 1, 256),
				     SK_END };
	if (!sk_json_parse(req, fields))
		return;
	decide(req, why, password);
}

void publish_post(struct sk_request *req)
{
	PGresult *c;
	if (!sk_led_campaign(req, &c))
		return;
	PQclear(c);
	const char *password;
	struct sk_field fields[] = { SK_SECRET("password", &password, 1, 256), SK_END };
	if (!sk_json_parse(req, fields) || !sk_auth_recheck_password(req, password))
		return;
	enum sk_db_status st = sk_db_decision_publish(req->db, sk_param_id(req, 0), req->session.account_id, req->now, req->ip);
	results_forget(sk_param_id(req, 0));
	if (st == SK_DB_RULE) {
		sk_reply_error(req, 409, "nothing_to_publish", NULL, "There is no decision waiting to be published.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_empty(req, 204);
}

void proposal_result_get(struct sk_request *req)
{
	int64_t pid = sk_param_id(req, 0);
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, pid), sk_db_i64str(b, req->session.account_id) };
	PGresult *r;
	/* The author (or helping volunteer) sees the published rank, award and the panel's overall comments. */
	enum sk_db_status st = sk_db_exec(
		req->db, "proposal_result",
		"SELECT p.campaign_id, p.tracking_code, p.ward_id, p.author_id,"
		" (SELECT x::text FROM decisions d, jsonb_array_elements(d.snapshot -> 'ranking') x"
		"  WHERE d.campaign_id = p.campaign_id AND d.published_at IS NOT NULL AND (x ->> 'proposal_id')::bigint = p.id"
		"  ORDER BY d.version DESC LIMIT 1) AS entry,"
		" coalesce((SELECT jsonb_agg(r.overall_comment ORDER BY r.id) FROM reviews r"
		"  WHERE r.proposal_id = p.id AND r.status = 'submitted'), '[]')::text AS comments"
		" FROM proposals p WHERE p.id = $1 AND $2 IN (p.author_id, p.helped_by) AND p.status = 'submitted'",
		2, p, &r);
	/* A helping volunteer reads it while holding the volunteer role in the ward, not after a revocation. */
	if (st == SK_DB_NOROWS || (st == SK_DB_OK && sk_db_isnull(r, 0, "entry")) ||
	    (st == SK_DB_OK && sk_db_i64(r, 0, "author_id") != req->session.account_id &&
	     !sk_has_role(req, sk_db_i64(r, 0, "ward_id"), SK_ROLE_VOLUNTEER))) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "There is no published result for this proposal yet.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_pack("{s:s,s:o,s:o}", "tracking_code", sk_db_str(r, 0, "tracking_code"), "result",
			      json_loads(sk_db_str(r, 0, "entry"), 0, NULL), "panel_comments",
			      json_loads(sk_db_str(r, 0, "comments"), 0, NULL));
	PQclear(r);
	sk_reply_json(req, 200, v);
}
