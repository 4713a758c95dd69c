/* Login sessions stored in PostgreSQL (so any number of server processes share them). */
#ifndef SK_DB_SESSIONS_H
#define SK_DB_SESSIONS_H

#include "db/db.h"

/*
 * Records a new session for account_id with the SHA-256 of its token (32
 * bytes) and its CSRF token, and the audit event "login", in one transaction.
 * now is the server's clock in Unix seconds.
 */
enum sk_db_status sk_db_session_create(struct sk_dbconn *c, const unsigned char token_hash[32],
				       const char *csrf, int64_t account_id, int64_t now,
				       const char *ip);

/*
 * Finds the live session with this token hash (not ended, used within idle
 * seconds, created within absolute seconds of now), reading only. Columns:
 * session_id, csrf_token, account_id, grants ("ward:role,..." with "*" for
 * installation-wide) and stale (true when last_seen_at is older than 60 s, or
 * than half of idle when that is shorter: the caller then marks it used with
 * sk_db_session_touch). With
 * with_account also account: the account's public view as compact JSON text
 * (see sk_db_account_json in db/accounts.h). SK_DB_NOROWS when there is none.
 */
enum sk_db_status sk_db_session_lookup(struct sk_dbconn *c, const unsigned char token_hash[32],
				       int64_t now, long idle, long absolute, bool with_account,
				       PGresult **res);

/* Marks the session used at now (never moving the mark backwards); for a lookup that found it stale. */
enum sk_db_status sk_db_session_touch(struct sk_dbconn *c, int64_t session_id, int64_t now);

/* Ends a session, with the audit event "logout". */
enum sk_db_status sk_db_session_end(struct sk_dbconn *c, int64_t session_id, int64_t account_id,
				    int64_t now, const char *ip);

/*
 * Counts failed logins within window seconds before now: for login (since its
 * last successful login) and from ip. *retry_after is the number of seconds
 * until the oldest counted failure of the larger count leaves the window.
 */
enum sk_db_status sk_db_login_failures(struct sk_dbconn *c, const char *login, const char *ip,
				       int64_t now, long window, long *by_login, long *by_ip,
				       long *retry_login, long *retry_ip);

#endif
