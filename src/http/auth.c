#include "http/auth.h"

#include "db/accounts.h"
#include "db/audit.h"
#include "db/sessions.h"
#include "log.h"
#include "passwords.h"
#include "http/reply.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sk_token_new(char out[SK_TOKEN_CHARS + 1])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, SK_TOKEN_CHARS + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void sk_token_hash(const char *token, unsigned char out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

static void parse_grants(struct sk_session *s, const char *text)
{
	s->ngrants = 0;
	if (text == NULL)
		return;
	const char *p = text;
	while (*p && s->ngrants < SK_MAX_GRANTS) {
		const char *colon = strchr(p, ':');
		if (colon == NULL)
			break;
		const char *end = strchr(colon, ',');
		size_t rlen = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
		char role[16];
		if (rlen < sizeof role) {
			memcpy(role, colon + 1, rlen);
			role[rlen] = '\0';
			struct sk_grant *g = &s->grants[s->ngrants];
			g->ward_id = *p == '*' ? 0 : strtoll(p, NULL, 10);
			g->role = sk_role_parse(role);
			if (g->role != SK_ROLE_NONE)
				s->ngrants++;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
}

bool sk_auth_load(struct sk_request *req, bool with_account, bool *replied)
{
	*replied = false;
	const char *token = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SK_COOKIE_NAME);
	if (token == NULL || strlen(token) != SK_TOKEN_CHARS)
		return false;
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL) {
		*replied = true;
		return false;
	}
	unsigned char hash[32];
	sk_token_hash(token, hash);
	const struct sk_config *cfg = req->srv->cfg;
	PGresult *r;
	enum sk_db_status st = sk_db_session_lookup(db, hash, req->now, cfg->session_idle, cfg->session_absolute,
						    with_account, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		return false;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		*replied = true;
		return false;
	}
	struct sk_session *s = &req->session;
	s->id = sk_db_i64(r, 0, "session_id");
	s->account_id = sk_db_i64(r, 0, "account_id");
	snprintf(s->csrf, sizeof s->csrf, "%s", sk_db_str(r, 0, "csrf_token"));
	parse_grants(s, sk_db_str(r, 0, "grants"));
	if (with_account) {
		int col = PQfnumber(r, "account");
		s->account_json_len = (size_t)PQgetlength(r, 0, col);
		s->account_json = sk_req_own(req, strndup(PQgetvalue(r, 0, col), s->account_json_len));
		s->unread_notifications = sk_db_i64(r, 0, "unread_notifications");
	}
	bool stale = sk_db_bool(r, 0, "stale");
	PQclear(r);
	/* The last-seen mark moves at most once a minute (see sk_db_session_lookup), so nearly every
	 * request only reads. */
	if (stale) {
		st = sk_db_session_touch(db, s->id, req->now);
		if (st != SK_DB_OK && st != SK_DB_NOROWS) {
			sk_reply_db_error(req, st);
			*replied = true;
			return false;
		}
	}
	req->has_session = true;
	return true;
}

bool sk_auth_csrf_ok(const struct sk_request *req)
{
	const char *sent = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	if (!req->has_session || sent == NULL)
		return false;
	size_t len = strlen(req->session.csrf);
	return strlen(sent) == len && sodium_memcmp(sent, req->session.csrf, len) == 0;
}

bool sk_is_installation_admin(const struct sk_request *req)
{
	if (!req->has_session)
		return false;
	for (int i = 0; i < req->session.ngrants; i++)
		if (req->session.grants[i].ward_id == 0 && req->session.grants[i].role == SK_ROLE_ADMIN)
			return true;
	return false;
}

bool sk_has_role(const struct sk_request *req, int64_t ward, enum sk_role role)
{
	if (!req->has_session)
		return false;
	if (role == SK_ROLE_ADMIN && sk_is_installation_admin(req))
		return true;
	for (int i = 0; i < req->session.ngrants; i++) {
		const struct sk_grant *g = &req->session.grants[i];
		if (g->role == role && (ward == 0 || g->ward_id == ward))
			return true;
	}
	return false;
}

bool sk_require_role(struct sk_request *req, int64_t ward, enum sk_role role)
{
	if (sk_has_role(req, ward, role))
		return true;
	sk_reply_error(req, 403, "forbidden", NULL, "This needs the %s role%s.", sk_role_name(role),
		       ward ? " in this ward" : "");
	return false;
}

void sk_auth_set_cookie(struct sk_request *req, const char *token)
{
	char cookie[256];
	const struct sk_config *cfg = req->srv->cfg;
	if (token)
		snprintf(cookie, sizeof cookie, SK_COOKIE_NAME "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
			 token, cfg->session_absolute, cfg->secure_cookies ? "; Secure" : "");
	else
		snprintf(cookie, sizeof cookie, SK_COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
			 cfg->secure_cookies ? "; Secure" : "");
	sk_reply_header(req, "Set-Cookie", cookie);
}

/* The SHA-256 of the request's known-device cookie into out; false when it sends none. */
static bool device_cookie(const struct sk_request *req, unsigned char out[32])
{
	const char *token = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SK_DEVICE_COOKIE);
	if (token == NULL || strlen(token) != SK_TOKEN_CHARS)
		return false;
	sk_token_hash(token, out);
	return true;
}

/* Replies 429 with Retry-After retry (clamped to 1..window) and "Too many <what>. Please wait …". */
static void reply_too_many(struct sk_request *req, long retry, const char *what)
{
	long window = req->srv->cfg->login_window;
	if (retry > window)
		retry = window;
	if (retry < 1)
		retry = 1;
	char secs[24];
	snprintf(secs, sizeof secs, "%ld", retry);
	sk_reply_header(req, "Retry-After", secs);
	if (retry < 60)
		sk_reply_error(req, 429, "too_many_requests", NULL, "Too many %s. Please wait %ld second%s and try again.",
			       what, retry, retry == 1 ? "" : "s");
	else
		sk_reply_error(req, 429, "too_many_requests", NULL, "Too many %s. Please wait %ld minute%s and try again.",
			       what, (retry + 59) / 60, (retry + 59) / 60 == 1 ? "" : "s");
}

/* The wait the login's failures from all addresses impose: none below limit, then 1 s doubling up to cap. */
static long progressive_delay(long failures, long limit, long cap)
{
	if (failures < limit)
		return 0;
	long over = failures - limit;
	long delay = over >= 30 ? cap : 1L << over;
	return delay < cap ? delay : cap;
}

bool sk_auth_recheck_password(struct sk_request *req, const char *password)
{
	PGresult *r;
	enum sk_db_status st = sk_db_account_by_id(req->db, req->session.account_id, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st == SK_DB_NOROWS ? SK_DB_ERROR : st);
		return false;
	}
	char login[300];
	snprintf(login, sizeof login, "%s", sk_db_str(r, 0, "login"));
	const struct sk_config *cfg = req->srv->cfg;
	long failures;
	int64_t oldest;
	st = sk_db_recheck_failures(req->db, login, req->now, cfg->login_window, &failures, &oldest);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return false;
	}
	if (failures >= cfg->login_max_per_account) {
		PQclear(r);
		reply_too_many(req, oldest + cfg->login_window - req->now, "wrong passwords");
		return false;
	}
	bool ok = sk_password_verify(password, sk_db_str(r, 0, "password_hash"));
	PQclear(r);
	if (!ok) {
		st = sk_db_audit(req->db, req->session.account_id, 0, "login_failed", login, req->ip, "{\"via\":\"recheck\"}");
		if (st == SK_DB_OK)
			st = sk_db_auth_failure(req->db, "recheck", login, req->ip, NULL, req->now, cfg->login_window,
						cfg->device_ttl);
		if (st != SK_DB_OK) {
			sk_reply_db_error(req, st);
			return false;
		}
		sk_reply_error(req, 401, "invalid_credentials", "password", "The password is wrong.");
		return false;
	}
	if (failures > 0) {
		st = sk_db_auth_success(req->db, "recheck", login, req->ip, NULL);
		if (st != SK_DB_OK)
			sk_warn("req=%s could not clear the password re-check failures: %s", req->id,
				sk_db_last_error(req->db));
	}
	return true;
}

bool sk_auth_throttled(struct sk_request *req, struct sk_dbconn *db, const char *login, const char *detail,
		       const char *what)
{
	const struct sk_config *cfg = req->srv->cfg;
	unsigned char device[32];
	bool has_device = device_cookie(req, device);
	struct sk_db_throttle t;
	enum sk_db_status st = sk_db_login_throttle(db, login, req->ip, has_device ? device : NULL, req->now,
						    cfg->login_window, cfg->device_ttl, &t);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return true;
	}
	long retry = 0;
	const char *by = NULL;
	if (t.known_device) {
		/* The owner's device: only its own failures count. */
		if (t.by_device >= cfg->login_max_per_account) {
			retry = t.device_oldest + cfg->login_window - req->now;
			by = "device";
		}
	} else {
		if (t.by_ip >= cfg->login_max_per_ip) {
			retry = t.ip_oldest + cfg->login_window - req->now;
			by = "address";
		}
		if (t.by_pair >= cfg->login_max_per_account && t.pair_oldest + cfg->login_window - req->now > retry) {
			retry = t.pair_oldest + cfg->login_window - req->now;
			by = "login_and_address";
		}
		long delay = progressive_delay(t.by_login, cfg->login_max_per_account, cfg->login_delay_max);
		if (by == NULL && delay > 0 && t.login_last + delay > req->now) {
			retry = t.login_last + delay - req->now;
			by = "login_delay";
		}
	}
	if (by == NULL)
		return false;
	char audit_detail[512];
	if (detail != NULL && detail[0] == '{' && detail[1] != '}' && detail[1] != '\0')
		snprintf(audit_detail, sizeof audit_detail, "{\"by\":\"%s\",%s", by, detail + 1);
	else
		snprintf(audit_detail, sizeof audit_detail, "{\"by\":\"%s\"}", by);
	st = sk_db_audit(db, 0, 0, "login_throttled", login, req->ip, audit_detail);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return true;
	}
	reply_too_many(req, retry, what);
	return true;
}

enum sk_db_status sk_auth_failed(struct sk_request *req, struct sk_dbconn *db, const char *login, const char *detail)
{
	const struct sk_config *cfg = req->srv->cfg;
	enum sk_db_status st = sk_db_audit(db, 0, 0, "login_failed", login, req->ip, detail);
	if (st != SK_DB_OK)
		return st;
	unsigned char device[32];
	bool has_device = device_cookie(req, device);
	return sk_db_auth_failure(db, "login", login, req->ip, has_device ? device : NULL, req->now, cfg->login_window,
				  cfg->device_ttl);
}

void sk_auth_login_succeeded(struct sk_request *req, struct sk_dbconn *db, const char *login, int64_t account_id)
{
	const struct sk_config *cfg = req->srv->cfg;
	unsigned char device[32];
	bool has_device = device_cookie(req, device), created = false;
	enum sk_db_status st = SK_DB_OK;
	char token[SK_TOKEN_CHARS + 1];
	if (cfg->device_ttl > 0) {
		unsigned char fresh[32];
		sk_token_new(token);
		sk_token_hash(token, fresh);
		st = sk_db_device_remember(db, account_id, has_device ? device : NULL, fresh, req->now, cfg->device_ttl,
					   &created);
		if (st != SK_DB_OK)
			sk_warn("req=%s could not remember the device: %s", req->id, sk_db_last_error(db));
	}
	/* A known device forgets its own failures only: the address may be shared with a stranger. */
	bool known = cfg->device_ttl > 0 && st == SK_DB_OK && !created && has_device;
	st = sk_db_auth_success(db, "login", login, known ? NULL : req->ip, has_device ? device : NULL);
	if (st != SK_DB_OK)
		sk_warn("req=%s could not clear the failed logins: %s", req->id, sk_db_last_error(db));
	if (created) {
		char cookie[256];
		snprintf(cookie, sizeof cookie,
			 SK_DEVICE_COOKIE "=%s; Path=/api/v1/sessions; Max-Age=%ld; HttpOnly; SameSite=Strict%s", token,
			 cfg->device_ttl, cfg->secure_cookies ? "; Secure" : "");
		sk_reply_header(req, "Set-Cookie", cookie);
	}
	if (cfg->device_ttl > 0)
		sodium_memzero(token, sizeof token);
}
