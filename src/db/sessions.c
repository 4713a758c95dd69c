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
#define SESSION_COLUMNS                                                                           \
	"s.id AS session_id, s.csrf_token, s.account_id,"                                        \
	" s.last_seen_at < to_timestamp($2) - make_interval(secs => least(60, $3 / 2)) AS stale," \
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
				  "SELECT " SESSION_COLUMNS ", " ACCOUNT_JSON_SQL " AS account"
				  " FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE" SESSION_LIVE,
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

enum sk_db_status sk_db_login_failures(struct sk_dbconn *c, const char *login, const char *ip,
				       int64_t now, long window, long *by_login, long *by_ip,
				       long *retry_login, long *retry_ip)
{
	char n[24], w[24];
	const char *p[] = { login, ip, sk_db_i64str(n, now), sk_db_i64str(w, window) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "login_failures",
		"WITH since AS (SELECT greatest(to_timestamp($3) - make_interval(secs => $4),"
		"   coalesce((SELECT max(at) FROM audit_log WHERE action = 'login'"
		"     AND subject = (SELECT 'account:' || id FROM accounts WHERE login = $1)),"
		"    '-infinity')) AS t),"
		" l AS (SELECT count(*) AS n, min(at) AS oldest FROM audit_log, since"
		"   WHERE action = 'login_failed' AND subject = $1 AND at > since.t),"
		" i AS (SELECT count(*) AS n, min(at) AS oldest FROM audit_log"
		"   WHERE action = 'login_failed' AND ip = $2::inet"
		"   AND at > to_timestamp($3) - make_interval(secs => $4))"
		" SELECT l.n AS by_login, i.n AS by_ip,"
		"  ceil(extract(epoch FROM l.oldest + make_interval(secs => $4) - to_timestamp($3)))::bigint AS retry_login,"
		"  ceil(extract(epoch FROM i.oldest + make_interval(secs => $4) - to_timestamp($3)))::bigint AS retry_ip"
		" FROM l, i",
		4, p, &r);
	if (st != SK_DB_OK)
		return st;
	*by_login = (long)sk_db_i64(r, 0, "by_login");
	*by_ip = (long)sk_db_i64(r, 0, "by_ip");
	*retry_login = (long)sk_db_i64(r, 0, "retry_login");
	*retry_ip = (long)sk_db_i64(r, 0, "retry_ip");
	PQclear(r);
	return SK_DB_OK;
}
