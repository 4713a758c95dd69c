#include "db/decisions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONE_ID(name, sql)                                                                            \
	char a_[24];                                                                                  \
	const char *p_[] = { sk_db_i64str(a_, cid) };                                                 \
	return sk_db_exec(c, name, sql, 1, p_, res)

enum sk_db_status sk_db_decision_campaign(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("decision_campaign",
	       "SELECT c.ward_id, c.state, c.ranking_method, c.config_digest, c.panel_locked_at IS NOT NULL AS locked,"
	       " c.title, (SELECT head FROM score_chains s WHERE s.campaign_id = c.id) AS chain_head"
	       " FROM campaigns c WHERE c.id = $1");
}

enum sk_db_status sk_db_rank_criteria(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("rank_criteria",
	       "SELECT id, name, weight::float8 AS weight, max_score FROM criteria WHERE campaign_id = $1 ORDER BY position");
}

enum sk_db_status sk_db_rank_proposals(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("rank_proposals",
	       "SELECT p.id, p.tracking_code, p.title, coalesce(g.name, '') AS group_name FROM proposals p"
	       " LEFT JOIN residential_groups g ON g.id = p.group_id"
	       " WHERE p.campaign_id = $1 AND p.status = 'submitted' ORDER BY p.id");
}

enum sk_db_status sk_db_rank_reviews(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("rank_reviews",
	       "SELECT r.proposal_id, r.panelist_id, r.overall_comment,"
	       " (SELECT string_agg(coalesce(s.score::text, ''), ',' ORDER BY k.position) FROM criteria k"
	       "  LEFT JOIN review_scores s ON s.review_id = r.id AND s.criterion_id = k.id WHERE k.campaign_id = r.campaign_id) AS scores"
	       " FROM reviews r JOIN proposals p ON p.id = r.proposal_id"
	       " WHERE r.campaign_id = $1 AND r.status = 'submitted' AND p.status = 'submitted'"
	       " ORDER BY r.proposal_id, r.panelist_id");
}

enum sk_db_status sk_db_awards(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("awards_list", "SELECT position, name, count FROM awards WHERE campaign_id = $1 ORDER BY position");
}

enum sk_db_status sk_db_awards_public(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	ONE_ID("awards_public",
	       "SELECT a.position, a.name, a.count FROM campaigns c LEFT JOIN awards a ON a.campaign_id = c.id"
	       " WHERE c.id = $1 AND c.state <> 'draft' ORDER BY a.position");
}

enum sk_db_status sk_db_awards_set(struct sk_dbconn *c, int64_t cid, int64_t actor, const char *json, const char *ip)
{
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), json, ip };
	return sk_db_exec(c, "awards_set",
			  "WITH c AS (SELECT id, ward_id FROM campaigns WHERE id = $1"
			  "   AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.campaign_id = $1)),"
			  " chk AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM c) THEN rule('decision_made') END),"
			  " del AS (DELETE FROM awards WHERE campaign_id = (SELECT id FROM c) AND (SELECT count(*) FROM chk) >= 0),"
			  " ins AS (INSERT INTO awards (campaign_id, ward_id, position, name, count)"
			  "   SELECT c.id, c.ward_id, e.ordinality, e.value ->> 'name', (e.value ->> 'count')::integer"
			  "   FROM c, jsonb_array_elements($3::jsonb) WITH ORDINALITY e RETURNING 1)"
			  " INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)"
			  " SELECT $2, c.ward_id, 'awards_set', 'campaign:' || c.id, $4::inet, $3::jsonb FROM c",
			  4, p, NULL);
}

enum sk_db_status sk_db_decision_create(struct sk_dbconn *c, int64_t cid, int64_t actor, const char *method,
					const char *inputs_digest, const char *snapshot, const char *correction_reason,
					int64_t now, const char *ip, int64_t *decision_id)
{
	char a[24], b[24], n[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), method, inputs_digest, snapshot,
			    correction_reason, sk_db_i64str(n, now), ip };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "decision_create",
					  "SELECT decision_create($1, $2, $3, $4, $5::jsonb, $6, to_timestamp($7), $8::inet) AS id",
					  8, p, &r);
	if (st == SK_DB_OK)
		*decision_id = sk_db_i64(r, 0, "id");
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_decision_publish(struct sk_dbconn *c, int64_t cid, int64_t actor, int64_t now, const char *ip)
{
	char a[24], b[24], n[24];
	const char *p[] = { sk_db_i64str(a, cid), sk_db_i64str(b, actor), sk_db_i64str(n, now), ip };
	return sk_db_exec(c, "decision_publish", "SELECT decision_publish($1, $2, to_timestamp($3), $4::inet)", 4, p, NULL);
}

enum sk_db_status sk_db_decision_latest(struct sk_dbconn *c, int64_t cid, bool published_only, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid), published_only ? "true" : "false" };
	return sk_db_exec(c, "decision_latest",
			  "SELECT id, version, snapshot::text AS snapshot, published_at IS NOT NULL AS published,"
			  " iso(decided_at) AS decided_at, iso(published_at) AS published_at, correction_reason"
			  " FROM decisions WHERE campaign_id = $1 AND (NOT $2 OR published_at IS NOT NULL)"
			  " ORDER BY version DESC LIMIT 1",
			  2, p, res);
}

enum sk_db_status sk_db_decision_latest_id(struct sk_dbconn *c, int64_t cid, int64_t *id)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "decision_latest_id",
					  "SELECT id FROM decisions WHERE campaign_id = $1 AND published_at IS NOT NULL"
					  " ORDER BY version DESC LIMIT 1",
					  1, p, &r);
	*id = st == SK_DB_OK ? sk_db_i64(r, 0, "id") : 0;
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_models_list(struct sk_dbconn *c, int64_t ward, const char *stage, const char *tag,
				    const char *folded, PGresult **res)
{
	char w[24];
	const char *p[] = { ward ? sk_db_i64str(w, ward) : NULL, stage, tag, folded };
	return sk_db_exec(c, "models_list",
			  "SELECT model_json(m)::text AS json FROM models m"
			  " WHERE m.award IS NOT NULL AND ($1::bigint IS NULL OR m.ward_id = $1)"
			  " AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM adoptions a WHERE a.model_id = m.id AND a.stage = $2))"
			  " AND ($3::text IS NULL OR $3 = ANY (m.tags))"
			  " AND ($4::text IS NULL OR m.search_text LIKE '%' || $4 || '%')"
			  /* newest publication first; within one call, award order, then rank (sql/014) */
			  " ORDER BY (SELECT d.published_at FROM decisions d WHERE d.id = m.decision_id) DESC, m.campaign_id DESC,"
			  " m.award_position NULLS LAST, m.rank NULLS LAST, m.id LIMIT 500",
			  4, p, res);
}

enum sk_db_status sk_db_model_get(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, id) };
	return sk_db_exec(c, "model_get",
			  "SELECT model_json(m)::text AS json, coalesce((SELECT jsonb_agg(adoption_json(a) ORDER BY a.id)"
			  " FROM adoptions a WHERE a.model_id = m.id), '[]')::text AS adoptions FROM models m WHERE m.id = $1",
			  1, p, res);
}

static enum sk_db_status adoption_save(struct sk_dbconn *c, int64_t id, int64_t model, int64_t ward, int64_t actor,
				       const struct sk_adoption_in *in, int64_t now, const char *ip, char **json)
{
	char b[8][24];
	const char *p[] = { id ? sk_db_i64str(b[0], id) : NULL, model ? sk_db_i64str(b[1], model) : NULL,
			    ward ? sk_db_i64str(b[2], ward) : NULL, sk_db_i64str(b[3], actor),
			    in->group_id ? sk_db_i64str(b[4], in->group_id) : NULL, in->started_on, in->stage,
			    in->households >= 0 ? sk_db_i64str(b[5], in->households) : NULL,
			    in->cost_vnd >= 0 ? sk_db_i64str(b[6], in->cost_vnd) : NULL, in->notes,
			    sk_db_i64str(b[7], in->version), NULL, ip };
	char n[24];
	p[11] = sk_db_i64str(n, now);
	return sk_db_json(c, "adoption_save",
			  "SELECT adoption_save($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, to_timestamp($12), $13::inet)::text",
			  13, p, json);
}

enum sk_db_status sk_db_adoption_create(struct sk_dbconn *c, int64_t model, int64_t ward, int64_t actor,
					const struct sk_adoption_in *in, int64_t now, const char *ip, char **json)
{
	return adoption_save(c, 0, model, ward, actor, in, now, ip, json);
}

enum sk_db_status sk_db_adoption_ward(struct sk_dbconn *c, int64_t id, int64_t *ward)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, id) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "adoption_ward", "SELECT ward_id FROM adoptions WHERE id = $1", 1, p, &r);
	if (st == SK_DB_OK)
		*ward = sk_db_i64(r, 0, "ward_id");
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_adoption_update(struct sk_dbconn *c, int64_t id, int64_t actor, const struct sk_adoption_in *in,
					int64_t now, const char *ip, char **json)
{
	return adoption_save(c, id, 0, 0, actor, in, now, ip, json);
}
