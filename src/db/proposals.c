#include "db/proposals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sk_db_status sk_db_proposal_create(struct sk_dbconn *c, int64_t cid, int64_t author, int64_t helper,
					const char *consent_version, int64_t now, bool submit,
					const struct sk_proposal_in *in, const char *ip, char **json)
{
	char b[8][24];
	const char *p[] = { sk_db_i64str(b[0], cid), sk_db_i64str(b[1], author), helper ? sk_db_i64str(b[2], helper) : NULL,
			    consent_version, sk_db_i64str(b[3], now), submit ? "true" : "false",
			    in->group_id ? sk_db_i64str(b[4], in->group_id) : NULL, in->title, in->summary, in->problem,
			    in->model, in->beneficiaries, in->households >= 0 ? sk_db_i64str(b[5], in->households) : NULL,
			    in->resources, in->cost_vnd >= 0 ? sk_db_i64str(b[6], in->cost_vnd) : NULL, in->tags,
			    in->search_text, ip };
	return sk_db_json(c, "proposal_create",
		       "SELECT proposal_create($1, $2, $3, $4, to_timestamp($5), $6, $7, $8, $9, $10, $11, $12, $13,"
		       " $14, $15, $16::text[], $17, $18::inet)::text",
		       18, p, json);
}

enum sk_db_status sk_db_proposal_get(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	return sk_db_exec(c, "proposal_get",
			  "SELECT ward_id, campaign_id, author_id, helped_by, status, proposal_json(p)::text AS json"
			  " FROM proposals p WHERE id = $1",
			  1, p, res);
}

enum sk_db_status sk_db_proposal_update(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, int64_t version,
					const struct sk_proposal_in *in, const char *ip, char **json)
{
	char b[8][24];
	const char *p[] = { sk_db_i64str(b[0], id), sk_db_i64str(b[1], actor), sk_db_i64str(b[2], now),
			    sk_db_i64str(b[3], version), in->group_id ? sk_db_i64str(b[4], in->group_id) : NULL,
			    in->title, in->summary, in->problem, in->model, in->beneficiaries,
			    in->households >= 0 ? sk_db_i64str(b[5], in->households) : NULL, in->resources,
			    in->cost_vnd >= 0 ? sk_db_i64str(b[6], in->cost_vnd) : NULL, in->tags, in->search_text, ip };
	return sk_db_json(c, "proposal_update",
		       "SELECT proposal_update($1, $2, to_timestamp($3), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
		       " $14::text[], $15, $16::inet)::text",
		       16, p, json);
}

enum sk_db_status sk_db_proposal_set_status(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now,
					    const char *target, const char *ip, char **json)
{
	char b[3][24];
	const char *p[] = { sk_db_i64str(b[0], id), sk_db_i64str(b[1], actor), sk_db_i64str(b[2], now), target, ip };
	return sk_db_json(c, "proposal_set_status",
		       "SELECT proposal_set_status($1, $2, to_timestamp($3), $4, $5::inet)::text", 5, p, json);
}

enum sk_db_status sk_db_proposals_of(struct sk_dbconn *c, int64_t account, bool helper, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, account) };
	if (helper)
		return sk_db_exec(c, "proposals_helped",
				  "SELECT proposal_json(p)::text AS json FROM proposals p WHERE helped_by = $1"
				  " AND EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = $1"
				  "   AND g.ward_id = p.ward_id AND g.role = 'volunteer')"
				  " ORDER BY id DESC LIMIT 1000",
				  1, p, res);
	return sk_db_exec(c, "proposals_authored",
			  "SELECT proposal_json(p)::text AS json FROM proposals p WHERE author_id = $1"
			  " ORDER BY id DESC LIMIT 1000",
			  1, p, res);
}

enum sk_db_status sk_db_proposals_search(struct sk_dbconn *c, const struct sk_proposal_filter *f, PGresult **res)
{
	char b[4][24];
	const char *p[] = { sk_db_i64str(b[0], f->campaign_id), f->group_id ? sk_db_i64str(b[1], f->group_id) : NULL,
			    f->status, f->folded_query, f->raw_query, sk_db_i64str(b[2], f->after),
			    sk_db_i64str(b[3], f->limit) };
	return sk_db_exec(c, "proposals_search",
			  "SELECT id, proposal_json(p)::text AS json FROM proposals p"
			  " WHERE campaign_id = $1 AND ($2::bigint IS NULL OR group_id = $2)"
			  " AND (CASE WHEN $3::text IS NULL THEN status <> 'draft' ELSE status = $3 END)"
			  " AND ($4::text IS NULL OR search_text LIKE '%' || $4 || '%'"
			  "   OR tracking_code ILIKE '%' || $5 || '%')"
			  " AND ($6::bigint = 0 OR id < $6)"
			  " ORDER BY id DESC LIMIT $7",
			  7, p, res);
}

enum sk_db_status sk_db_proposal_track(struct sk_dbconn *c, const char *code, PGresult **res)
{
	const char *p[] = { code };
	return sk_db_exec(c, "proposal_track",
			  "SELECT p.tracking_code, p.status, p.campaign_id, c.title AS campaign_title,"
			  " iso(p.submitted_at) AS submitted_at, iso(p.updated_at) AS updated_at,"
			  " c.state AS campaign_state, iso(c.closes_at) AS closes_at,"
			  " (SELECT iso(max(d.published_at)) FROM decisions d WHERE d.campaign_id = c.id) AS results_published_at,"
			  " (SELECT m.award FROM models m WHERE m.proposal_id = p.id) AS award"
			  " FROM proposals p JOIN campaigns c ON c.id = p.campaign_id WHERE p.tracking_code = upper($1)",
			  1, p, res);
}

enum sk_db_status sk_db_attachment_add(struct sk_dbconn *c, int64_t proposal, int64_t actor, int64_t now,
				       const char *filename, const char *mime, const void *data, size_t size,
				       const char *sha256, const char *ip, char **json)
{
	char b[4][24];
	const char *p[] = { sk_db_i64str(b[0], proposal), sk_db_i64str(b[1], actor), sk_db_i64str(b[2], now),
			    filename, mime, data, sk_db_i64str(b[3], (int64_t)size), sha256, ip };
	int lengths[9] = { 0 }, formats[9] = { 0 };
	lengths[5] = (int)size;
	formats[5] = 1; /* the file goes as binary, not escaped text */
	PGresult *r;
	*json = NULL;
	enum sk_db_status st = sk_db_exec_bin(
		c, "attachment_add", "SELECT attachment_add($1, $2, to_timestamp($3), $4, $5, $6, $7, $8, $9::inet)::text",
		9, p, lengths, formats, 0, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	*json = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *json ? SK_DB_OK : SK_DB_ERROR;
}

enum sk_db_status sk_db_attachment_get(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	return sk_db_exec_bin(c, "attachment_get",
			      "SELECT proposal_id, filename, mime, size, content, sha256 FROM attachments WHERE id = $1", 1, p, NULL,
			      NULL, 1 /* binary results: the file as it is */, res);
}

enum sk_db_status sk_db_attachment_size_add(struct sk_dbconn *c, int64_t id, int long_side, const char *mime,
					    const void *data, size_t size, const char *sha256)
{
	char b[3][24];
	const char *p[] = { sk_db_i64str(b[0], id), sk_db_i64str(b[1], long_side), mime, data,
			    sk_db_i64str(b[2], (int64_t)size), sha256 };
	int lengths[6] = { 0 }, formats[6] = { 0 };
	lengths[3] = (int)size;
	formats[3] = 1;
	PGresult *r;
	enum sk_db_status st = sk_db_exec_bin(
		c, "attachment_size_add",
		"INSERT INTO attachment_sizes (attachment_id, long_side, mime, content, size, sha256)"
		" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
		6, p, lengths, formats, 0, &r);
	PQclear(r);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_attachment_size_get(struct sk_dbconn *c, int64_t id, int long_side, PGresult **res)
{
	char i[24], s[24];
	const char *p[] = { sk_db_i64str(i, id), sk_db_i64str(s, long_side) };
	return sk_db_exec_bin(c, "attachment_size_get",
			      "SELECT a.proposal_id, a.filename, z.mime, z.size, z.content, z.sha256 FROM attachments a"
			      " JOIN attachment_sizes z ON z.attachment_id = a.id AND z.long_side = $2 WHERE a.id = $1",
			      2, p, NULL, NULL, 1, res);
}

enum sk_db_status sk_db_attachment_delete(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, const char *ip)
{
	char b[3][24];
	const char *p[] = { sk_db_i64str(b[0], id), sk_db_i64str(b[1], actor), sk_db_i64str(b[2], now), ip };
	return sk_db_exec(c, "attachment_delete", "SELECT attachment_delete($1, $2, to_timestamp($3), $4::inet)", 4, p, NULL);
}

enum sk_db_status sk_db_proposal_publicity_set(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, bool photos,
					       bool contact, const char *ip, char **json)
{
	char b[3][24];
	const char *p[] = { sk_db_i64str(b[0], id), sk_db_i64str(b[1], actor), sk_db_i64str(b[2], now),
			    photos ? "true" : "false", contact ? "true" : "false", ip };
	return sk_db_json(c, "proposal_publicity_set",
		       "SELECT proposal_publicity_set($1, $2, to_timestamp($3), $4, $5, $6::inet)::text", 6, p, json);
}

enum sk_db_status sk_db_public_photo_get(struct sk_dbconn *c, int64_t id, int long_side, const char *hash32,
					 PGresult **res)
{
	char i[24], s[24];
	const char *p[] = { sk_db_i64str(i, id), sk_db_i64str(s, long_side), hash32 };
	return sk_db_exec_bin(c, "public_photo_get",
			      "SELECT z.content, z.sha256 FROM attachments a"
			      " JOIN attachment_sizes z ON z.attachment_id = a.id AND z.long_side = $2"
			      " WHERE a.id = $1 AND left(a.sha256, 32) = $3 AND a.mime LIKE 'image/%'"
			      " AND proposal_photos_public(a.proposal_id)",
			      3, p, NULL, NULL, 1, res);
}
