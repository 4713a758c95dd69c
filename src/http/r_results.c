/* Ranking, decision, publication and public results of a campaign. */
#include "db/decisions.h"
#include "db/panel.h"
#include "domain/ranking.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"
#include "db/accounts.h"
#include "domain/csv.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define MAX_SLOTS 2000

static void results_forget(int64_t cid);

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
	json_t *v = json_pack("{s:s,s:s,s:o,s:o,s:b,s:s,s:I,s:I}", "method", sk_db_str(c, 0, "ranking_method"), "state",
			      sk_db_str(c, 0, "state"), "ranking", list, "agreement", agreement_json(&k), "tie_warning", tie,
			      "inputs_digest", k.digest, "reviews", (json_int_t)k.in.nreviews, "panelists",
			      (json_int_t)k.npanelists);
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
	struct sk_dbconn *db = sk_req_db_or_reply(req);
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
	sk_reply_json(req, 200, json_pack("{s:o}", "awards", list));
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
			    !json_is_string(name) || json_string_length(name) < 1 || json_string_length(name) > 100 ||
			    !sk_text_valid_utf8(json_string_value(name), json_string_length(name)) || json_object_get(chosen, key)) {
				error = "Each award names a submitted proposal of this call once, and an award name.", field = "awards";
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

/* ---- Public results, served from memory -------------------------------------------------------- */

/*
 * Each process keeps, per campaign, the public results of its newest published decision in
 * every form a client asks for: the JSON document, the CSV export and the /results/{id} page,
 * each as it is and gzip-compressed, built once per decision (and rebuilt only when another
 * decision is published or the page template changes). A built document never changes: a
 * request takes a reference to it under the lock, replies from its bytes without copying them
 * (libmicrohttpd drops the reference once the reply is sent), and whoever drops the last
 * reference frees it. Publishing or correcting in this process forgets the cached document at
 * once; other processes look at the database again after CACHE_CHECK_SECONDS.
 */

#define CACHE_SLOTS 64
#define CACHE_CHECK_SECONDS 30

enum form { FORM_JSON, FORM_CSV, FORM_PAGE, NFORMS };
enum encoding { ENC_IDENTITY, ENC_GZIP, NENCODINGS };

/* One representation: its bytes and the entity tag that names them (with the quotes). */
struct variant {
	unsigned char *body;
	size_t len;
	char etag[64];
};

/* The page template results.html as it was read: a change makes the cache rebuild the page. */
struct template_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct results_doc {
	atomic_int refs;
	int64_t campaign, decision;
	struct template_id template;
	/* body NULL: that form or encoding is not available (no template; compression failed) */
	struct variant v[NFORMS][NENCODINGS];
};

struct cached {
	int64_t campaign;
	struct results_doc *doc; /* the cache's own reference */
	time_t checked;
};

static struct cached cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_epoch; /* bumped by every results_forget, under cache_lock */

/* Drops one reference to doc (NULL: nothing); the last one frees it. */
static void doc_release(struct results_doc *doc)
{
	if (doc == NULL || atomic_fetch_sub_explicit(&doc->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int f = 0; f < NFORMS; f++)
		for (int e = 0; e < NENCODINGS; e++)
			free(doc->v[f][e].body);
	free(doc);
}

/* libmicrohttpd's callback once a reply that points into a document is done with it. */
static void doc_release_cb(void *cls)
{
	doc_release(cls);
}

/* Drops this process's copy of cid's results (other processes re-check within CACHE_CHECK_SECONDS). */
static void results_forget(int64_t cid)
{
	struct results_doc *drop[CACHE_SLOTS];
	int n = 0;
	pthread_mutex_lock(&cache_lock);
	cache_epoch++; /* a document being built from a read made before now is not cached */
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].campaign == cid) {
			drop[n++] = cache[i].doc;
			memset(&cache[i], 0, sizeof cache[i]);
		}
	pthread_mutex_unlock(&cache_lock);
	for (int i = 0; i < n; i++)
		doc_release(drop[i]);
}

/* body as gzip (RFC 1952, level 9: it is done once per decision) into v; false when zlib fails. */
static bool gzip_into(const unsigned char *body, size_t len, struct variant *v)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *out = malloc(cap);
	bool ok = out != NULL && len <= UINT_MAX;
	if (ok) {
		z.next_in = (unsigned char *)body;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
	}
	if (ok) {
		v->body = out;
		v->len = z.total_out;
	} else {
		free(out);
	}
	deflateEnd(&z);
	return ok;
}

/* Takes body (malloc'd, len bytes) as the identity form f of doc, with its gzip twin; etag without quotes. */
static void doc_set(struct results_doc *doc, enum form f, char *body, size_t len, const char *etag)
{
	struct variant *id = &doc->v[f][ENC_IDENTITY], *gz = &doc->v[f][ENC_GZIP];
	id->body = (unsigned char *)body;
	id->len = len;
	snprintf(id->etag, sizeof id->etag, "\"%s\"", etag);
	if (body && gzip_into(id->body, len, gz))
		snprintf(gz->etag, sizeof gz->etag, "\"%s-gz\"", etag);
}

/* The CSV export of a results document (caller frees; NULL when out of memory). */
static char *results_csv_text(json_t *doc, size_t *len)
{
	struct sk_csv csv;
	sk_csv_init(&csv);
	static const char *const header[] = { "Hạng", "Mã theo dõi", "Tên mô hình", "Tổ dân phố", "Giải", "Điểm",
					      "Khoảng tin cậy 95% (thấp)", "Khoảng tin cậy 95% (cao)", "Số lượt chấm",
					      "Không tách biệt được với hạng sau", "Lý do điều chỉnh" };
	for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
		sk_csv_field(&csv, header[i]);
	sk_csv_end_row(&csv);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(json_object_get(doc, "snapshot"), "ranking"), i, e) {
		char b[64];
		json_t *iv = json_object_get(e, "interval");
		snprintf(b, sizeof b, "%lld", (long long)json_integer_value(json_object_get(e, "rank")));
		sk_csv_field(&csv, b);
		sk_csv_field(&csv, json_string_value(json_object_get(e, "tracking_code")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "title")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "group_name")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "award")));
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(e, "score")));
		sk_csv_field(&csv, json_is_number(json_object_get(e, "score")) ? b : "");
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(iv, "low")));
		sk_csv_field(&csv, json_is_object(iv) ? b : "");
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(iv, "high")));
		sk_csv_field(&csv, json_is_object(iv) ? b : "");
		snprintf(b, sizeof b, "%lld", (long long)json_integer_value(json_object_get(e, "reviews")));
		sk_csv_field(&csv, b);
		sk_csv_field(&csv, json_is_true(json_object_get(e, "tied_with_next")) ? "có" : "");
		sk_csv_field(&csv, json_string_value(json_object_get(e, "reason")));
		sk_csv_end_row(&csv);
	}
	return sk_csv_take(&csv, len);
}

/* s escaped for an HTML attribute value in double quotes, onto m. */
static void html_attr(FILE *m, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", m); break;
		case '"': fputs("&quot;", m); break;
		case '<': fputs("&lt;", m); break;
		case '>': fputs("&gt;", m); break;
		default: fputc(*s, m);
		}
	}
}

static struct template_id template_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return (struct template_id){ false, 0, 0, 0, { 0, 0 } };
	return (struct template_id){ true, st.st_dev, st.st_ino, st.st_size, st.st_mtim };
}

static bool template_same(const struct template_id *a, const struct template_id *b)
{
	return a->exists == b->exists && (!a->exists || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
							 a->mtime.tv_sec == b->mtime.tv_sec &&
							 a->mtime.tv_nsec == b->mtime.tv_nsec));
}

/*
 * The results page: the template at path with its <!--og--> marker replaced by Open Graph and
 * Twitter-card tags for the document's call (caller frees); NULL without a usable template.
 */
static char *results_page_text(const char *path, json_t *doc, int64_t cid, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *html = NULL;
	size_t hlen = 0;
	FILE *m = open_memstream(&html, &hlen);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m == NULL || fclose(m) != 0 || html == NULL) {
		free(html);
		return NULL;
	}
	char *mark = strstr(html, "<!--og-->");
	if (mark == NULL) {
		free(html);
		return NULL;
	}
	json_t *snap = json_object_get(doc, "snapshot");
	const char *title = json_string_value(json_object_get(snap, "campaign_title"));
	size_t winners = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(snap, "ranking"), i, e) winners += json_is_string(json_object_get(e, "award"));
	char *out = NULL;
	m = open_memstream(&out, len);
	if (m == NULL) {
		free(html);
		return NULL;
	}
	fwrite(html, 1, (size_t)(mark - html), m);
	fputs("<meta property=\"og:type\" content=\"article\">\n<meta property=\"og:title\" content=\"Kết quả: ", m);
	html_attr(m, title ? title : "");
	fprintf(m,
		"\">\n<meta property=\"og:description\" content=\"%zu mô hình chuyển đổi số được trao giải. Xem bảng xếp "
		"hạng, điểm theo từng tiêu chí và lý do quyết định.\">\n"
		"<meta property=\"og:url\" content=\"/results/%lld\">\n"
		"<meta name=\"twitter:card\" content=\"summary\">",
		winners, (long long)cid);
	fputs(mark + 9, m);
	free(html);
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Builds every form of the results of the decision row r (sk_db_decision_latest) of campaign cid,
 * with one reference for the caller; NULL when out of memory.
 */
static struct results_doc *doc_build(PGresult *r, int64_t cid, const char *template_path,
				     const struct template_id *template)
{
	struct results_doc *doc = calloc(1, sizeof *doc);
	if (doc == NULL)
		return NULL;
	atomic_init(&doc->refs, 1);
	doc->campaign = cid;
	doc->decision = sk_db_i64(r, 0, "id");
	doc->template = *template;
	json_t *snap = json_loads(sk_db_str(r, 0, "snapshot"), 0, NULL);
	json_t *d = json_pack("{s:I,s:I,s:I,s:s,s:s?,s:s?,s:o}", "campaign_id", (json_int_t)cid, "decision_id",
			      (json_int_t)doc->decision, "version", (json_int_t)sk_db_i64(r, 0, "version"), "decided_at",
			      sk_db_str(r, 0, "decided_at"), "published_at", sk_db_str(r, 0, "published_at"),
			      "correction_reason", sk_db_str(r, 0, "correction_reason"), "snapshot", snap ? snap : json_object());
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	if (text == NULL) {
		json_decref(d);
		doc_release(doc);
		return NULL;
	}
	char tag[48];
	snprintf(tag, sizeof tag, "d%lld", (long long)doc->decision);
	doc_set(doc, FORM_JSON, text, strlen(text), tag);
	size_t len;
	char *csv = results_csv_text(d, &len);
	if (csv == NULL) {
		json_decref(d);
		doc_release(doc);
		return NULL;
	}
	doc_set(doc, FORM_CSV, csv, len, tag);
	char *page = template->exists ? results_page_text(template_path, d, cid, &len) : NULL;
	if (page) {
		/* The page also depends on the template: its tag names the bytes. */
		unsigned char h[crypto_generichash_BYTES_MIN];
		char hex[17];
		crypto_generichash(h, sizeof h, (const unsigned char *)page, len, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, 8);
		snprintf(tag, sizeof tag, "d%lld-%s", (long long)doc->decision, hex);
		doc_set(doc, FORM_PAGE, page, len, tag);
	}
	json_decref(d);
	return doc;
}

/*
 * The results of cid with a reference for the caller (doc_release when done), from the cache,
 * or built from the newest published decision. Replies itself and returns NULL otherwise.
 */
static struct results_doc *results_acquire(struct sk_request *req, int64_t cid)
{
	time_t now = time(NULL);
	struct results_doc *doc = NULL, *have = NULL;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].campaign == cid && cid != 0) {
			have = cache[i].doc;
			atomic_fetch_add_explicit(&have->refs, 1, memory_order_relaxed);
			if (now - cache[i].checked < CACHE_CHECK_SECONDS)
				doc = have;
			break;
		}
	uint64_t epoch = cache_epoch;
	pthread_mutex_unlock(&cache_lock);
	if (doc)
		return doc;
	char template_path[4200];
	snprintf(template_path, sizeof template_path, "%s/results.html", req->srv->frontend_real);
	struct template_id template = template_stat(template_path);
	PGresult *r = NULL;
	enum sk_db_status st = sk_req_db_or_reply(req) ? sk_db_decision_latest(req->db, cid, true, &r) : SK_DB_ERROR;
	if (req->replied) {
		doc_release(have);
		return NULL;
	}
	if (st != SK_DB_OK) {
		PQclear(r);
		doc_release(have);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "The results of this call are not published yet.");
		else
			sk_reply_db_error(req, st);
		return NULL;
	}
	if (have && have->decision == sk_db_i64(r, 0, "id") && template_same(&have->template, &template)) {
		doc = have; /* still the newest: keep it, built once */
	} else {
		doc_release(have);
		doc = doc_build(r, cid, template_path, &template);
	}
	PQclear(r);
	if (doc == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The results could not be built.");
		return NULL;
	}
	pthread_mutex_lock(&cache_lock);
	/* Cached only when no publication or correction in this process came after the read. */
	if (cache_epoch == epoch) {
		struct cached *slot = NULL;
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (cache[i].campaign == cid || (slot == NULL && cache[i].campaign == 0))
				slot = &cache[i];
		if (slot == NULL) /* full: replace the oldest */
			for (int i = 0; i < CACHE_SLOTS; i++)
				if (slot == NULL || cache[i].checked < slot->checked)
					slot = &cache[i];
		if (slot->doc != doc) {
			have = slot->doc;
			atomic_fetch_add_explicit(&doc->refs, 1, memory_order_relaxed);
			slot->doc = doc;
		} else {
			have = NULL;
		}
		slot->campaign = cid;
		slot->checked = now;
	} else {
		have = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	doc_release(have);
	return doc;
}

/* ---- Content negotiation and conditional requests ---------------------------------------------- */

/* The q of each coding in Accept-Encoding, in thousandths; -1 when not listed. */
struct accept_q {
	int gzip, identity, any;
};

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], in thousandths; -1 when malformed. */
static int parse_qvalue(const char *s, size_t n)
{
	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && (s[1] != '.' || n > 5)))
		return -1;
	int q = (s[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Adds one Accept-Encoding field value to *a (a malformed element is ignored). */
static void accept_encoding_parse(const char *v, struct accept_q *a)
{
	const char *p = v;
	while (*p) {
		while (*p == ',' || is_ows(*p))
			p++;
		if (!*p)
			break;
		const char *name = p;
		while (*p && *p != ',' && *p != ';' && !is_ows(*p))
			p++;
		size_t nlen = (size_t)(p - name);
		int q = 1000;
		bool bad = false;
		while (*p && *p != ',') { /* parameters: ; q=0.5 */
			while (is_ows(*p))
				p++;
			if (*p != ';') {
				if (*p && *p != ',')
					bad = true;
				while (*p && *p != ',')
					p++;
				break;
			}
			p++;
			while (is_ows(*p))
				p++;
			const char *pn = p;
			while (*p && *p != '=' && *p != ',' && *p != ';' && !is_ows(*p))
				p++;
			size_t pnlen = (size_t)(p - pn);
			if (*p != '=') {
				bad = true;
				continue;
			}
			const char *pv = ++p;
			while (*p && *p != ',' && *p != ';' && !is_ows(*p))
				p++;
			if (pnlen == 1 && (pn[0] == 'q' || pn[0] == 'Q')) {
				q = parse_qvalue(pv, (size_t)(p - pv));
				bad |= q < 0;
			}
		}
		if (bad || nlen == 0)
			continue;
		int *slot = (nlen == 4 && !strncasecmp(name, "gzip", 4)) || (nlen == 6 && !strncasecmp(name, "x-gzip", 6))
				    ? &a->gzip
			    : nlen == 8 && !strncasecmp(name, "identity", 8) ? &a->identity
			    : nlen == 1 && name[0] == '*'                    ? &a->any
									     : NULL;
		if (slot && q > *slot)
			*slot = q;
	}
}

static enum MHD_Result accept_encoding_each(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	if (key && value && !strcasecmp(key, MHD_HTTP_HEADER_ACCEPT_ENCODING))
		accept_encoding_parse(value, cls);
	return MHD_YES;
}

/*
 * Whether the request takes gzip (RFC 9110 12.5.3): gzip (or *) with q > 0, preferred at least
 * as much as identity. Otherwise identity is sent, also when the client refused it (the
 * fallback every client understands). Every Accept-Encoding line counts.
 */
static bool wants_gzip(struct sk_request *req)
{
	struct accept_q a = { -1, -1, -1 };
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, accept_encoding_each, &a);
	int gzip = a.gzip >= 0 ? a.gzip : a.any >= 0 ? a.any : 0;
	int identity = a.identity >= 0 ? a.identity : a.any >= 0 ? a.any : 1000;
	return gzip > 0 && gzip >= identity;
}

/* Whether If-None-Match (weak comparison, RFC 9110 13.1.2) names etag, or is "*". */
static bool none_match(struct sk_request *req, const char *etag)
{
	const char *p = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (p == NULL)
		return false;
	size_t elen = strlen(etag);
	for (;;) {
		while (*p == ',' || is_ows(*p))
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return false;
		const char *close = strchr(p + 1, '"');
		if (close == NULL)
			return false;
		if ((size_t)(close + 1 - p) == elen && !memcmp(p, etag, elen))
			return true;
		p = close + 1;
	}
}

/*
 * Replies with form f of doc in the encoding the request takes, or 304 when it already has it;
 * consumes the caller's reference to doc. The body is doc's own bytes, not a copy.
 */
static void reply_form(struct sk_request *req, struct results_doc *doc, enum form f, const char *content_type,
		       const char *disposition)
{
	bool gz = doc->v[f][ENC_GZIP].body != NULL && wants_gzip(req);
	const struct variant *v = &doc->v[f][gz ? ENC_GZIP : ENC_IDENTITY];
	struct MHD_Response *resp;
	unsigned status;
	if (none_match(req, v->etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", v->etag);
		doc_release(doc);
	} else {
		status = 200;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(v->len, v->body, doc_release_cb, doc);
		if (resp == NULL) {
			doc_release(doc);
		} else {
			MHD_add_response_header(resp, "ETag", v->etag); /* copied: doc may go before the headers */
			MHD_add_response_header(resp, "Content-Type", content_type);
			if (gz)
				MHD_add_response_header(resp, "Content-Encoding", "gzip");
			if (disposition)
				MHD_add_response_header(resp, "Content-Disposition", disposition);
		}
	}
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=300");
	sk_reply_queue(req, status, resp);
}

void results_get(struct sk_request *req)
{
	struct results_doc *doc = results_acquire(req, sk_param_id(req, 0));
	if (doc)
		reply_form(req, doc, FORM_JSON, "application/json; charset=utf-8", NULL);
}

void results_csv(struct sk_request *req)
{
	struct results_doc *doc = results_acquire(req, sk_param_id(req, 0));
	if (doc == NULL)
		return;
	char disposition[96];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"ket-qua-%lld.csv\"", (long long)sk_param_id(req, 0));
	reply_form(req, doc, FORM_CSV, "text/csv; charset=utf-8", disposition);
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
		"SELECT p.campaign_id, p.tracking_code,"
		" (SELECT x::text FROM decisions d, jsonb_array_elements(d.snapshot -> 'ranking') x"
		"  WHERE d.campaign_id = p.campaign_id AND d.published_at IS NOT NULL AND (x ->> 'proposal_id')::bigint = p.id"
		"  ORDER BY d.version DESC LIMIT 1) AS entry,"
		" coalesce((SELECT jsonb_agg(r.overall_comment ORDER BY r.id) FROM reviews r"
		"  WHERE r.proposal_id = p.id AND r.status = 'submitted'), '[]')::text AS comments"
		" FROM proposals p WHERE p.id = $1 AND $2 IN (p.author_id, p.helped_by) AND p.status = 'submitted'",
		2, p, &r);
	if (st == SK_DB_NOROWS || (st == SK_DB_OK && sk_db_isnull(r, 0, "entry"))) {
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

/* The public results page with link-preview (Open Graph) tags filled in on the server. */
void results_page(struct sk_request *req, int64_t cid)
{
	struct results_doc *doc = results_acquire(req, cid);
	if (doc == NULL)
		return;
	if (doc->v[FORM_PAGE][ENC_IDENTITY].body == NULL) {
		doc_release(doc);
		sk_reply_error(req, 500, "internal", NULL, "The results page is missing.");
		return;
	}
	reply_form(req, doc, FORM_PAGE, "text/html; charset=utf-8", NULL);
}
