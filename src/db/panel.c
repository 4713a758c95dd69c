#include "db/panel.h"

#include "domain/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "{1,2,3}" */
static char *id_array(const int64_t *ids, size_t n)
{
	char *s = malloc(n * 21 + 3);
	if (s == NULL)
		return NULL;
	size_t w = 0;
	s[w++] = '{';
	for (size_t i = 0; i < n; i++)
		w += (size_t)sprintf(s + w, "%s%lld", i ? "," : "", (long long)ids[i]);
	s[w++] = '}';
	s[w] = '\0';
	return s;
}

enum sk_db_status sk_db_panel_set(struct sk_dbconn *c, int64_t cid, int64_t actor, const int64_t *ids, size_t n,
				  const char *ip)
{
	char a[24], b[24];
	char *arr = id_array(ids, n);
	if (arr == NULL)
		return SK_DB_ERROR;
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), arr, ip };
	enum sk_db_status st = sk_db_exec(c, "panel_set", "SELECT panel_set($1, $2, $3::bigint[], $4::inet)", 4, p, NULL);
	free(arr);
	return st;
}

enum sk_db_status sk_db_panel_members(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "panel_members",
			  "SELECT pn.account_id, a.display_name FROM panelists pn JOIN accounts a ON a.id = pn.account_id"
			  " WHERE pn.campaign_id = $1 ORDER BY a.display_name, pn.account_id",
			  1, p, res);
}

enum sk_db_status sk_db_conflict_declare(struct sk_dbconn *c, int64_t pid, int64_t panelist, const char *reason,
					 int64_t now, const char *ip)
{
	char a[24], b[24], n[24];
	const char *p[] = { sk_db_i64str(a, pid), sk_db_i64str(b, panelist), reason, sk_db_i64str(n, now), ip };
	return sk_db_exec(c, "conflict_declare", "SELECT conflict_declare($1, $2, $3, to_timestamp($4), $5::inet)", 5, p,
			  NULL);
}

enum sk_db_status sk_db_conflicts(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "conflicts_list",
			  "SELECT x.proposal_id, p.tracking_code, x.panelist_id, a.display_name, x.kind, x.reason"
			  " FROM panel_conflicts x JOIN proposals p ON p.id = x.proposal_id"
			  " JOIN accounts a ON a.id = x.panelist_id WHERE x.campaign_id = $1 AND p.status = 'submitted'"
			  " ORDER BY x.proposal_id, x.panelist_id, x.kind",
			  1, p, res);
}

enum sk_db_status sk_db_assignment_inputs(struct sk_dbconn *c, int64_t cid, PGresult **proposals, PGresult **panelists,
					  PGresult **conflicts)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	*proposals = *panelists = *conflicts = NULL;
	enum sk_db_status st = sk_db_exec(c, "assign_proposals",
					  "SELECT id FROM proposals WHERE campaign_id = $1 AND status = 'submitted' ORDER BY id",
					  1, p, proposals);
	if (st != SK_DB_OK && st != SK_DB_NOROWS)
		return st;
	st = sk_db_exec(c, "assign_panelists",
			"SELECT account_id FROM panelists WHERE campaign_id = $1 ORDER BY account_id", 1, p, panelists);
	if (st != SK_DB_OK && st != SK_DB_NOROWS)
		return st;
	st = sk_db_exec(c, "assign_conflicts",
			"SELECT DISTINCT proposal_id, panelist_id FROM panel_conflicts WHERE campaign_id = $1", 1, p,
			conflicts);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_assignments_replace(struct sk_dbconn *c, int64_t cid, int64_t actor, const int64_t *proposals,
					    const int64_t *panelists, size_t n, const char *ip)
{
	char a[24], b[24];
	char *pa = id_array(proposals, n), *qa = id_array(panelists, n);
	enum sk_db_status st = SK_DB_ERROR;
	if (pa && qa) {
		const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), pa, qa, ip };
		st = sk_db_exec(c, "assignments_replace",
				"SELECT assignments_replace($1, $2, $3::bigint[], $4::bigint[], $5::inet)", 5, p, NULL);
	}
	free(pa);
	free(qa);
	return st;
}

enum sk_db_status sk_db_assignment_move(struct sk_dbconn *c, int64_t cid, int64_t pid, int64_t from, int64_t to,
					int64_t actor, const char *ip)
{
	char b[5][24];
	const char *p[] = { sk_db_i64str(b[0], cid), sk_db_i64str(b[1], pid), sk_db_i64str(b[2], from),
			    sk_db_i64str(b[3], to), sk_db_i64str(b[4], actor), ip };
	return sk_db_exec(c, "assignment_move", "SELECT assignment_move($1, $2, $3, $4, $5, $6::inet)", 6, p, NULL);
}

enum sk_db_status sk_db_worklist(struct sk_dbconn *c, int64_t cid, int64_t panelist, PGresult **res)
{
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, panelist) };
	return sk_db_exec(c, "worklist",
			  "SELECT (proposal_panel_json(p, c.blind_review) || jsonb_build_object('review',"
			  "  (SELECT jsonb_build_object('status', r.status, 'version', r.version) FROM reviews r"
			  "   WHERE r.proposal_id = p.id AND r.panelist_id = $2)))::text AS json"
			  " FROM assignments x JOIN proposals p ON p.id = x.proposal_id JOIN campaigns c ON c.id = p.campaign_id"
			  " WHERE x.campaign_id = $1 AND x.panelist_id = $2 AND p.status = 'submitted'"
			  " AND NOT EXISTS (SELECT 1 FROM panel_conflicts k WHERE k.proposal_id = p.id AND k.panelist_id = $2)"
			  " ORDER BY p.id",
			  2, p, res);
}

enum sk_db_status sk_db_appraisal(struct sk_dbconn *c, int64_t pid, int64_t panelist, PGresult **res)
{
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, pid), sk_db_i64str(b, panelist) };
	return sk_db_exec(
		c, "appraisal",
		"WITH mine AS (SELECT * FROM reviews WHERE proposal_id = $1 AND panelist_id = $2)"
		" SELECT p.campaign_id, c.state, c.panel_locked_at IS NOT NULL AS locked,"
		"  proposal_panel_json(p, c.blind_review)::text AS json,"
		"  (SELECT jsonb_agg(jsonb_build_object('id', k.id, 'position', k.position, 'name', k.name,"
		"    'description', k.description, 'weight', k.weight, 'max_score', k.max_score) ORDER BY k.position)"
		"   FROM criteria k WHERE k.campaign_id = p.campaign_id)::text AS criteria,"
		"  (SELECT review_json(m) FROM mine m)::text AS review,"
		"  CASE WHEN (SELECT status FROM mine) = 'submitted' THEN coalesce((SELECT jsonb_agg(review_json(o)"
		"    - 'id' - 'version' ORDER BY o.id) FROM reviews o WHERE o.proposal_id = $1 AND o.panelist_id <> $2"
		"    AND o.status = 'submitted'), '[]') END::text AS others"
		" FROM proposals p JOIN campaigns c ON c.id = p.campaign_id"
		" JOIN assignments x ON x.proposal_id = p.id AND x.panelist_id = $2"
		" WHERE p.id = $1 AND p.status = 'submitted' AND c.state IN ('appraisal', 'decided', 'published')"
		" AND NOT EXISTS (SELECT 1 FROM panel_conflicts k WHERE k.proposal_id = p.id AND k.panelist_id = $2)",
		2, p, res);
}

enum sk_db_status sk_db_review_save(struct sk_dbconn *c, int64_t pid, int64_t panelist, int64_t now, int64_t version,
				    const char *scores_json, const char *comment, bool submit, const char *reason,
				    const char *ip, char **json)
{
	char b[4][24];
	const char *p[] = { sk_db_i64str(b[0], pid), sk_db_i64str(b[1], panelist), sk_db_i64str(b[2], now),
			    sk_db_i64str(b[3], version), scores_json, comment, submit ? "true" : "false", reason, ip };
	return sk_db_json(c, "review_save",
			  "SELECT review_save($1, $2, to_timestamp($3), $4, $5::jsonb, $6, $7, $8, $9::inet)::text", 9, p, json);
}

enum sk_db_status sk_db_progress(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	enum sk_db_status st = sk_db_score_seal(c, cid); /* the chain head it shows covers every event */
	if (st != SK_DB_OK) {
		*res = NULL;
		return st;
	}
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "panel_progress", "SELECT panel_progress($1)::text AS json", 1, p, res);
}

enum sk_db_status sk_db_panel_lock(struct sk_dbconn *c, int64_t cid, int64_t actor, bool allow_missing, const char *note,
				   int64_t now, const char *ip, char **json)
{
	char a[24], b[24], n[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), allow_missing ? "true" : "false", note,
			    sk_db_i64str(n, now), ip };
	return sk_db_json(c, "panel_lock", "SELECT panel_lock($1, $2, $3, $4, to_timestamp($5), $6::inet)::text", 6, p,
			  json);
}

enum sk_db_status sk_db_score_seal(struct sk_dbconn *c, int64_t cid)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "score_seal", "SELECT score_seal($1) AS sealed", 1, p, NULL);
}

enum sk_db_status sk_db_score_events(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "score_events",
			  "SELECT s.event_id AS id, s.seq, e.content, s.prev_hash, s.hash"
			  " FROM score_seals s LEFT JOIN score_events e ON e.id = s.event_id AND e.campaign_id = s.campaign_id"
			  " WHERE s.campaign_id = $1 ORDER BY s.seq",
			  1, p, res);
}

enum sk_db_status sk_db_score_campaigns(struct sk_dbconn *c, PGresult **res)
{
	return sk_db_exec(c, "score_campaigns",
			  "SELECT campaign_id FROM score_events UNION SELECT campaign_id FROM score_seals ORDER BY 1", 0,
			  NULL, res);
}

/* The checks of sk_db_score_record_verify, inside its read-only snapshot. */
static enum sk_db_status verify_in_snapshot(struct sk_dbconn *db, int64_t cid, struct sk_chain_report *report)
{
	PGresult *r;
	enum sk_db_status st = sk_db_score_events(db, cid, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS)
		return st;
	size_t n = (size_t)PQntuples(r);
	struct sk_chain_event *ev = calloc(n + 1, sizeof *ev);
	if (ev == NULL) {
		PQclear(r);
		return SK_DB_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		ev[i] = (struct sk_chain_event){ sk_db_i64(r, (int)i, "id"), sk_db_i64(r, (int)i, "seq"),
						 sk_db_isnull(r, (int)i, "content") ? NULL : sk_db_str(r, (int)i, "content"),
						 sk_db_str(r, (int)i, "prev_hash"), sk_db_str(r, (int)i, "hash") };
	sk_chain_verify(ev, n, report);
	free(ev);
	PQclear(r);
	if (!report->ok)
		return SK_DB_OK;
	/* The stored head must be where the recomputed chain ends: deleting the newest events shows here. */
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	st = sk_db_exec(db, "score_chain_head", "SELECT head, length FROM score_chains WHERE campaign_id = $1", 1, p, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS)
		return st;
	bool head_ok = st == SK_DB_NOROWS ? report->length == 0
					  : !strcmp(sk_db_str(r, 0, "head"), report->head) &&
						    sk_db_i64(r, 0, "length") == (int64_t)report->length;
	PQclear(r);
	if (!head_ok) {
		report->ok = false;
		report->broken_seq = (int64_t)report->length + 1;
		report->why = "the record ends before its stored head: events are missing";
		return SK_DB_OK;
	}
	/*
	 * Every event is sealed, or waits for the sealer (score_pending): an event with neither was
	 * taken out of the chain's reach.
	 */
	st = sk_db_exec(db, "score_unsealed",
			"SELECT e.id, EXISTS (SELECT 1 FROM score_pending q WHERE q.event_id = e.id"
			"  AND q.campaign_id = e.campaign_id) AS pending"
			" FROM score_events e WHERE e.campaign_id = $1"
			" AND NOT EXISTS (SELECT 1 FROM score_seals s WHERE s.event_id = e.id AND s.campaign_id = e.campaign_id)"
			" ORDER BY e.id",
			1, p, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		if (sk_db_bool(r, i, "pending")) {
			report->unsealed++;
		} else if (report->ok) {
			report->ok = false;
			report->broken_id = sk_db_i64(r, i, "id");
			report->broken_seq = 0;
			report->why = "the event is not in the chain and not waiting to be sealed";
		}
	}
	PQclear(r);
	if (!report->ok)
		return SK_DB_OK;
	/* The reviews the ranking reads must hold the scores of their newest recorded event. */
	st = sk_db_exec(db, "reviews_off_record", "SELECT review_id, event_id FROM reviews_off_record($1)", 1, p, &r);
	if (st == SK_DB_OK) {
		report->ok = false;
		report->broken_id = sk_db_i64(r, 0, "event_id");
		report->broken_review = sk_db_i64(r, 0, "review_id");
		report->why = "a review's current scores differ from its newest recorded event";
	}
	PQclear(r);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

/*
 * Seals campaign cid's pending events, then verifies its score record in one read-only snapshot (so
 * that the sealer running meanwhile cannot make the chain and its stored head disagree).
 */
enum sk_db_status sk_db_score_record_verify(struct sk_dbconn *db, int64_t cid, struct sk_chain_report *report)
{
	memset(report, 0, sizeof *report);
	enum sk_db_status st = sk_db_score_seal(db, cid);
	if (st != SK_DB_OK)
		return st;
	st = sk_db_simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st != SK_DB_OK)
		return st;
	st = verify_in_snapshot(db, cid, report);
	enum sk_db_status end = sk_db_simple(db, st == SK_DB_OK ? "COMMIT" : "ROLLBACK");
	return st == SK_DB_OK ? end : st;
}

enum sk_db_status sk_db_assignments_view(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	/* One pass over the call's assignments and one over its conflicts, grouped by proposal. */
	return sk_db_exec(
		c, "assignments_view",
		"WITH revised AS (SELECT DISTINCT review_id FROM score_events WHERE campaign_id = $1 AND kind = 'revise'),"
		" rv AS (SELECT x.proposal_id, jsonb_agg(jsonb_build_object('panelist_id', x.panelist_id,"
		"   'display_name', a.display_name, 'state', CASE WHEN r.id IS NULL THEN 'not_started'"
		"    WHEN r.status = 'draft' THEN 'draft' WHEN v.review_id IS NOT NULL THEN 'revised' ELSE 'submitted' END)"
		"   ORDER BY a.display_name, x.panelist_id) AS reviewers"
		"  FROM assignments x JOIN accounts a ON a.id = x.panelist_id"
		"  LEFT JOIN reviews r ON r.proposal_id = x.proposal_id AND r.panelist_id = x.panelist_id"
		"  LEFT JOIN revised v ON v.review_id = r.id"
		"  WHERE x.campaign_id = $1 GROUP BY x.proposal_id),"
		" cf AS (SELECT k.proposal_id, jsonb_agg(jsonb_build_object('panelist_id', k.panelist_id,"
		"   'display_name', a.display_name, 'kind', k.kind) ORDER BY a.display_name, k.panelist_id, k.kind) AS conflicts"
		"  FROM panel_conflicts k JOIN accounts a ON a.id = k.panelist_id"
		"  WHERE k.campaign_id = $1 GROUP BY k.proposal_id)"
		" SELECT jsonb_build_object("
		"  'panelists', coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', pn.account_id,"
		"    'display_name', a.display_name) ORDER BY a.display_name, pn.account_id)"
		"   FROM panelists pn JOIN accounts a ON a.id = pn.account_id WHERE pn.campaign_id = $1), '[]'),"
		"  'proposals', coalesce((SELECT jsonb_agg(jsonb_build_object('proposal_id', p.id,"
		"    'tracking_code', p.tracking_code, 'title', p.title, 'reviewers', coalesce(rv.reviewers, '[]'),"
		"    'conflicts', coalesce(cf.conflicts, '[]')) ORDER BY p.id)"
		"   FROM proposals p LEFT JOIN rv ON rv.proposal_id = p.id LEFT JOIN cf ON cf.proposal_id = p.id"
		"   WHERE p.campaign_id = $1 AND p.status = 'submitted'), '[]')"
		" )::text AS json",
		1, p, res);
}
