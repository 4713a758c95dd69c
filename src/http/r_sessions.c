/* Sessions: log in (with the failed-login throttle and the known-device cookie) and log out. */
#include "db/accounts.h"
#include "db/audit.h"
#include "db/sessions.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void sessions_create(struct sk_request *req)
{
	const char *login_in, *password;
	struct sk_field fields[] = {
		SK_STRING("login", &login_in, 1, SK_LOGIN_MAX),
		SK_SECRET("password", &password, 1, SK_PASSWORD_MAX),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	char login[SK_LOGIN_MAX + 1];
	if (sk_login_normalize(login_in, login, sizeof login) == SK_LOGIN_INVALID)
		snprintf(login, sizeof login, "invalid");
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL)
		return;
	if (sk_auth_throttled(req, db, login, NULL, "failed logins"))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_account_by_login(db, login, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	const char *hash = st == SK_DB_OK ? sk_db_str(r, 0, "password_hash") : NULL;
	bool ok = sk_password_verify(password, hash) && hash != NULL;
	int64_t account_id = st == SK_DB_OK ? sk_db_i64(r, 0, "id") : 0;
	PQclear(r);
	if (!ok) {
		st = sk_auth_failed(req, db, login, NULL);
		if (st != SK_DB_OK) {
			sk_reply_db_error(req, st);
			return;
		}
		sk_reply_error(req, 401, "invalid_credentials", NULL, "The login or the password is wrong.");
		return;
	}
	char token[SK_TOKEN_CHARS + 1], csrf[SK_TOKEN_CHARS + 1];
	unsigned char token_hash[32];
	sk_token_new(token);
	sk_token_new(csrf);
	sk_token_hash(token, token_hash);
	st = sk_db_session_create(db, token_hash, csrf, account_id, req->now, req->ip);
	if (st != SK_DB_OK) {
		sodium_memzero(token, sizeof token);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *view = account_view(db, account_id, &st);
	if (view == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_auth_set_cookie(req, token);
	sodium_memzero(token, sizeof token);
	sk_auth_login_succeeded(req, db, login, account_id);
	sk_reply_json(req, 201, json_pack("{s:o,s:s}", "account", view, "csrf_token", csrf));
}

void sessions_delete_current(struct sk_request *req)
{
	enum sk_db_status st =
		sk_db_session_end(req->db, req->session.id, req->session.account_id, req->now, req->ip);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_auth_set_cookie(req, NULL);
	sk_reply_empty(req, 204);
}
