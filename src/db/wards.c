#include "db/wards.h"

#include "db/audit.h"

#include <stdio.h>

enum sk_db_status sk_db_wards_list(struct sk_dbconn *c, PGresult **res)
{
	return sk_db_exec(c, "wards_list",
			  "SELECT w.id, w.code, w.name, w.public_contact,"
			  " coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name)"
			  "   ORDER BY g.name) FROM residential_groups g WHERE g.ward_id = w.id AND g.retired_at IS NULL),"
			  "  '[]')::text AS groups"
			  " FROM wards w ORDER BY w.name",
			  0, NULL, res);
}

struct ward_ctx {
	int64_t actor, ward;
	const char *code, *name, *ip;
	int64_t id;
};

static enum sk_db_status ward_tx(struct sk_dbconn *c, void *vctx)
{
	struct ward_ctx *ctx = vctx;
	const char *p[] = { ctx->code, ctx->name };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "ward_create", "INSERT INTO wards (code, name) VALUES ($1, $2) RETURNING id", 2, p, &r);
	if (st != SK_DB_OK)
		return st;
	ctx->id = sk_db_i64(r, 0, "id");
	PQclear(r);
	char subject[48];
	snprintf(subject, sizeof subject, "ward:%lld", (long long)ctx->id);
	return sk_db_audit(c, ctx->actor, ctx->id, "ward_created", subject, ctx->ip, NULL);
}

enum sk_db_status sk_db_ward_create(struct sk_dbconn *c, int64_t actor, const char *code,
				    const char *name, const char *ip, int64_t *id)
{
	struct ward_ctx ctx = { .actor = actor, .code = code, .name = name, .ip = ip };
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", ward_tx, &ctx);
	*id = ctx.id;
	return st;
}

static enum sk_db_status group_tx(struct sk_dbconn *c, void *vctx)
{
	struct ward_ctx *ctx = vctx;
	char w[24];
	const char *p[] = { sk_db_i64str(w, ctx->ward), ctx->name };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "group_create",
		"INSERT INTO residential_groups (ward_id, name) VALUES ($1, $2) RETURNING id", 2, p, &r);
	if (st != SK_DB_OK)
		return st;
	ctx->id = sk_db_i64(r, 0, "id");
	PQclear(r);
	char subject[48];
	snprintf(subject, sizeof subject, "group:%lld", (long long)ctx->id);
	return sk_db_audit(c, ctx->actor, ctx->ward, "group_created", subject, ctx->ip, NULL);
}

enum sk_db_status sk_db_group_create(struct sk_dbconn *c, int64_t actor, int64_t ward,
				     const char *name, const char *ip, int64_t *id)
{
	struct ward_ctx ctx = { .actor = actor, .ward = ward, .name = name, .ip = ip };
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", group_tx, &ctx);
	*id = ctx.id;
	return st;
}

enum sk_db_status sk_db_wards_admin_list(struct sk_dbconn *c, const char *wards, PGresult **res)
{
	const char *p[] = { wards };
	return sk_db_exec(c, "wards_admin_list",
			  "SELECT w.id, w.code, w.name, w.public_contact, iso(w.created_at) AS created_at,"
			  " coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name,"
			  "   'retired_at', iso(g.retired_at),"
			  "   'residents', (SELECT count(*) FROM role_grants r WHERE r.group_id = g.id AND r.role = 'resident'))"
			  "   ORDER BY g.retired_at IS NOT NULL, g.name) FROM residential_groups g WHERE g.ward_id = w.id),"
			  "  '[]')::text AS groups"
			  " FROM wards w WHERE $1::bigint[] IS NULL OR w.id = ANY ($1::bigint[]) ORDER BY w.name, w.id",
			  1, p, res);
}

struct rename_ctx {
	int64_t actor, id;
	const char *name, *ip;
	int retire; /* -1: leave, 0: restore, 1: retire */
	int64_t ward;
};

static enum sk_db_status ward_rename_tx(struct sk_dbconn *c, void *vctx)
{
	struct rename_ctx *ctx = vctx;
	char w[24];
	const char *p[] = { sk_db_i64str(w, ctx->id), ctx->name };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "ward_rename",
					  "WITH old AS (SELECT name FROM wards WHERE id = $1 FOR UPDATE)"
					  " UPDATE wards w SET name = $2 FROM old WHERE w.id = $1"
					  " RETURNING json_build_object('from', old.name, 'to', w.name)::text AS detail",
					  2, p, &r);
	if (st != SK_DB_OK)
		return st;
	char subject[48];
	snprintf(subject, sizeof subject, "ward:%lld", (long long)ctx->id);
	st = sk_db_audit(c, ctx->actor, ctx->id, "ward_renamed", subject, ctx->ip, sk_db_str(r, 0, "detail"));
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_ward_rename(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *name,
				    const char *ip)
{
	struct rename_ctx ctx = { .actor = actor, .id = ward, .name = name, .ip = ip };
	return sk_db_tx(c, "READ COMMITTED", ward_rename_tx, &ctx);
}

enum sk_db_status sk_db_group_ward(struct sk_dbconn *c, int64_t group, int64_t *ward)
{
	char g[24];
	const char *p[] = { sk_db_i64str(g, group) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "group_ward", "SELECT ward_id FROM residential_groups WHERE id = $1", 1,
					  p, &r);
	if (st != SK_DB_OK)
		return st;
	*ward = sk_db_i64(r, 0, "ward_id");
	PQclear(r);
	return SK_DB_OK;
}

static enum sk_db_status group_update_tx(struct sk_dbconn *c, void *vctx)
{
	struct rename_ctx *ctx = vctx;
	char g[24];
	const char *p[] = { sk_db_i64str(g, ctx->id), ctx->name,
			    ctx->retire < 0 ? NULL : ctx->retire ? "true" : "false" };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "group_update",
		"WITH old AS (SELECT name, retired_at FROM residential_groups WHERE id = $1 FOR UPDATE)"
		" UPDATE residential_groups g SET name = coalesce($2, g.name),"
		"  retired_at = CASE WHEN $3::boolean IS NULL THEN g.retired_at"
		"   WHEN $3::boolean THEN coalesce(g.retired_at, now()) END"
		" FROM old WHERE g.id = $1"
		" RETURNING g.ward_id, g.name <> old.name AS renamed,"
		"  (g.retired_at IS NULL) <> (old.retired_at IS NULL) AS retire_changed, g.retired_at IS NOT NULL AS retired,"
		"  json_build_object('from', old.name, 'to', g.name)::text AS rename_detail",
		3, p, &r);
	if (st != SK_DB_OK)
		return st;
	ctx->ward = sk_db_i64(r, 0, "ward_id");
	char subject[48];
	snprintf(subject, sizeof subject, "group:%lld", (long long)ctx->id);
	if (sk_db_bool(r, 0, "renamed"))
		st = sk_db_audit(c, ctx->actor, ctx->ward, "group_renamed", subject, ctx->ip,
				 sk_db_str(r, 0, "rename_detail"));
	if (st == SK_DB_OK && sk_db_bool(r, 0, "retire_changed"))
		st = sk_db_audit(c, ctx->actor, ctx->ward, sk_db_bool(r, 0, "retired") ? "group_retired" : "group_restored",
				 subject, ctx->ip, NULL);
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_group_update(struct sk_dbconn *c, int64_t actor, int64_t group, const char *name, int retire,
				     const char *ip)
{
	struct rename_ctx ctx = { .actor = actor, .id = group, .name = name, .retire = retire, .ip = ip };
	return sk_db_tx(c, "READ COMMITTED", group_update_tx, &ctx);
}

enum sk_db_status sk_db_group_json(struct sk_dbconn *c, int64_t group, char **json)
{
	char g[24];
	const char *p[] = { sk_db_i64str(g, group) };
	return sk_db_json(c, "group_json",
			  "SELECT json_build_object('id', g.id, 'ward_id', g.ward_id, 'name', g.name,"
			  " 'retired_at', iso(g.retired_at))::text FROM residential_groups g WHERE g.id = $1",
			  1, p, json);
}

enum sk_db_status sk_db_ward_public_contact_set(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *contact,
						const char *ip)
{
	char w[24], a[24];
	const char *p[] = { sk_db_i64str(w, ward), sk_db_i64str(a, actor), contact, ip };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "ward_public_contact_set",
					  "SELECT ward_public_contact_set($1, $2, $3, $4::inet) AS found", 4, p, &r);
	if (st != SK_DB_OK)
		return st;
	bool found = sk_db_bool(r, 0, "found");
	PQclear(r);
	return found ? SK_DB_OK : SK_DB_NOROWS;
}
