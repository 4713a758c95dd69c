/* Sessions, CSRF and role checks for requests. */
#ifndef SK_HTTP_AUTH_H
#define SK_HTTP_AUTH_H

#include "http/server.h"

#define SK_COOKIE_NAME "sk_session"
#define SK_DEVICE_COOKIE "sk_device" /* the known-device cookie: see sk_auth_login_succeeded */
#define SK_TOKEN_CHARS 43 /* 32 random bytes, base64url without padding */

/*
 * Loads the session named by the request's cookie into req->session, in one
 * read-only statement (plus, at most once a minute per session, a small UPDATE
 * of its last-seen mark). With with_account, req->session.account_json is
 * filled too (for GET /api/v1/me). Returns true when one is live. On a database
 * failure replies 503/500 and sets *replied.
 */
bool sk_auth_load(struct sk_request *req, bool with_account, bool *replied);

/* True when the request's X-CSRF-Token matches its session's token. */
bool sk_auth_csrf_ok(const struct sk_request *req);

/* True when the session holds role in ward (0: in any ward); installation admins hold admin everywhere. */
bool sk_has_role(const struct sk_request *req, int64_t ward, enum sk_role role);

/* True for an installation-wide administrator. */
bool sk_is_installation_admin(const struct sk_request *req);

/* Like sk_has_role, but replies 403 forbidden itself when not. */
bool sk_require_role(struct sk_request *req, int64_t ward, enum sk_role role);

/* A new random token: 32 bytes from the OS, base64url, NUL-terminated. */
void sk_token_new(char out[SK_TOKEN_CHARS + 1]);

/* SHA-256 of a token's text. */
void sk_token_hash(const char *token, unsigned char out[32]);

/*
 * Re-checks the signed-in person's password before a grave action (publishing, a correction,
 * deleting the account). Wrong passwords count on the account's own "recheck" counter (never
 * shared with failed logins, so a stranger's failed logins cannot stop it): past
 * --login-max-per-account of them within the window it replies 429. Replies 401/429 itself.
 */
bool sk_auth_recheck_password(struct sk_request *req, const char *password);

/*
 * The failed-login throttle for an attempt on login (normalised) on db, before the secret is
 * checked. A client with a known-device cookie of login's account is judged on that device's
 * failures only. Any other client is refused when its address has failed --login-max-per-ip times
 * within the window, or this login from this address --login-max-per-account times (both hard
 * limits, for that address only), or when the login's failures from all addresses reach
 * --login-max-per-account and the last one is more recent than a delay that doubles from 1 s per
 * further failure, capped at --login-delay-max. Refused attempts are not counted, so nobody can
 * renew the delay without trying passwords at its pace. When refusing it has audited
 * "login_throttled" (detail: a JSON object text or NULL, plus which limit) and replied 429 with
 * Retry-After, saying "Too many <what>", or replied the database error: true. False: go on.
 */
bool sk_auth_throttled(struct sk_request *req, struct sk_dbconn *db, const char *login, const char *detail,
		       const char *what);

/*
 * Records a failed attempt on login: the audit event "login_failed" (detail as above) and a row for
 * the throttle (with the request's known device, when it is one of login's account).
 */
enum sk_db_status sk_auth_failed(struct sk_request *req, struct sk_dbconn *db, const char *login, const char *detail);

/*
 * After the right password for account_id (login normalised): forgets this address's and this
 * device's failures of login, and makes the client a known device of the account (setting the
 * sk_device cookie when it is not one yet). Best effort: a database error here is logged only.
 */
void sk_auth_login_succeeded(struct sk_request *req, struct sk_dbconn *db, const char *login, int64_t account_id);

/* Adds the Set-Cookie header that starts (token) or ends (NULL) the session. */
void sk_auth_set_cookie(struct sk_request *req, const char *token);

#endif
