/* Accounts: registration, "me", and the administrators' search, view and creation. */
#include "db/accounts.h"
#include "db/audit.h"
#include "db/people.h"
#include "domain/login.h"
#include "domain/text.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "passwords.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
			       has_group ? "That residential group does not exist in this ward, or is retired." : "That ward does not exist.");
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
		sk_reply_json(req, 200, json_pack("{s:o,s:s,s:I}", "account", view, "csrf_token", session->csrf,
						  "unread_notifications", (json_int_t)session->unread_notifications));
		return;
	}
	/* The account as the session lookup built it, spliced in without parsing: the same bytes
	 * sk_reply_json would make of {"account":...,"csrf_token":...,"unread_notifications":N} (the
	 * token is base64url). */
	static const char head[] = "{\"account\":", mid[] = ",\"csrf_token\":\"";
	char tail[64];
	snprintf(tail, sizeof tail, "\",\"unread_notifications\":%lld}", (long long)session->unread_notifications);
	size_t csrf_len = strlen(session->csrf);
	size_t tail_len = strlen(tail);
	size_t len = sizeof head - 1 + session->account_json_len + sizeof mid - 1 + csrf_len + tail_len;
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
	memcpy(w, tail, tail_len + 1);
	sk_reply_json_text(req, 200, text, len);
}

bool search_query(struct sk_request *req, const char **query, char *digits, size_t digits_size)
{
	const char *raw = sk_req_query(req, "q");
	json_t *v = raw ? json_string(raw) : NULL; /* NULL too when raw is not UTF-8 */
	*query = v ? sk_json_text(req, v, "q", 2, 100, SK_TEXT_SINGLE_LINE) : NULL;
	json_decref(v);
	if (v == NULL)
		sk_reply_error(req, 400, "invalid_field", "q", "Give ?q= a name, a phone number or an email (2 to 100 characters).");
	if (*query == NULL)
		return false;
	sk_login_search_digits(*query, digits, digits_size);
	return true;
}

const char *search_kind(const char *query, const char *digits)
{
	return strchr(query, '@') ? "email" : digits[0] ? "phone" : "name";
}

#define SEARCH_WINDOW 3600 /* seconds over which a person's searches of people are counted (--people-searches) */

bool search_budget_or_reply(struct sk_request *req)
{
	long retry = 0;
	enum sk_db_status st = sk_db_people_search_take(req->db, req->session.account_id, req->now,
							req->srv->cfg->people_searches, SEARCH_WINDOW, &retry);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return false;
	}
	if (retry == 0)
		return true;
	char secs[24];
	snprintf(secs, sizeof secs, "%ld", retry);
	sk_reply_header(req, "Retry-After", secs);
	sk_reply_error(req, 429, "too_many_searches", NULL,
		       "You have searched for people %ld times in the last hour, the most allowed. Please wait %ld minute%s.",
		       req->srv->cfg->people_searches, (retry + 59) / 60, (retry + 59) / 60 == 1 ? "" : "s");
	return false;
}

/* GET /admin/accounts?q=: the accounts a search finds, scoped to the caller's wards. */
static void accounts_admin_search(struct sk_request *req)
{
	const char *query;
	char digits[64], wards[1024];
	if (!search_query(req, &query, digits, sizeof digits) || !search_budget_or_reply(req))
		return;
	bool all = sk_is_installation_admin(req);
	if (!all)
		role_wards(req, SK_ROLE_ADMIN, wards, sizeof wards);
	PGresult *r;
	struct sk_db_searcher who = { req->session.account_id, req->ip, search_kind(query, digits) };
	enum sk_db_status st =
		sk_db_accounts_search(req->db, query, digits[0] ? digits : NULL, all ? NULL : wards, 50, &who, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *view = json_loads(sk_db_str(r, i, "json"), 0, NULL);
		if (view != NULL && account_view_scope(req, view))
			json_array_append_new(list, view);
		else
			json_decref(view);
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "accounts", list));
}

void accounts_admin_lookup(struct sk_request *req)
{
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	if (sk_req_query(req, "q") != NULL) {
		accounts_admin_search(req);
		return;
	}
	const char *login_in = sk_req_query(req, "login");
	char login[SK_LOGIN_MAX + 1];
	if (login_in == NULL || sk_login_normalize(login_in, login, sizeof login) == SK_LOGIN_INVALID) {
		sk_reply_error(req, 400, "invalid_field", "login",
			       "Give ?login= a phone number or an email address.");
		return;
	}
	if (!search_budget_or_reply(req))
		return;
	PGresult *r = NULL;
	enum sk_db_status st = sk_db_account_by_login(req->db, login, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *view = NULL;
	if (st == SK_DB_OK) {
		int64_t id = sk_db_i64(r, 0, "id");
		view = account_view(req->db, id, &st);
		if (view == NULL) {
			PQclear(r);
			sk_reply_db_error(req, st);
			return;
		}
		/* A ward's administrator finds only the people of their wards, and only those roles. */
		if (!account_view_scope(req, view)) {
			json_decref(view);
			view = NULL;
		}
	}
	PQclear(r);
	/* Audited like a search, found or not (a lookup by number is a search of people). */
	char wards[1024];
	bool all = sk_is_installation_admin(req);
	if (!all)
		role_wards(req, SK_ROLE_ADMIN, wards, sizeof wards);
	struct sk_db_searcher who = { req->session.account_id, req->ip, "login" };
	st = sk_db_login_lookup_audit(req->db, &who, all ? NULL : wards, login, view != NULL);
	if (st != SK_DB_OK) {
		json_decref(view);
		sk_reply_db_error(req, st);
		return;
	}
	if (view == NULL) {
		sk_reply_error(req, 404, "not_found", "login", "No account has this login.");
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:o}", "account", view));
}

void accounts_admin_get(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0);
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	enum sk_db_status st = SK_DB_NOROWS;
	json_t *view = id ? account_view(req->db, id, &st) : NULL;
	if (view == NULL && st != SK_DB_ERROR && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	/* sk_db_account_json says SK_DB_ERROR for a missing account: tell it from a failure. */
	if (view == NULL && id) {
		PGresult *r;
		st = sk_db_account_by_id(req->db, id, &r);
		PQclear(r);
		if (st != SK_DB_OK && st != SK_DB_NOROWS) {
			sk_reply_db_error(req, st);
			return;
		}
	}
	/* A ward's administrator sees the people of their wards only, with those roles. */
	if (view == NULL || !account_view_scope(req, view)) {
		json_decref(view);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such account.");
		return;
	}
	char wards[1024];
	bool all = sk_is_installation_admin(req);
	if (!all)
		role_wards(req, SK_ROLE_ADMIN, wards, sizeof wards);
	/* Looking at one person's account, roles and history is audited, as a leader's view of a resident is. */
	st = sk_db_account_view_audit(req->db, req->session.account_id, req->ip, all ? NULL : wards, id);
	if (st != SK_DB_OK) {
		json_decref(view);
		sk_reply_db_error(req, st);
		return;
	}
	struct sk_audit_filter f = { .wards = all ? NULL : wards, .account = id, .limit = 20 };
	PGresult *r;
	st = sk_db_audit_list(req->db, &f, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		json_decref(view);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *events = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *detail = json_loads(sk_db_str(r, i, "detail"), 0, NULL);
		json_array_append_new(
			events,
			json_pack("{s:I,s:s,s:o,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)sk_db_i64(r, i, "id"), "at",
				  sk_db_str(r, i, "at"), "actor_account_id",
				  sk_db_isnull(r, i, "actor_account_id") ? json_null()
									  : json_integer(sk_db_i64(r, i, "actor_account_id")),
				  "actor_name",
				  sk_db_isnull(r, i, "actor_name") ? json_null() : json_string(sk_db_str(r, i, "actor_name")),
				  "ward_id", sk_db_isnull(r, i, "ward_id") ? json_null() : json_integer(sk_db_i64(r, i, "ward_id")),
				  "action", sk_db_str(r, i, "action"), "subject",
				  sk_db_isnull(r, i, "subject") ? json_null() : json_string(sk_db_str(r, i, "subject")),
				  "detail", detail ? detail : json_object()));
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o,s:o}", "account", view, "recent_events", events));
}

/*
 * The roles of a new account as given ([{role, ward_id, group_id}]), checked against the caller's
 * rights, as a new normalised array; NULL after replying 400 or 403.
 */
static json_t *new_account_roles(struct sk_request *req, json_t *in)
{
	if (!json_is_array(in) || json_array_size(in) < 1 || json_array_size(in) > 16) {
		sk_reply_error(req, 400, "invalid_field", "roles", "Give 1 to 16 roles, such as {\"role\":\"panelist\",\"ward_id\":1}.");
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(in, i, e) {
		const char *key;
		json_t *v;
		bool ok = json_is_object(e);
		json_object_foreach(e, key, v)
			ok = ok && (!strcmp(key, "role") || !strcmp(key, "ward_id") || !strcmp(key, "group_id"));
		json_t *jr = json_object_get(e, "role"), *jw = json_object_get(e, "ward_id"), *jg = json_object_get(e, "group_id");
		enum sk_role role = json_is_string(jr) ? sk_role_parse(json_string_value(jr)) : SK_ROLE_NONE;
		int64_t ward = json_is_integer(jw) ? json_integer_value(jw) : 0;
		int64_t group = json_is_integer(jg) ? json_integer_value(jg) : 0;
		ok = ok && role != SK_ROLE_NONE && (jw == NULL || json_is_null(jw) || ward > 0) &&
		     (jg == NULL || json_is_null(jg) || (group > 0 && role == SK_ROLE_RESIDENT));
		if (ok && ward == 0 && role != SK_ROLE_ADMIN)
			ok = false;
		for (size_t k = 0; ok && k < json_array_size(out); k++) {
			json_t *o = json_array_get(out, k);
			ok = strcmp(json_string_value(json_object_get(o, "role")), sk_role_name(role)) ||
			     json_integer_value(json_object_get(o, "ward_id")) != ward;
		}
		if (!ok) {
			json_decref(out);
			sk_reply_error(req, 400, "invalid_field", "roles",
				       "Role %zu: give role (resident, volunteer, panelist, leader or admin), ward_id (only an "
				       "installation admin has none) and, for a resident, group_id; each role once per ward.",
				       i + 1);
			return NULL;
		}
		if (ward == 0 ? !sk_is_installation_admin(req) : !sk_has_role(req, ward, SK_ROLE_ADMIN)) {
			json_decref(out);
			sk_reply_error(req, 403, "forbidden", "roles", "This needs the admin role %s.",
				       ward ? "in every ward of the roles" : "for the whole installation");
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s,s:o,s:o}", "role", sk_role_name(role), "ward_id",
						     ward ? json_integer(ward) : json_null(), "group_id",
						     group ? json_integer(group) : json_null()));
	}
	return out;
}

void accounts_admin_create(struct sk_request *req)
{
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	const char *login_in, *name;
	json_t *roles_in = NULL;
	bool has_roles;
	struct sk_field fields[] = {
		SK_STRING("login", &login_in, 3, SK_LOGIN_MAX),
		SK_STRING("display_name", &name, 1, 100),
		SK_ARRAY_OPT("roles", &roles_in, &has_roles),
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
	json_t *roles = new_account_roles(req, has_roles ? roles_in : NULL);
	if (roles == NULL)
		return;
	char *roles_text = json_dumps(roles, JSON_COMPACT);
	json_decref(roles);
	char code[9], shown[10], hash[SK_PWHASH_LEN];
	snprintf(code, sizeof code, "%08u", (unsigned)randombytes_uniform(100000000u));
	bool hashed = roles_text != NULL && sk_password_hash(code, hash);
	snprintf(shown, sizeof shown, "%.4s %.4s", code, code + 4);
	sodium_memzero(code, sizeof code);
	if (!hashed) {
		free(roles_text);
		sodium_memzero(shown, sizeof shown);
		sk_reply_error(req, 500, "internal", NULL, "The set-up code could not be made.");
		return;
	}
	struct sk_admin_new_account a = { .login = login, .login_kind = sk_login_kind_str(kind), .display_name = name,
					  .roles_json = roles_text, .code_hash = hash, .actor = req->session.account_id,
					  .now = req->now, .ttl = req->srv->cfg->setup_code_ttl, .ip = req->ip };
	int64_t id, expires;
	enum sk_db_status st = sk_db_admin_account_create(req->db, &a, &id, &expires);
	free(roles_text);
	if (st != SK_DB_OK)
		sodium_memzero(shown, sizeof shown);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "login_taken", "login",
			       "An account with this %s already exists: find it and grant it the role instead.",
			       kind == SK_LOGIN_PHONE ? "phone number" : "email");
		return;
	}
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", "roles",
			       "A ward or residential group of the roles does not exist, or the group is not in its ward or is retired.");
		return;
	}
	if (st == SK_DB_RULE) {
		sk_reply_error(req, 403, "forbidden", "roles", "You may not make this account a set-up code.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *view = account_view(req->db, id, &st);
	if (view == NULL) {
		sodium_memzero(shown, sizeof shown);
		sk_reply_db_error(req, st);
		return;
	}
	account_view_scope(req, view);
	time_t tt = (time_t)expires;
	struct tm tm;
	char at[32];
	gmtime_r(&tt, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sk_reply_json(req, 201,
		      json_pack("{s:o,s:{s:I,s:s,s:s,s:I}}", "account", view, "setup_code", "account_id", (json_int_t)id,
				"code", shown, "expires_at", at, "valid_seconds",
				(json_int_t)req->srv->cfg->setup_code_ttl));
	sodium_memzero(shown, sizeof shown);
}
