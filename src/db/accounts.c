#include "db/accounts.h"

#include "db/audit.h"

#include <stdio.h>
#include <stdlib.h>

struct create_ctx {
	const struct sk_new_account *a;
	int64_t id;
};

static enum sk_db_status create_tx(struct sk_dbconn *c, void *vctx)
{
	struct create_ctx *ctx = vctx;
	const struct sk_new_account *a = ctx->a;
	char w[24], g[24], act[24];
	const char *p[] = { a->login, a->login_kind, a->display_name, a->password_hash,
			    a->ward_id ? sk_db_i64str(w, a->ward_id) : NULL,
			    a->group_id ? sk_db_i64str(g, a->group_id) : NULL,
			    a->actor ? sk_db_i64str(act, a->actor) : NULL };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "account_create",
		"WITH a AS (INSERT INTO accounts (login, login_kind, display_name, password_hash)"
		"  VALUES ($1, $2, $3, $4) RETURNING id),"
		" g AS (INSERT INTO role_grants (account_id, ward_id, role, group_id, granted_by)"
		"  SELECT a.id, $5::bigint, 'resident', $6::bigint, $7::bigint FROM a"
		"  WHERE $5::bigint IS NOT NULL)"
		" SELECT id FROM a",
		7, p, &r);
	if (st != SK_DB_OK)
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	ctx->id = sk_db_i64(r, 0, "id");
	PQclear(r);
	char subject[48], detail[96];
	snprintf(subject, sizeof subject, "account:%lld", (long long)ctx->id);
	if (a->group_id)
		snprintf(detail, sizeof detail, "{\"group_id\":%lld,\"by_other\":%s}", (long long)a->group_id,
			 a->actor ? "true" : "false");
	else
		snprintf(detail, sizeof detail, "{\"group_id\":null,\"by_other\":%s}", a->actor ? "true" : "false");
	return sk_db_audit(c, a->actor ? a->actor : ctx->id, a->ward_id, "account_created", subject,
			   a->ip, detail);
}

enum sk_db_status sk_db_account_create(struct sk_dbconn *c, const struct sk_new_account *a,
				       int64_t *id)
{
	struct create_ctx ctx = { .a = a };
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", create_tx, &ctx);
	*id = ctx.id;
	return st;
}

#define ACCOUNT_COLUMNS                                                                           \
	"id, login, login_kind, display_name, password_hash,"                                     \
	" to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at"

enum sk_db_status sk_db_account_by_login(struct sk_dbconn *c, const char *login, PGresult **res)
{
	const char *p[] = { login };
	return sk_db_exec(c, "account_by_login",
			  "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE login = $1", 1, p, res);
}

enum sk_db_status sk_db_account_by_id(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char b[24];
	const char *p[] = { sk_db_i64str(b, id) };
	return sk_db_exec(c, "account_by_id", "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1",
			  1, p, res);
}

enum sk_db_status sk_db_account_set_password(struct sk_dbconn *c, int64_t id, const char *hash)
{
	char b[24];
	const char *p[] = { sk_db_i64str(b, id), hash };
	return sk_db_exec(c, "account_set_password",
			  "UPDATE accounts SET password_hash = $2 WHERE id = $1", 2, p, NULL);
}

struct role_ctx {
	bool grant;
	int64_t actor, account_id, ward_id;
	const char *role, *ip;
};

static enum sk_db_status role_tx(struct sk_dbconn *c, void *vctx)
{
	struct role_ctx *ctx = vctx;
	char a[24], w[24], by[24];
	const char *p[] = { sk_db_i64str(a, ctx->account_id), ctx->ward_id ? sk_db_i64str(w, ctx->ward_id) : NULL,
			    ctx->role, ctx->actor ? sk_db_i64str(by, ctx->actor) : NULL };
	PGresult *r = NULL;
	enum sk_db_status st;
	if (ctx->grant)
		st = sk_db_exec(c, "role_grant",
				"INSERT INTO role_grants (account_id, ward_id, role, granted_by)"
				" VALUES ($1, $2, $3, $4) RETURNING id",
				4, p, &r);
	else
		st = sk_db_exec(c, "role_revoke",
				"DELETE FROM role_grants WHERE account_id = $1"
				" AND ward_id IS NOT DISTINCT FROM $2::bigint AND role = $3"
				" AND $4::bigint IS NOT NULL RETURNING id",
				4, p, &r);
	PQclear(r);
	if (st != SK_DB_OK)
		return st;
	char subject[48], detail[96];
	snprintf(subject, sizeof subject, "account:%lld", (long long)ctx->account_id);
	snprintf(detail, sizeof detail, "{\"role\":\"%s\"}", ctx->role); /* role is from a fixed list */
	return sk_db_audit(c, ctx->actor, ctx->ward_id, ctx->grant ? "role_granted" : "role_revoked",
			   subject, ctx->ip, detail);
}

enum sk_db_status sk_db_role_change(struct sk_dbconn *c, bool grant, int64_t actor,
				    int64_t account_id, int64_t ward_id, const char *role,
				    const char *ip)
{
	struct role_ctx ctx = { grant, actor, account_id, ward_id, role, ip };
	return sk_db_tx(c, "READ COMMITTED", role_tx, &ctx);
}

enum sk_db_status sk_db_account_json(struct sk_dbconn *c, int64_t account_id, char **json)
{
	char b[24];
	const char *p[] = { sk_db_i64str(b, account_id) };
	return sk_db_json(c, "account_json", "SELECT " ACCOUNT_JSON_SQL " FROM accounts a WHERE a.id = $1", 1, p,
			  json);
}

enum sk_db_status sk_db_setup_code_issue(struct sk_dbconn *c, int64_t actor, int64_t account, const char *code_hash,
					 int64_t now, long ttl, const char *ip, int64_t *expires)
{
	char a[24], b[24], n[24], t[24];
	const char *p[] = { sk_db_i64str(a, actor), sk_db_i64str(b, account), code_hash, sk_db_i64str(n, now),
			    sk_db_i64str(t, ttl), ip };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "setup_code_issue",
					  "SELECT extract(epoch FROM expires_at)::bigint AS expires"
					  " FROM setup_code_issue($1, $2, $3, to_timestamp($4), $5::integer, $6::inet)",
					  6, p, &r);
	if (st != SK_DB_OK)
		return st;
	*expires = sk_db_i64(r, 0, "expires");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_setup_code_live(struct sk_dbconn *c, const char *login, int64_t now, PGresult **res)
{
	char n[24];
	const char *p[] = { login, sk_db_i64str(n, now) };
	return sk_db_exec(c, "setup_code_live",
			  "SELECT a.id AS account_id, s.id AS code_id, s.code_hash FROM accounts a"
			  " LEFT JOIN setup_codes s ON s.account_id = a.id AND s.used_at IS NULL"
			  "  AND s.revoked_at IS NULL AND s.expires_at > to_timestamp($2)"
			  " WHERE a.login = $1",
			  2, p, res);
}

enum sk_db_status sk_db_setup_code_redeem(struct sk_dbconn *c, int64_t code, const char *password_hash, int64_t now,
					  const char *ip)
{
	char k[24], n[24];
	const char *p[] = { sk_db_i64str(k, code), password_hash, sk_db_i64str(n, now), ip };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "setup_code_redeem",
					  "SELECT setup_code_redeem($1, $2, to_timestamp($3), $4::inet) AS ok", 4, p, &r);
	if (st != SK_DB_OK)
		return st;
	bool ok = sk_db_bool(r, 0, "ok");
	PQclear(r);
	return ok ? SK_DB_OK : SK_DB_NOROWS;
}
