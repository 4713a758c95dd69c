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
	const char *role, *ip, *reason;
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
	char subject[48];
	snprintf(subject, sizeof subject, "account:%lld", (long long)ctx->account_id);
	const char *q[] = { ctx->role, ctx->reason };
	char *detail;
	st = sk_db_json(c, "role_change_detail",
			"SELECT (jsonb_build_object('role', $1::text)"
			" || CASE WHEN $2::text IS NULL THEN '{}' ELSE jsonb_build_object('reason', $2::text) END)::text",
			2, q, &detail);
	if (st != SK_DB_OK)
		return st;
	st = sk_db_audit(c, ctx->actor, ctx->ward_id, ctx->grant ? "role_granted" : "role_revoked", subject, ctx->ip,
			 detail);
	free(detail);
	return st;
}

enum sk_db_status sk_db_role_change(struct sk_dbconn *c, bool grant, int64_t actor,
				    int64_t account_id, int64_t ward_id, const char *role,
				    const char *reason, const char *ip)
{
	struct role_ctx ctx = { grant, actor, account_id, ward_id, role, ip, reason };
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
	/* One statement, so one transaction: the failures go exactly when the new password comes. */
	enum sk_db_status st = sk_db_exec(
		c, "setup_code_redeem",
		"WITH redeemed AS (SELECT setup_code_redeem($1, $2, to_timestamp($3), $4::inet) AS ok),"
		" forgotten AS (DELETE FROM auth_failures f WHERE (SELECT ok FROM redeemed)"
		"  AND f.login_key = auth_login_key((SELECT a.login FROM setup_codes s JOIN accounts a ON a.id = s.account_id"
		"   WHERE s.id = $1)))"
		" SELECT ok FROM redeemed",
		4, p, &r);
	if (st != SK_DB_OK)
		return st;
	bool ok = sk_db_bool(r, 0, "ok");
	PQclear(r);
	return ok ? SK_DB_OK : SK_DB_NOROWS;
}

/*
 * The audit row of a search of people, as a data-modifying CTE "logged" over the CTE "found" (so the
 * search and its record are one statement, one round trip): the actor $5, the kind of query $7 and a
 * keyed hash of it (auth_login_key of the phone digits $2, or of the folded text $1), the number of
 * rows found; never the query itself. The statement's transaction commits without waiting for
 * its WAL flush (LAZY_COMMIT_SQL): a search stays a read for its latency, and a crash can lose at
 * most the last fraction of a second of these rows (measured: the wait added 7-14 ms per search
 * of 5,000 residents on the loaded test machine, about 30%; without it, within noise).
 */
#define LAZY_COMMIT_SQL " lazy AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)"
#define SEARCH_AUDIT_SQL(ward_sql, subject)                                                                        \
	LAZY_COMMIT_SQL ","                                                                                        \
	" logged AS (INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)"              \
	" SELECT $5::bigint, " ward_sql ", 'people_searched', '" subject "', $6::inet,"                              \
	" jsonb_build_object('query_kind', $7::text, 'query_hash', encode(auth_login_key(CASE WHEN $7::text = 'phone'" \
	"  THEN $2::text ELSE lower(unaccent($1::text)) END), 'hex'), 'results', (SELECT count(*) FROM found))"     \
	" FROM lazy)"

enum sk_db_status sk_db_accounts_search(struct sk_dbconn *c, const char *query, const char *digits,
					const char *wards, int limit, const struct sk_db_searcher *who, PGresult **res)
{
	char l[24], a[24];
	const char *p[] = { query, digits, wards, sk_db_i64str(l, limit), sk_db_i64str(a, who->actor), who->ip, who->kind };
	return sk_db_exec(c, "accounts_search",
			  "WITH found AS (SELECT " ACCOUNT_JSON_SQL " AS json, a.display_name AS sort_name, a.id AS sort_id"
			  " FROM accounts a"
			  " WHERE NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = a.id)"
			  "  AND (strpos(lower(unaccent(a.display_name)), lower(unaccent($1::text))) > 0"
			  "   OR (a.login_kind = 'email' AND strpos(a.login, lower($1::text)) > 0)"
			  "   OR (a.login_kind = 'phone' AND $2::text IS NOT NULL AND strpos(a.login, $2::text) > 0))"
			  "  AND ($3::bigint[] IS NULL OR EXISTS (SELECT 1 FROM role_grants r"
			  "   WHERE r.account_id = a.id AND r.ward_id = ANY ($3::bigint[])))"
			  " ORDER BY a.display_name, a.id LIMIT $4),"
			  SEARCH_AUDIT_SQL("(SELECT min(w) FROM unnest($3::bigint[]) w)", "accounts")
			  " SELECT json FROM found ORDER BY sort_name, sort_id",
			  7, p, res);
}

struct admin_create_ctx {
	const struct sk_admin_new_account *a;
	int64_t id, expires;
};

static enum sk_db_status admin_create_tx(struct sk_dbconn *c, void *vctx)
{
	struct admin_create_ctx *ctx = vctx;
	const struct sk_admin_new_account *a = ctx->a;
	char act[24];
	const char *p[] = { a->login, a->login_kind, a->display_name, a->roles_json, sk_db_i64str(act, a->actor), a->ip };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "admin_account_create",
		"WITH a AS (INSERT INTO accounts (login, login_kind, display_name) VALUES ($1, $2, $3) RETURNING id),"
		" g AS (INSERT INTO role_grants (account_id, ward_id, role, group_id, granted_by)"
		"  SELECT a.id, (e->>'ward_id')::bigint, e->>'role', (e->>'group_id')::bigint, $5::bigint"
		"  FROM a, jsonb_array_elements($4::jsonb) e),"
		" l AS (INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)"
		"  SELECT $5::bigint, (SELECT min((e->>'ward_id')::bigint) FROM jsonb_array_elements($4::jsonb) e),"
		"   'account_created', 'account:' || a.id, $6::inet,"
		"   jsonb_build_object('by_other', true, 'roles', $4::jsonb) FROM a)"
		" SELECT id FROM a",
		6, p, &r);
	if (st != SK_DB_OK)
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	ctx->id = sk_db_i64(r, 0, "id");
	PQclear(r);
	return sk_db_setup_code_issue(c, a->actor, ctx->id, a->code_hash, a->now, a->ttl, a->ip, &ctx->expires);
}

enum sk_db_status sk_db_admin_account_create(struct sk_dbconn *c, const struct sk_admin_new_account *a, int64_t *id,
					     int64_t *expires)
{
	struct admin_create_ctx ctx = { .a = a };
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", admin_create_tx, &ctx);
	*id = ctx.id;
	*expires = ctx.expires;
	return st;
}

enum sk_db_status sk_db_residents_search(struct sk_dbconn *c, int64_t ward, const char *query, const char *digits,
					 int limit, const struct sk_db_searcher *who, PGresult **res)
{
	char w[24], l[24], a[24];
	/* $1 query and $2 digits, as SEARCH_AUDIT_SQL expects; $3 the ward. */
	const char *p[] = { query, digits, sk_db_i64str(w, ward), sk_db_i64str(l, limit), sk_db_i64str(a, who->actor),
			    who->ip, who->kind };
	return sk_db_exec(c, "residents_search",
			  "WITH found AS (SELECT a.id, a.login, a.display_name, r.group_id, g.name AS group_name,"
			  " iso(g.retired_at) AS group_retired_at, a.password_hash IS NOT NULL AS has_password,"
			  " (SELECT count(*) FROM proposals p WHERE p.author_id = a.id AND p.ward_id = r.ward_id) AS proposals"
			  " FROM role_grants r JOIN accounts a ON a.id = r.account_id"
			  " LEFT JOIN residential_groups g ON g.id = r.group_id"
			  " WHERE r.ward_id = $3 AND r.role = 'resident'"
			  "  AND NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = a.id)"
			  "  AND (strpos(lower(unaccent(a.display_name)), lower(unaccent($1::text))) > 0"
			  "   OR (a.login_kind = 'email' AND strpos(a.login, lower($1::text)) > 0)"
			  "   OR (a.login_kind = 'phone' AND $2::text IS NOT NULL AND strpos(a.login, $2::text) > 0))"
			  " ORDER BY a.display_name, a.id LIMIT $4),"
			  SEARCH_AUDIT_SQL("$3::bigint", "residents")
			  " SELECT * FROM found ORDER BY display_name, id",
			  7, p, res);
}

enum sk_db_status sk_db_login_lookup_audit(struct sk_dbconn *c, const struct sk_db_searcher *who, const char *wards,
					   const char *login, bool found)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, who->actor), who->ip, wards, login, found ? "1" : "0" };
	enum sk_db_status st = sk_db_exec(
		c, "login_lookup_audit",
		"WITH" LAZY_COMMIT_SQL
		" INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)"
		" SELECT $1::bigint, (SELECT min(w) FROM unnest($3::bigint[]) w), 'people_searched', 'accounts', $2::inet,"
		" jsonb_build_object('query_kind', 'login', 'query_hash', encode(auth_login_key($4::text), 'hex'),"
		"  'results', $5::integer) FROM lazy",
		5, p, NULL);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_account_view_audit(struct sk_dbconn *c, int64_t actor, const char *ip, const char *wards,
					   int64_t account)
{
	char a[24], b[24];
	const char *p[] = { sk_db_i64str(a, actor), ip, wards, sk_db_i64str(b, account) };
	enum sk_db_status st = sk_db_exec(
		c, "account_view_audit",
		"WITH" LAZY_COMMIT_SQL
		" INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)"
		" SELECT $1::bigint, (SELECT min(r.ward_id) FROM role_grants r WHERE r.account_id = $4::bigint"
		"  AND ($3::bigint[] IS NULL OR r.ward_id = ANY ($3::bigint[]))), 'account_viewed', 'account:' || $4::bigint,"
		" $2::inet FROM lazy",
		4, p, NULL);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_account_in_admin_wards(struct sk_dbconn *c, int64_t admin, int64_t account, bool *staff)
{
	char m[24], a[24];
	const char *p[] = { sk_db_i64str(m, admin), sk_db_i64str(a, account) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "account_in_admin_wards",
					  "SELECT EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = $2"
					  " AND ((r.ward_id IS NULL AND r.role = 'admin') OR EXISTS (SELECT 1 FROM role_grants m"
					  "  WHERE m.account_id = $1 AND m.ward_id = r.ward_id AND m.role = 'admin'))) AS staff",
					  2, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	*staff = sk_db_bool(r, 0, "staff");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_resident_get(struct sk_dbconn *c, int64_t ward, int64_t account, int64_t actor,
				     const char *ip, PGresult **res)
{
	char w[24], a[24], b[24];
	const char *p[] = { sk_db_i64str(w, ward), sk_db_i64str(a, account), sk_db_i64str(b, actor), ip };
	return sk_db_exec(
		c, "resident_get",
		"WITH found AS (SELECT a.id, a.login, a.display_name, r.group_id, g.name AS group_name,"
		" iso(g.retired_at) AS group_retired_at, a.password_hash IS NOT NULL AS has_password,"
		" EXISTS (SELECT 1 FROM setup_code_authority($3, a.id)) AS may_issue_setup_code,"
		" coalesce((SELECT json_agg(json_build_object('id', p.id, 'title', p.title, 'status', p.status,"
		"   'tracking_code', p.tracking_code, 'campaign_id', p.campaign_id, 'campaign_title', c.title,"
		"   'group_name', (SELECT h.name FROM residential_groups h WHERE h.id = p.group_id),"
		"   'updated_at', iso(p.updated_at), 'submitted_at', iso(p.submitted_at)) ORDER BY p.id DESC)"
		"  FROM proposals p JOIN campaigns c ON c.id = p.campaign_id"
		"  WHERE p.author_id = a.id AND p.ward_id = r.ward_id), '[]')::text AS proposals"
		" FROM role_grants r JOIN accounts a ON a.id = r.account_id"
		" LEFT JOIN residential_groups g ON g.id = r.group_id"
		" WHERE r.ward_id = $1 AND r.account_id = $2 AND r.role = 'resident'"
		"  AND NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = a.id)),"
		LAZY_COMMIT_SQL ","
		" logged AS (INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)"
		"  SELECT $3::bigint, $1::bigint, 'resident_viewed', 'account:' || found.id, $4::inet FROM found, lazy)"
		" SELECT * FROM found",
		4, p, res);
}
