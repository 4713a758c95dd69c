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
 * (see sk_db_account_json in db/accounts.h), and unread_notifications (how many
 * of its notices are unread). SK_DB_NOROWS when there is none.
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
 * What the failed-login throttle needs to judge one attempt for login (normalised) from ip at now,
 * counting the failures (scope 'login') of the last window seconds. device_hash is the SHA-256 of
 * the request's known-device cookie, or NULL; known_device is true when it names a known device of
 * login's account created within device_ttl seconds. Times are Unix seconds, 0 when none.
 */
struct sk_db_throttle {
	bool known_device;
	long by_device;        /* failures made with this known device */
	long by_pair;          /* failures of this login from this address (without a known device) */
	long by_ip;            /* failures of any login from this address (without a known device) */
	long by_login;         /* failures of this login from anywhere (without a known device) */
	int64_t device_oldest; /* the oldest of each count */
	int64_t pair_oldest;
	int64_t ip_oldest;
	int64_t login_last;    /* the newest failure of by_login */
};
enum sk_db_status sk_db_login_throttle(struct sk_dbconn *c, const char *login, const char *ip,
				       const unsigned char *device_hash, int64_t now, long window,
				       long device_ttl, struct sk_db_throttle *out);

/*
 * Records a failed attempt of scope "login" (a login or a set-up code) or "recheck" (a password
 * re-typed inside a session) for login at now, storing the login only as its keyed hash (SQL
 * auth_login_key) and device_hash only when it names a live known device of login's account; and
 * deletes the failures older than window seconds before the earlier of now and the database's clock.
 */
enum sk_db_status sk_db_auth_failure(struct sk_dbconn *c, const char *scope, const char *login, const char *ip,
				     const unsigned char *device_hash, int64_t now, long window, long device_ttl);

/*
 * After a right password: forgets the failures of scope for login from ip or with device_hash
 * (NULL: none); for scope "recheck" all of the login's.
 */
enum sk_db_status sk_db_auth_success(struct sk_dbconn *c, const char *scope, const char *login, const char *ip,
				     const unsigned char *device_hash);

/* Failures of scope "recheck" for login within window seconds before now, and the oldest's time. */
enum sk_db_status sk_db_recheck_failures(struct sk_dbconn *c, const char *login, int64_t now, long window,
					 long *count, int64_t *oldest);

/*
 * After a successful login of account_id: when presented (a cookie's hash, or NULL) is a live known
 * device of the account, marks it used; when it is a live known device of other accounts only (a
 * shared phone), makes it one of this account too; in both cases *created is false. Otherwise
 * records fresh (the hash of a new token) as a known device of the account and sets *created true.
 * The account's devices older than ttl are deleted.
 */
enum sk_db_status sk_db_device_remember(struct sk_dbconn *c, int64_t account_id, const unsigned char *presented,
					const unsigned char fresh[32], int64_t now, long ttl, bool *created);

#endif
