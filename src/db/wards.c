#include "db/wards.h"

#include "db/audit.h"

#include <stdio.h>

enum sk_db_status sk_db_wards_list(struct sk_dbconn *c, PGresult **res)
{
	return sk_db_exec(c, "wards_list",
			  "SELECT w.id, w.code, w.name,"
			  " coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name)"
			  "   ORDER BY g.name) FROM residential_groups g WHERE g.ward_id = w.id),"
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
