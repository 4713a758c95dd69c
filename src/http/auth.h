/* Sessions, CSRF and role checks for requests. */
#ifndef SK_HTTP_AUTH_H
#define SK_HTTP_AUTH_H

#include "http/server.h"

#define SK_COOKIE_NAME "sk_session"
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
 * Re-checks the signed-in person's password before a grave action (publishing, deleting the
 * account). Wrong passwords count and are throttled like failed logins. Replies 401/429 itself.
 */
bool sk_auth_recheck_password(struct sk_request *req, const char *password);

/*
 * The failed-login throttle for a login attempt on db: true when login (normalised) or the
 * client's address has failed too often within the window. Then it has audited
 * "login_throttled" (with detail, a JSON text or NULL) and replied 429 with Retry-After,
 * saying "Too many <what>", or replied the database error. False: go on.
 */
bool sk_auth_throttled(struct sk_request *req, struct sk_dbconn *db, const char *login, const char *detail,
		       const char *what);

/* Adds the Set-Cookie header that starts (token) or ends (NULL) the session. */
void sk_auth_set_cookie(struct sk_request *req, const char *token);

#endif
