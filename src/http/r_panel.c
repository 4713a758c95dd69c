/* The appraisal panel: the leader's panel, assignments, progress, lock and score record; the panelist's work. */
#include "db/panel.h"
#include "domain/assign.h"
#include "domain/chain.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANEL 200

/* The ward of campaign id; replies 404 and returns 0 when there is none. */
static int64_t campaign_ward(struct sk_request *req, int64_t id)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(req->db, "campaign_ward", "SELECT ward_id FROM campaigns WHERE id = $1", 1, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return 0;
	}
	int64_t w = sk_db_i64(r, 0, "ward_id");
	PQclear(r);
	return w;
}

/* The campaign of the path, when the caller leads its ward; replies and returns 0 otherwise. */
static int64_t led_campaign(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0);
	int64_t ward = id ? campaign_ward(req, id) : 0;
	if (id == 0 && !req->replied)
		sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
	if (ward == 0 || !sk_require_role(req, ward, SK_ROLE_LEADER))
		return 0;
	return id;
}

static void reply_rule(struct sk_request *req, enum sk_db_status st)
{
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "version_conflict", "version",
			       "This review was saved meanwhile (another tab or device). Reload it and try again.");
		return;
	}
	if (st != SK_DB_RULE) {
		sk_reply_db_error(req, st);
		return;
	}
	static const struct {
		const char *rule;
		unsigned status;
		const char *code, *field, *message;
	} map[] = {
		{ "proposal_not_found", 404, "not_found", NULL, "There is no such proposal in your work list." },
		{ "panel_locked", 409, "panel_locked", NULL, "The panel is locked or not in appraisal: reviews cannot change." },
		{ "panel_frozen", 409, "panel_frozen", NULL, "The panel can be set up only after the call closes and before it is locked." },
		{ "version_conflict", 409, "version_conflict", "version", "This review changed since you opened it. Reload it and try again." },
		{ "already_submitted", 409, "already_submitted", NULL, "This review was submitted: revise it with a reason instead." },
		{ "reason_required", 400, "invalid_field", "reason", "A revision of a submitted review needs a reason." },
		{ "comment_required", 400, "invalid_field", "overall_comment", "An overall comment is required to submit." },
		{ "invalid_scores", 400, "invalid_field", "scores", "Give one whole-number score per criterion, from 0 to its maximum." },
		{ "not_panelist", 400, "invalid_field", "panelist_ids", "Everyone on the panel must hold the panelist role in this ward." },
		{ "panelist_has_reviews", 409, "panelist_has_reviews", NULL, "A panelist who has written reviews cannot be removed." },
		{ "reviews_started", 409, "reviews_started", NULL, "Reviews have started: move single assignments instead." },
		{ "assignment_not_found", 404, "not_found", NULL, "That panelist is not assigned this proposal." },
		{ "conflict", 409, "conflict_of_interest", NULL, "That panelist has a conflict of interest with this proposal." },
		{ "already_assigned", 409, "already_assigned", NULL, "That panelist already reviews this proposal." },
		{ "review_exists", 409, "review_exists", NULL, "The panelist has started this review: it cannot move." },
		{ "not_in_appraisal", 409, "not_in_appraisal", NULL, "The call is not in appraisal." },
		{ "reviews_missing", 409, "reviews_missing", NULL, "Some assigned reviews are missing. Lock anyway only with allow_missing and a note." },
		{ "note_required", 400, "invalid_field", "note", "Say why the panel is locked with reviews missing." },
	};
	const char *rule = sk_db_rule(req->db);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i].rule, rule)) {
			sk_reply_error(req, map[i].status, map[i].code, map[i].field, "%s", map[i].message);
			return;
		}
	sk_reply_error(req, 409, rule, NULL, "The request conflicts with the state of the panel (%s).", rule);
}

static void reply_rows_json(struct sk_request *req, PGresult *r, const char *key)
{
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_loads(sk_db_str(r, i, "json"), 0, NULL));
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", key, list));
}

static json_t *panel_view(struct sk_request *req, int64_t cid, enum sk_db_status *st)
{
	PGresult *m, *k;
	*st = sk_db_panel_members(req->db, cid, &m);
	if (*st != SK_DB_OK && *st != SK_DB_NOROWS)
		return NULL;
	*st = sk_db_conflicts(req->db, cid, &k);
	if (*st != SK_DB_OK && *st != SK_DB_NOROWS) {
		PQclear(m);
		return NULL;
	}
	*st = SK_DB_OK;
	json_t *members = json_array(), *conflicts = json_array();
	for (int i = 0; i < PQntuples(m); i++)
		json_array_append_new(members, json_pack("{s:I,s:s}", "account_id", (json_int_t)sk_db_i64(m, i, "account_id"),
							 "display_name", sk_db_str(m, i, "display_name")));
	for (int i = 0; i < PQntuples(k); i++)
		json_array_append_new(conflicts,
				      json_pack("{s:I,s:s?,s:I,s:s,s:s,s:s?}", "proposal_id", (json_int_t)sk_db_i64(k, i, "proposal_id"),
						"tracking_code", sk_db_str(k, i, "tracking_code"), "panelist_id",
						(json_int_t)sk_db_i64(k, i, "panelist_id"), "display_name", sk_db_str(k, i, "display_name"),
						"kind", sk_db_str(k, i, "kind"), "reason", sk_db_str(k, i, "reason")));
	PQclear(m);
	PQclear(k);
	return json_pack("{s:o,s:o}", "panelists", members, "conflicts", conflicts);
}

void panel_get(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	enum sk_db_status st;
	json_t *v = panel_view(req, cid, &st);
	if (v == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 200, v);
}

void panel_put(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	json_t *ids = NULL;
	bool has_ids;
	struct sk_field fields[] = { SK_ARRAY_OPT("panelist_ids", &ids, &has_ids), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	size_t n = json_array_size(ids);
	if (!has_ids || n > MAX_PANEL) {
		sk_reply_error(req, 400, "invalid_field", "panelist_ids", "Give panelist_ids: a list of up to %d account ids.", MAX_PANEL);
		return;
	}
	int64_t accounts[MAX_PANEL];
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(ids, i);
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			sk_reply_error(req, 400, "invalid_field", "panelist_ids", "panelist_ids holds account ids.");
			return;
		}
		accounts[i] = json_integer_value(v);
	}
	enum sk_db_status st = sk_db_panel_set(req->db, cid, req->session.account_id, accounts, n, req->ip);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	json_t *v = panel_view(req, cid, &st);
	if (v == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 200, v);
}

/* Index of id in the sorted ids, or n when absent. */
static size_t bsearch_index(const int64_t *ids, size_t n, int64_t id)
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

void assignments_create(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	const char *mode;
	int64_t k = 0, seed = 1;
	bool has_k, has_seed;
	struct sk_field fields[] = {
		SK_STRING("mode", &mode, 1, 8),
		SK_INT_OPT("k", &k, 1, MAX_PANEL, &has_k),
		SK_INT_OPT("seed", &seed, 0, INT64_MAX, &has_seed),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	bool all = !strcmp(mode, "all");
	if (!all && (strcmp(mode, "k") || !has_k)) {
		sk_reply_error(req, 400, "invalid_field", "mode", "mode is 'all', or 'k' with k reviews per proposal.");
		return;
	}
	PGresult *pr, *pn, *cf;
	enum sk_db_status st = sk_db_assignment_inputs(req->db, cid, &pr, &pn, &cf);
	if (st != SK_DB_OK) {
		PQclear(pr);
		PQclear(pn);
		PQclear(cf);
		sk_reply_db_error(req, st);
		return;
	}
	size_t P = (size_t)PQntuples(pr), N = (size_t)PQntuples(pn);
	int64_t *pids = calloc(P + 1, sizeof *pids), *nids = calloc(N + 1, sizeof *nids);
	bool *conflict = calloc(P * N + 1, sizeof *conflict);
	for (size_t i = 0; i < P; i++)
		pids[i] = sk_db_i64(pr, (int)i, "id");
	for (size_t j = 0; j < N; j++)
		nids[j] = sk_db_i64(pn, (int)j, "account_id");
	for (int x = 0; x < PQntuples(cf); x++) {
		size_t i = bsearch_index(pids, P, sk_db_i64(cf, x, "proposal_id"));
		size_t j = bsearch_index(nids, N, sk_db_i64(cf, x, "panelist_id"));
		if (i < P && j < N)
			conflict[i * N + j] = true;
	}
	PQclear(pr);
	PQclear(pn);
	PQclear(cf);
	struct sk_assign_problem problem = { P, N, all ? N : (size_t)k, conflict, (uint64_t)seed };
	struct sk_assign_result result;
	if (N == 0 || !sk_assign(&problem, &result)) {
		free(pids);
		free(nids);
		free(conflict);
		if (N == 0)
			sk_reply_error(req, 409, "no_panel", NULL, "Name the panel first.");
		else
			sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return;
	}
	size_t total = 0;
	for (size_t x = 0; x < P * N; x++)
		total += result.assigned[x];
	int64_t *ap = calloc(total + 1, sizeof *ap), *aq = calloc(total + 1, sizeof *aq);
	size_t w = 0;
	for (size_t i = 0; i < P; i++)
		for (size_t j = 0; j < N; j++)
			if (result.assigned[i * N + j]) {
				ap[w] = pids[i];
				aq[w++] = nids[j];
			}
	st = sk_db_assignments_replace(req->db, cid, req->session.account_id, ap, aq, total, req->ip);
	json_t *uncovered = json_array();
	for (size_t u = 0; !all && u < result.nuncovered; u++) /* with 'all', fewer reviewers is only conflicts */
		json_array_append_new(uncovered, json_integer(pids[result.uncovered[u]]));
	json_t *v = json_pack("{s:I,s:I,s:o,s:I,s:I}", "assigned", (json_int_t)total, "reviews_per_proposal",
			      (json_int_t)problem.k, "uncovered", uncovered, "min_load", (json_int_t)result.min_load, "max_load",
			      (json_int_t)result.max_load);
	sk_assign_result_free(&result);
	free(ap);
	free(aq);
	free(pids);
	free(nids);
	free(conflict);
	if (st != SK_DB_OK) {
		json_decref(v);
		reply_rule(req, st);
		return;
	}
	sk_reply_json(req, 200, v);
}

void assignments_move(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	int64_t pid, from, to;
	struct sk_field fields[] = {
		SK_INT("proposal_id", &pid, 1, INT64_MAX),
		SK_INT("from_panelist_id", &from, 1, INT64_MAX),
		SK_INT("to_panelist_id", &to, 1, INT64_MAX),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	enum sk_db_status st = sk_db_assignment_move(req->db, cid, pid, from, to, req->session.account_id, req->ip);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:I,s:I}", "proposal_id", (json_int_t)pid, "panelist_id", (json_int_t)to));
}

void panel_progress(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_progress(req->db, cid, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(sk_db_str(r, 0, "json"), 0, NULL);
	PQclear(r);
	sk_reply_json(req, 200, v ? v : json_object());
}

void panel_lock(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	bool allow = false, has_allow, has_note;
	const char *note = NULL;
	struct sk_field fields[] = {
		SK_BOOL_OPT("allow_missing", &allow, &has_allow),
		SK_TEXT_OPT("note", &note, 1, 2000, &has_note),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	char *json;
	enum sk_db_status st = sk_db_panel_lock(req->db, cid, req->session.account_id, allow, note, req->now, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	sk_reply_json(req, 200, v ? v : json_object());
}

void score_record_get(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	struct sk_chain_report rep;
	enum sk_db_status st = sk_db_score_record_verify(req->db, cid, &rep);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *broken = rep.ok ? json_null()
				: json_pack("{s:I,s:I,s:I,s:s}", "event_id", (json_int_t)rep.broken_id, "seq",
					    (json_int_t)rep.broken_seq, "review_id", (json_int_t)rep.broken_review, "why", rep.why);
	sk_reply_json(req, 200, json_pack("{s:b,s:I,s:I,s:s,s:o}", "ok", rep.ok, "verified_events", (json_int_t)rep.length,
					  "unsealed_events", (json_int_t)rep.unsealed, "head", rep.head, "first_broken", broken));
}

/*
 * True when the caller holds the panelist role now (role grants are read on every request, so a
 * revoked role stops here at once) in the ward of the path's call (of_proposal false) or of the
 * path's proposal. Otherwise replies 403 when the caller holds it in no ward, 404 when the call or
 * proposal does not exist or lies in a ward where the caller is no panelist, and returns false.
 */
static bool panelist_of_path(struct sk_request *req, bool of_proposal)
{
	if (!sk_require_role(req, 0, SK_ROLE_PANELIST))
		return false;
	int64_t id = sk_param_id(req, 0), ward = 0;
	if (id != 0 && !of_proposal) {
		ward = campaign_ward(req, id);
		if (ward == 0)
			return false;
	} else if (id != 0) {
		char i[24];
		const char *p[] = { sk_db_i64str(i, id) };
		PGresult *r;
		enum sk_db_status st = sk_db_exec(req->db, "proposal_ward",
						  "SELECT k.ward_id FROM proposals q JOIN campaigns k ON k.id = q.campaign_id"
						  " WHERE q.id = $1",
						  1, p, &r);
		if (st != SK_DB_OK && st != SK_DB_NOROWS) {
			sk_reply_db_error(req, st);
			return false;
		}
		ward = st == SK_DB_OK ? sk_db_i64(r, 0, "ward_id") : 0;
		PQclear(r);
	}
	if (ward != 0 && sk_has_role(req, ward, SK_ROLE_PANELIST))
		return true;
	sk_reply_error(req, 404, "not_found", NULL,
		       of_proposal ? "There is no such proposal in your work list." : "You are not on this call's panel.");
	return false;
}

/* True when the caller is on the panel of campaign cid; replies 404 otherwise. */
static bool on_panel(struct sk_request *req, int64_t cid)
{
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, req->session.account_id) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(req->db, "on_panel",
					  "SELECT 1 AS yes FROM panelists WHERE campaign_id = $1 AND account_id = $2", 2, p, &r);
	PQclear(r);
	if (st == SK_DB_OK)
		return true;
	if (st == SK_DB_NOROWS)
		sk_reply_error(req, 404, "not_found", NULL, "You are not on this call's panel.");
	else
		sk_reply_db_error(req, st);
	return false;
}

void worklist_get(struct sk_request *req)
{
	int64_t cid = sk_param_id(req, 0);
	if (!panelist_of_path(req, false) || !on_panel(req, cid))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_worklist(req->db, cid, req->session.account_id, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	reply_rows_json(req, r, "proposals");
}

void appraisal_get(struct sk_request *req)
{
	if (!panelist_of_path(req, true))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_appraisal(req->db, sk_param_id(req, 0), req->session.account_id, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such proposal in your work list.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_pack("{s:o,s:o,s:o,s:o,s:b}", "proposal", json_loads(sk_db_str(r, 0, "json"), 0, NULL), "criteria",
			      json_loads(sk_db_str(r, 0, "criteria"), 0, NULL), "review",
			      sk_db_isnull(r, 0, "review") ? json_null() : json_loads(sk_db_str(r, 0, "review"), 0, NULL),
			      "other_reviews",
			      sk_db_isnull(r, 0, "others") ? json_null() : json_loads(sk_db_str(r, 0, "others"), 0, NULL),
			      "locked", sk_db_bool(r, 0, "locked") || strcmp(sk_db_str(r, 0, "state"), "appraisal") != 0);
	PQclear(r);
	sk_reply_json(req, 200, v);
}

void review_put(struct sk_request *req)
{
	/* The panelist role in the proposal's ward is checked by review_save, with the assignment: one
	 * round trip per write instead of two. */
	if (!sk_require_role(req, 0, SK_ROLE_PANELIST))
		return;
	int64_t pid = sk_param_id(req, 0), version = 0;
	json_t *scores = NULL;
	const char *comment = "", *reason = NULL;
	bool submit = false, has_scores, has_comment, has_submit, has_reason;
	struct sk_field fields[] = {
		SK_ARRAY_OPT("scores", &scores, &has_scores),
		SK_TEXT_OPT("overall_comment", &comment, 0, 4000, &has_comment),
		SK_INT("version", &version, 0, INT32_MAX),
		SK_BOOL_OPT("submit", &submit, &has_submit),
		SK_TEXT_OPT("reason", &reason, 1, 1000, &has_reason),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	if (!has_comment)
		comment = "";
	/* Comments per criterion are text like any other: NFC, no control characters. */
	size_t i;
	json_t *item;
	json_array_foreach(scores, i, item) {
		json_t *c = json_object_get(item, "comment");
		if (!json_is_object(item) || json_object_size(item) > 3 || !json_is_integer(json_object_get(item, "criterion_id")) ||
		    !json_is_integer(json_object_get(item, "score"))) {
			sk_reply_error(req, 400, "invalid_field", "scores",
				       "Each score is {criterion_id, score, comment} with whole numbers.");
			return;
		}
		if (c != NULL && !json_is_null(c)) {
			const char *clean = sk_json_text(req, c, "scores.comment", 0, 2000, SK_TEXT_MULTI_LINE);
			if (clean == NULL)
				return;
			json_object_set_new(item, "comment", json_string(clean));
		}
	}
	char *scores_text = has_scores ? json_dumps(scores, JSON_COMPACT) : strdup("[]");
	char *json;
	enum sk_db_status st = sk_db_review_save(req->db, pid, req->session.account_id, req->now, version, scores_text,
						 comment, submit, has_reason ? reason : NULL, req->ip, &json);
	free(scores_text);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	sk_reply_json(req, 200, json_pack("{s:o}", "review", v ? v : json_object()));
}

void conflict_post(struct sk_request *req)
{
	if (!panelist_of_path(req, true))
		return;
	const char *reason;
	struct sk_field fields[] = { SK_TEXT("reason", &reason, 1, 1000), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	enum sk_db_status st =
		sk_db_conflict_declare(req->db, sk_param_id(req, 0), req->session.account_id, reason, req->now, req->ip);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	sk_reply_empty(req, 204);
}

/* GET /campaigns/{id}/assignments: who reviews what, and how far each review is (no scores). */
void assignments_get(struct sk_request *req)
{
	int64_t cid = led_campaign(req);
	if (cid == 0)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_assignments_view(req->db, cid, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(sk_db_str(r, 0, "json"), 0, NULL);
	PQclear(r);
	if (v == NULL) {
		sk_reply_db_error(req, SK_DB_ERROR);
		return;
	}
	sk_reply_json(req, 200, v);
}
