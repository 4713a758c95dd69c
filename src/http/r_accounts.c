/* Accounts: registration, "me", and the administrators' lookup. */
#include "db/accounts.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"

#include <stdlib.h>
#include <string.h>

json_t *account_view(struct sk_dbconn *db, int64_t id, enum sk_db_status *st)
{
	char *text;
	*st = sk_db_account_json(db, id, &text);
	if (*st != SK_DB_OK)
		return NULL;
	json_t *v = json_loads(text, 0, NULL);
	free(text);
	if (v == NULL)
		*st = SK_DB_ERROR;
	return v;
}

bool account_view_scope(const struct sk_request *req, json_t *view)
{
	if (sk_is_installation_admin(req))
		return true;
	json_t *roles = json_object_get(view, "roles");
	for (size_t i = json_array_size(roles); i-- > 0;) {
		json_t *ward = json_object_get(json_array_get(roles, i), "ward_id");
		if (!json_is_integer(ward) || !sk_has_role(req, json_integer_value(ward), SK_ROLE_ADMIN))
			json_array_remove(roles, i);
	}
	return json_array_size(roles) > 0;
}

void accounts_create(struct sk_request *req)
{
	const char *login_in, *password, *name;
	int64_t ward_id = 0, group_id = 0;
	bool has_group;
	struct sk_field fields[] = {
		SK_STRING("login", &login_in, 3, SK_LOGIN_MAX),
		SK_SECRET("password", &password, SK_PASSWORD_MIN, SK_PASSWORD_MAX),
		SK_STRING("display_name", &name, 1, 100),
		SK_INT("ward_id", &ward_id, 1, INT64_MAX),
		SK_INT_OPT("group_id", &group_id, 1, INT64_MAX, &has_group),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	char login[SK_LOGIN_MAX + 1];
	enum sk_login_kind kind = sk_login_normalize(login_in, login, sizeof login);
	if (kind == SK_LOGIN_INVALID) {
		sk_reply_error(req, 400, "invalid_field", "login",
			       "Enter a Vietnamese mobile number (such as 0901234567) or an email address.");
		return;
	}
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL)
		return;
	char hash[SK_PWHASH_LEN];
	if (!sk_password_hash(password, hash)) {
		sk_reply_error(req, 500, "internal", NULL, "The password could not be processed.");
		return;
	}
	struct sk_new_account a = { .login = login, .login_kind = sk_login_kind_str(kind), .display_name = name,
				    .password_hash = hash, .ward_id = ward_id, .group_id = has_group ? group_id : 0,
				    .ip = req->ip };
	int64_t id;
	enum sk_db_status st = sk_db_account_create(db, &a, &id);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "login_taken", "login",
			       "An account with this %s already exists. Log in instead.",
			       kind == SK_LOGIN_PHONE ? "phone number" : "email");
		return;
	}
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", has_group ? "group_id" : "ward_id",
			       has_group ? "That residential group does not exist in this ward." : "That ward does not exist.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *view = account_view(db, id, &st);
	if (view == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 201, json_pack("{s:o}", "account", view));
}

void accounts_me(struct sk_request *req)
{
	const struct sk_session *session = &req->session;
	if (session->account_json == NULL) { /* the session was loaded without it */
		enum sk_db_status st;
		json_t *view = account_view(req->db, session->account_id, &st);
		if (view == NULL) {
			sk_reply_db_error(req, st);
			return;
		}
		sk_reply_json(req, 200, json_pack("{s:o,s:s}", "account", view, "csrf_token", session->csrf));
		return;
	}
	/* The account as the session lookup built it, spliced in without parsing: the same bytes
	 * sk_reply_json would make of {"account":...,"csrf_token":...} (the token is base64url). */
	static const char head[] = "{\"account\":", mid[] = ",\"csrf_token\":\"", tail[] = "\"}";
	size_t csrf_len = strlen(session->csrf);
	size_t len = sizeof head - 1 + session->account_json_len + sizeof mid - 1 + csrf_len + sizeof tail - 1;
	char *text = malloc(len + 1);
	if (text == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	char *w = text;
	memcpy(w, head, sizeof head - 1);
	w += sizeof head - 1;
	memcpy(w, session->account_json, session->account_json_len);
	w += session->account_json_len;
	memcpy(w, mid, sizeof mid - 1);
	w += sizeof mid - 1;
	memcpy(w, session->csrf, csrf_len);
	w += csrf_len;
	memcpy(w, tail, sizeof tail);
	sk_reply_json_text(req, 200, text, len);
}

void accounts_admin_lookup(struct sk_request *req)
{
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	const char *login_in = sk_req_query(req, "login");
	char login[SK_LOGIN_MAX + 1];
	if (login_in == NULL || sk_login_normalize(login_in, login, sizeof login) == SK_LOGIN_INVALID) {
		sk_reply_error(req, 400, "invalid_field", "login",
			       "Give ?login= a phone number or an email address.");
		return;
	}
	PGresult *r;
	enum sk_db_status st = sk_db_account_by_login(req->db, login, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", "login", "No account has this login.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	int64_t id = sk_db_i64(r, 0, "id");
	PQclear(r);
	json_t *view = account_view(req->db, id, &st);
	if (view == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	/* A ward's administrator finds only the people of their wards, and only those roles. */
	if (!account_view_scope(req, view)) {
		json_decref(view);
		sk_reply_error(req, 404, "not_found", "login", "No account has this login.");
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:o}", "account", view));
}
