#include "db/sessions.h"

#include "db/accounts.h"
#include "db/audit.h"

#include <stdio.h>
#include <stdlib.h>

static void hash_hex(const unsigned char h[32], char out[68])
{
	static const char hex[] = "0123456789abcdef";
	out[0] = '\\';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = hex[h[i] >> 4];
		out[3 + 2 * i] = hex[h[i] & 15];
	}
	out[66] = '\0';
}

struct create_ctx {
	const char *hash, *csrf, *ip;
	int64_t account_id, now;
};

static enum sk_db_status create_tx(struct sk_dbconn *c, void *vctx)
{
	struct create_ctx *ctx = vctx;
	char a[24], n[24];
	const char *p[] = { ctx->hash, ctx->csrf, sk_db_i64str(a, ctx->account_id),
			    sk_db_i64str(n, ctx->now), ctx->ip };
	enum sk_db_status st = sk_db_exec(
		c, "session_create",
		"INSERT INTO sessions (token_hash, csrf_token, account_id, created_at, last_seen_at, ip)"
		" VALUES ($1::bytea, $2, $3, to_timestamp($4), to_timestamp($4), $5::inet)",
		5, p, NULL);
	if (st != SK_DB_OK)
		return st;
	char subject[48];
	snprintf(subject, sizeof subject, "account:%lld", (long long)ctx->account_id);
	return sk_db_audit(c, ctx->account_id, 0, "login", subject, ctx->ip, NULL);
}

enum sk_db_status sk_db_session_create(struct sk_dbconn *c, const unsigned char token_hash[32],
				       const char *csrf, int64_t account_id, int64_t now,
				       const char *ip)
{
	char hex[68];
	hash_hex(token_hash, hex);
	struct create_ctx ctx = { hex, csrf, ip, account_id, now };
	return sk_db_tx(c, "READ COMMITTED", create_tx, &ctx);
}

/* The session columns both lookups return, and the conditions that make a session live. */
#define SESSION_STATE_COLUMNS                                                                     \
	"s.id AS session_id, s.csrf_token, s.account_id,"                                        \
	" s.last_seen_at < to_timestamp($2) - make_interval(secs => least(60, $3 / 2)) AS stale"
#define SESSION_COLUMNS                                                                           \
	SESSION_STATE_COLUMNS ","                                                                 \
	" (SELECT string_agg(coalesce(r.ward_id::text, '*') || ':' || r.role, ',')"              \
	"  FROM role_grants r WHERE r.account_id = s.account_id) AS grants"
#define SESSION_LIVE                                                                              \
	" s.token_hash = $1::bytea AND s.ended_at IS NULL"                                       \
	" AND s.last_seen_at > to_timestamp($2) - make_interval(secs => $3)"                     \
	" AND s.created_at > to_timestamp($2) - make_interval(secs => $4)"                       \
	" AND s.created_at <= to_timestamp($2) + interval '5 minutes'"

enum sk_db_status sk_db_session_lookup(struct sk_dbconn *c, const unsigned char token_hash[32],
				       int64_t now, long idle, long absolute, bool with_account,
				       PGresult **res)
{
	char hex[68], n[24], i[24], a[24];
	hash_hex(token_hash, hex);
	const char *p[] = { hex, sk_db_i64str(n, now), sk_db_i64str(i, idle), sk_db_i64str(a, absolute) };
	if (with_account)
		return sk_db_exec(c, "session_lookup_account",
				  "SELECT " SESSION_STATE_COLUMNS ", rg.grants,"
				  " " ACCOUNT_JSON_WITH_ROLES_SQL("rg.roles") " AS account,"
				  " (SELECT count(*) FROM notifications n WHERE n.account_id = s.account_id"
				  "  AND n.read_at IS NULL) AS unread_notifications"
				  " FROM sessions s JOIN accounts a ON a.id = s.account_id"
				  /* one pass over the account's grants for both the grants and the roles */
				  " CROSS JOIN LATERAL (SELECT string_agg(coalesce(r.ward_id::text, '*') || ':' || r.role, ',')"
				  "  AS grants, " ACCOUNT_ROLES_AGG_SQL " AS roles" ACCOUNT_ROLES_FROM_SQL
				  "  WHERE r.account_id = s.account_id) rg"
				  " WHERE" SESSION_LIVE,
				  4, p, res);
	return sk_db_exec(c, "session_lookup", "SELECT " SESSION_COLUMNS " FROM sessions s WHERE" SESSION_LIVE, 4, p,
			  res);
}

enum sk_db_status sk_db_session_touch(struct sk_dbconn *c, int64_t session_id, int64_t now)
{
	char s[24], n[24];
	const char *p[] = { sk_db_i64str(s, session_id), sk_db_i64str(n, now) };
	/* Called when the lookup found the mark stale (older than a minute, or than half the idle
	 * limit when that is shorter, so that a session in use never expires between two marks). The
	 * condition keeps concurrent touches from moving the mark backwards or twice in one second. */
	return sk_db_exec(c, "session_touch",
			  "UPDATE sessions SET last_seen_at = to_timestamp($2)"
			  " WHERE id = $1 AND ended_at IS NULL AND last_seen_at < to_timestamp($2)",
			  2, p, NULL);
}

struct end_ctx {
	int64_t session_id, account_id, now;
	const char *ip;
};

static enum sk_db_status end_tx(struct sk_dbconn *c, void *vctx)
{
	struct end_ctx *ctx = vctx;
	char s[24], n[24];
	const char *p[] = { sk_db_i64str(s, ctx->session_id), sk_db_i64str(n, ctx->now) };
	enum sk_db_status st = sk_db_exec(c, "session_end",
					  "UPDATE sessions SET ended_at = to_timestamp($2)"
					  " WHERE id = $1 AND ended_at IS NULL RETURNING id",
					  2, p, NULL);
	if (st != SK_DB_OK)
		return st;
	char subject[48];
	snprintf(subject, sizeof subject, "account:%lld", (long long)ctx->account_id);
	return sk_db_audit(c, ctx->account_id, 0, "logout", subject, ctx->ip, NULL);
}

enum sk_db_status sk_db_session_end(struct sk_dbconn *c, int64_t session_id, int64_t account_id,
				    int64_t now, const char *ip)
{
	struct end_ctx ctx = { session_id, account_id, now, ip };
	return sk_db_tx(c, "READ COMMITTED", end_tx, &ctx);
}

/* The failures of the window, at the request's clock; "+ 1 minute" tolerates servers' clock skew. */
#define IN_WINDOW(now, window)                                                                  \
	" at > to_timestamp(" now ") - make_interval(secs => " window ")"                        \
	" AND at <= to_timestamp(" now ") + interval '1 minute'"
/* The token hash $dev when it is a live known device of login $login's account. */
#define LIVE_DEVICE(dev, login, now, ttl)                                                        \
	"(SELECT d.token_hash FROM known_devices d JOIN accounts a ON a.id = d.account_id"      \
	" WHERE d.token_hash = " dev "::bytea AND a.login = " login                              \
	" AND d.created_at > to_timestamp(" now ") - make_interval(secs => " ttl "))"

enum sk_db_status sk_db_login_throttle(struct sk_dbconn *c, const char *login, const char *ip,
				       const unsigned char *device_hash, int64_t now, long window,
				       long device_ttl, struct sk_db_throttle *out)
{
	char n[24], w[24], t[24], dev[68];
	if (device_hash)
		hash_hex(device_hash, dev);
	const char *p[] = { login, ip, sk_db_i64str(n, now), sk_db_i64str(w, window), device_hash ? dev : NULL,
			    sk_db_i64str(t, device_ttl) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "login_throttle",
		"WITH k AS (SELECT auth_login_key($1) AS key),"
		" f AS (SELECT at, ip, login_key, device_hash, login_key = (SELECT key FROM k) AS mine"
		"  FROM auth_failures WHERE scope = 'login' AND" IN_WINDOW("$3", "$4")
		"  AND (ip = $2::inet OR login_key = (SELECT key FROM k) OR device_hash = $5::bytea))"
		" SELECT " LIVE_DEVICE("$5", "$1", "$3", "$6") " IS NOT NULL AS known_device,"
		"  count(*) FILTER (WHERE device_hash = $5::bytea AND mine) AS by_device,"
		"  count(*) FILTER (WHERE device_hash IS NULL AND mine AND ip = $2::inet) AS by_pair,"
		"  count(*) FILTER (WHERE device_hash IS NULL AND ip = $2::inet) AS by_ip,"
		"  count(*) FILTER (WHERE device_hash IS NULL AND mine) AS by_login,"
		"  coalesce(ceil(extract(epoch FROM min(at) FILTER (WHERE device_hash = $5::bytea AND mine))), 0)::bigint"
		"   AS device_oldest,"
		"  coalesce(ceil(extract(epoch FROM min(at) FILTER (WHERE device_hash IS NULL AND mine AND ip = $2::inet))),"
		"   0)::bigint AS pair_oldest,"
		"  coalesce(ceil(extract(epoch FROM min(at) FILTER (WHERE device_hash IS NULL AND ip = $2::inet))), 0)::bigint"
		"   AS ip_oldest,"
		"  coalesce(ceil(extract(epoch FROM max(at) FILTER (WHERE device_hash IS NULL AND mine))), 0)::bigint"
		"   AS login_last"
		" FROM f",
		6, p, &r);
	if (st != SK_DB_OK)
		return st;
	out->known_device = sk_db_bool(r, 0, "known_device");
	out->by_device = (long)sk_db_i64(r, 0, "by_device");
	out->by_pair = (long)sk_db_i64(r, 0, "by_pair");
	out->by_ip = (long)sk_db_i64(r, 0, "by_ip");
	out->by_login = (long)sk_db_i64(r, 0, "by_login");
	out->device_oldest = sk_db_i64(r, 0, "device_oldest");
	out->pair_oldest = sk_db_i64(r, 0, "pair_oldest");
	out->ip_oldest = sk_db_i64(r, 0, "ip_oldest");
	out->login_last = sk_db_i64(r, 0, "login_last");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_auth_failure(struct sk_dbconn *c, const char *scope, const char *login, const char *ip,
				     const unsigned char *device_hash, int64_t now, long window, long device_ttl)
{
	char n[24], w[24], t[24], dev[68];
	if (device_hash)
		hash_hex(device_hash, dev);
	const char *p[] = { sk_db_i64str(n, now), sk_db_i64str(w, window), scope, login, ip, device_hash ? dev : NULL,
			    sk_db_i64str(t, device_ttl) };
	/* Pruning against the earlier clock: a test clock far ahead must not erase what others count. */
	return sk_db_exec(c, "auth_failure",
			  "WITH pruned AS (DELETE FROM auth_failures"
			  "  WHERE at < least(to_timestamp($1), now()) - make_interval(secs => $2))"
			  " INSERT INTO auth_failures (at, scope, login_key, ip, device_hash)"
			  " SELECT to_timestamp($1), $3, auth_login_key($4), $5::inet,"
			  "  CASE WHEN $3 = 'login' THEN " LIVE_DEVICE("$6", "$4", "$1", "$7") " END",
			  7, p, NULL);
}

enum sk_db_status sk_db_auth_success(struct sk_dbconn *c, const char *scope, const char *login, const char *ip,
				     const unsigned char *device_hash)
{
	char dev[68];
	if (device_hash)
		hash_hex(device_hash, dev);
	const char *p[] = { scope, login, ip, device_hash ? dev : NULL };
	enum sk_db_status st = sk_db_exec(c, "auth_success",
					  "DELETE FROM auth_failures WHERE scope = $1 AND login_key = auth_login_key($2)"
					  " AND ($1 = 'recheck' OR ip = $3::inet OR device_hash = $4::bytea)",
					  4, p, NULL);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_recheck_failures(struct sk_dbconn *c, const char *login, int64_t now, long window,
					 long *count, int64_t *oldest)
{
	char n[24], w[24];
	const char *p[] = { login, sk_db_i64str(n, now), sk_db_i64str(w, window) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "recheck_failures",
					  "SELECT count(*) AS n, coalesce(ceil(extract(epoch FROM min(at))), 0)::bigint AS oldest"
					  " FROM auth_failures WHERE scope = 'recheck' AND login_key = auth_login_key($1)"
					  " AND" IN_WINDOW("$2", "$3"),
					  3, p, &r);
	if (st != SK_DB_OK)
		return st;
	*count = (long)sk_db_i64(r, 0, "n");
	*oldest = sk_db_i64(r, 0, "oldest");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_device_remember(struct sk_dbconn *c, int64_t account_id, const unsigned char *presented,
					const unsigned char fresh[32], int64_t now, long ttl, bool *created)
{
	char a[24], n[24], t[24], old[68], neu[68];
	if (presented)
		hash_hex(presented, old);
	hash_hex(fresh, neu);
	const char *p[] = { sk_db_i64str(a, account_id), presented ? old : NULL, sk_db_i64str(n, now), neu,
			    sk_db_i64str(t, ttl) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "device_remember",
		"WITH pruned AS (DELETE FROM known_devices WHERE account_id = $1"
		"   AND created_at <= to_timestamp($3) - make_interval(secs => $5) AND token_hash IS DISTINCT FROM $2::bytea),"
		" used AS (UPDATE known_devices SET last_used_at = greatest(last_used_at, to_timestamp($3))"
		"   WHERE token_hash = $2::bytea AND account_id = $1"
		"   AND created_at > to_timestamp($3) - make_interval(secs => $5) RETURNING 1),"
		/* a live token of another account (a shared phone): this account joins it */
		" shared AS (SELECT $2::bytea AS token_hash WHERE NOT EXISTS (SELECT 1 FROM used)"
		"   AND EXISTS (SELECT 1 FROM known_devices WHERE token_hash = $2::bytea"
		"   AND created_at > to_timestamp($3) - make_interval(secs => $5))),"
		" added AS (INSERT INTO known_devices (token_hash, account_id, created_at, last_used_at)"
		"   SELECT coalesce((SELECT token_hash FROM shared), $4::bytea), $1, to_timestamp($3), to_timestamp($3)"
		"   WHERE NOT EXISTS (SELECT 1 FROM used)"
		"   ON CONFLICT (token_hash, account_id) DO UPDATE SET created_at = EXCLUDED.created_at,"
		"   last_used_at = EXCLUDED.last_used_at"
		"   RETURNING token_hash)"
		" SELECT EXISTS (SELECT 1 FROM added WHERE token_hash = $4::bytea) AS created",
		5, p, &r);
	if (st != SK_DB_OK)
		return st;
	*created = sk_db_bool(r, 0, "created");
	PQclear(r);
	return SK_DB_OK;
}
