/* Personal data: download everything held about me; delete my account. */
#include "db/people.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

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
	if (!sk_auth_recheck_password(req, password))
		return;
	enum sk_db_status st = sk_db_personal_delete(req->db, req->session.account_id, req->now, req->ip);
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
