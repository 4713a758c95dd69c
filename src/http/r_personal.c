/* Personal data: download everything held about me; delete my account. */
#include "db/accounts.h"
#include "db/audit.h"
#include "db/people.h"
#include "db/sessions.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"

#include <stdio.h>

void personal_export(struct sk_request *req)
{
	PGresult *r;
	enum sk_db_status st = sk_db_personal_export(req->db, req->session.account_id, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(sk_db_str(r, 0, "json"), 0, NULL);
	PQclear(r);
	if (v == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The export could not be built.");
		return;
	}
	sk_reply_header(req, "Content-Disposition", "attachment; filename=\"du-lieu-cua-toi.json\"");
	sk_reply_json(req, 200, v);
}

void personal_delete(struct sk_request *req)
{
	const char *password;
	struct sk_field fields[] = { SK_SECRET("password", &password, 1, 256), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_account_by_id(req->db, req->session.account_id, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	/* Guessing the password through this form is throttled and audited like a failed login. */
	char login[300];
	snprintf(login, sizeof login, "%s", sk_db_str(r, 0, "login"));
	long by_login, by_ip, retry_login, retry_ip;
	const struct sk_config *cfg = req->srv->cfg;
	st = sk_db_login_failures(req->db, login, req->ip, req->now, cfg->login_window, &by_login, &by_ip, &retry_login,
				  &retry_ip);
	if (st == SK_DB_OK && (by_login >= cfg->login_max_per_account || by_ip >= cfg->login_max_per_ip)) {
		PQclear(r);
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", retry_login > 0 ? retry_login : 60);
		sk_reply_header(req, "Retry-After", secs);
		sk_reply_error(req, 429, "too_many_requests", NULL, "Too many wrong passwords. Please wait and try again.");
		return;
	}
	bool ok = sk_password_verify(password, sk_db_str(r, 0, "password_hash"));
	PQclear(r);
	if (!ok) {
		sk_db_audit(req->db, req->session.account_id, 0, "login_failed", login, req->ip, NULL);
		sk_reply_error(req, 401, "invalid_credentials", "password", "The password is wrong.");
		return;
	}
	st = sk_db_personal_delete(req->db, req->session.account_id, req->now, req->ip);
	if (st == SK_DB_RULE) {
		sk_reply_error(req, 409, "last_admin", NULL,
			       "You are the installation's only administrator: name another before deleting your account.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_auth_set_cookie(req, NULL);
	sk_reply_empty(req, 204);
}
