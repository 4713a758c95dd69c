/* Notices (issue 13): my in-app list, read marks, and the outside channels I choose. Every handler
 * acts on the caller's own notices only (req->session.account_id); nothing names another person's. */
#include "db/notifications.h"
#include "domain/login.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "notify/notice_text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The language the caller reads: ?lang=vi|en, else the first of vi and en in Accept-Language,
 * else Vietnamese. Replies 400 and returns NULL for another ?lang.
 */
static const char *reader_lang(struct sk_request *req)
{
	const char *q = sk_req_query(req, "lang");
	if (q != NULL) {
		if (strcmp(q, "vi") == 0 || strcmp(q, "en") == 0)
			return q;
		sk_reply_error(req, 400, "invalid_field", "lang", "lang must be vi or en.");
		return NULL;
	}
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept-Language");
	while (h != NULL && *h) {
		h += strspn(h, " ,");
		if (strncasecmp(h, "en", 2) == 0 && (h[2] == '\0' || strchr("-_;, ", h[2])))
			return "en";
		if (strncasecmp(h, "vi", 2) == 0 && (h[2] == '\0' || strchr("-_;, ", h[2])))
			return "vi";
		h = strchr(h, ',');
	}
	return "vi";
}

void notifications_list(struct sk_request *req)
{
	long long before, limit;
	if (!sk_req_query_int(req, "before", 1, INT64_MAX, 0, &before) ||
	    !sk_req_query_int(req, "limit", 1, 100, 20, &limit))
		return;
	const char *lang = reader_lang(req);
	if (lang == NULL)
		return;
	PGresult *r;
	int64_t me = req->session.account_id, unread = 0;
	enum sk_db_status st = sk_db_notifications_list(req->db, me, before, limit, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		st = sk_db_notifications_unread(req->db, me, &unread);
		r = NULL;
	}
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *items = json_array();
	for (int i = 0; r != NULL && i < PQntuples(r); i++) {
		const char *event = sk_db_str(r, i, "event");
		json_t *facts = json_loads(sk_db_str(r, i, "facts"), 0, NULL);
		char *title = NULL, *body = NULL, *link = NULL;
		if (facts == NULL || sk_notice_text(event, lang, "app", facts, &title, &body) != 0) {
			/* an event this server does not know (written by a newer one): shown by its name */
			title = strdup(event);
			body = strdup("");
		}
		link = sk_notice_link(event, facts);
		json_array_append_new(
			items, json_pack("{s:I,s:s,s:s,s:o,s:s?,s:s?,s:s?}", "id", (json_int_t)sk_db_i64(r, i, "id"), "event",
					 event, "created_at", sk_db_str(r, i, "created_at"), "read_at",
					 sk_db_isnull(r, i, "read_at") ? json_null() : json_string(sk_db_str(r, i, "read_at")),
					 "title", title, "body", body, "link", link));
		free(title);
		free(body);
		free(link);
		json_decref(facts);
		unread = sk_db_i64(r, i, "unread");
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o,s:I}", "items", items, "unread", (json_int_t)unread));
}

void notifications_read(struct sk_request *req)
{
	json_t *ids = NULL;
	bool all = false, has_ids = false, has_all = false;
	struct sk_field fields[] = { SK_ARRAY_OPT("ids", &ids, &has_ids), SK_BOOL_OPT("all", &all, &has_all), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	if (has_ids == has_all || (has_all && !all)) {
		sk_reply_error(req, 400, "invalid_field", has_all ? "all" : "ids",
			       "Send either \"ids\" (the notices to mark read) or \"all\": true.");
		return;
	}
	char *ids_json = NULL;
	if (has_ids) {
		size_t i;
		json_t *v;
		if (json_array_size(ids) < 1 || json_array_size(ids) > 200) {
			sk_reply_error(req, 400, "invalid_field", "ids", "ids must list 1 to 200 notices.");
			return;
		}
		json_array_foreach(ids, i, v)
		{
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				sk_reply_error(req, 400, "invalid_field", "ids", "ids must be notice ids (whole numbers).");
				return;
			}
		}
		ids_json = sk_req_own(req, json_dumps(ids, JSON_COMPACT));
	}
	int64_t unread = 0;
	enum sk_db_status st = sk_db_notifications_mark_read(req->db, req->session.account_id, ids_json, req->now, &unread);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:I}", "unread", (json_int_t)unread));
}

/* The settings document from a row of sk_db_notification_settings_get. */
static json_t *settings_view(const struct sk_config *cfg, PGresult *r)
{
	return json_pack("{s:b,s:b,s:b,s:s?,s:b,s:s,s:s?,s:s?,s:b,s:{s:b,s:b,s:b}}", "sms", sk_db_bool(r, 0, "sms"),
			 "zalo", sk_db_bool(r, 0, "zalo"), "email", sk_db_bool(r, 0, "email"), "email_address",
			 sk_db_isnull(r, 0, "email_address") ? NULL : sk_db_str(r, 0, "email_address"),
			 "notify_helper", sk_db_bool(r, 0, "notify_helper"), "lang", sk_db_str(r, 0, "lang"),
			 "phone", sk_db_isnull(r, 0, "phone") ? NULL : sk_db_str(r, 0, "phone"), "login_email",
			 sk_db_isnull(r, 0, "login_email") ? NULL : sk_db_str(r, 0, "login_email"), "assisted",
			 sk_db_bool(r, 0, "assisted"), "available", "sms", cfg->notify_sms, "zalo", cfg->notify_zalo,
			 "email", cfg->notify_email);
}

static void settings_reply(struct sk_request *req)
{
	PGresult *r;
	enum sk_db_status st = sk_db_notification_settings_get(req->db, req->session.account_id, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st == SK_DB_NOROWS ? SK_DB_ERROR : st);
		return;
	}
	sk_reply_json(req, 200, settings_view(req->srv->cfg, r));
	PQclear(r);
}

void notification_settings_get(struct sk_request *req)
{
	settings_reply(req);
}

void notification_settings_put(struct sk_request *req)
{
	const struct sk_config *cfg = req->srv->cfg;
	struct sk_notification_settings s = { 0 };
	const char *email_in = NULL, *lang = NULL;
	bool has_email = false, has_lang = false;
	struct sk_field fields[] = {
		SK_BOOL("sms", &s.sms),
		SK_BOOL("zalo", &s.zalo),
		SK_BOOL("email", &s.email),
		SK_BOOL("notify_helper", &s.notify_helper),
		SK_STRING_OPT("email_address", &email_in, 3, SK_LOGIN_MAX, &has_email),
		SK_STRING_OPT("lang", &lang, 2, 2, &has_lang),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	if (has_lang && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		sk_reply_error(req, 400, "invalid_field", "lang", "lang must be vi or en.");
		return;
	}
	static char no_email[] = "";
	char *email = no_email;
	if (has_email) {
		email = sk_req_own(req, malloc(SK_LOGIN_MAX + 1));
		if (email == NULL || sk_login_normalize(email_in, email, SK_LOGIN_MAX + 1) != SK_LOGIN_EMAIL) {
			sk_reply_error(req, 400, "invalid_email", "email_address",
				       "This is not an email address. Write it as name@example.vn, or leave it empty.");
			return;
		}
	}
	const char *offered = !cfg->notify_sms && s.sms ? "sms" : !cfg->notify_zalo && s.zalo ? "zalo"
							 : !cfg->notify_email && s.email ? "email" : NULL;
	if (offered != NULL) {
		sk_reply_error(req, 409, "channel_unavailable", offered,
			       "This ward does not send notices by %s yet. Choose another way.", offered);
		return;
	}
	PGresult *r;
	enum sk_db_status st = sk_db_notification_settings_get(req->db, req->session.account_id, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st == SK_DB_NOROWS ? SK_DB_ERROR : st);
		return;
	}
	bool has_phone = !sk_db_isnull(r, 0, "phone") || (s.notify_helper && sk_db_bool(r, 0, "assisted"));
	bool login_email = !sk_db_isnull(r, 0, "login_email");
	if (!has_lang)
		lang = sk_req_own(req, strdup(sk_db_str(r, 0, "lang")));
	PQclear(r);
	if ((s.sms || s.zalo) && !has_phone) {
		sk_reply_error(req, 400, "no_phone", s.sms ? "sms" : "zalo",
			       "Your account has no mobile number to send SMS or Zalo messages to.");
		return;
	}
	if (s.email && !has_email && !login_email) {
		sk_reply_error(req, 400, "email_address_required", "email_address",
			       "Give the email address to send notices to.");
		return;
	}
	s.email_address = has_email ? email : NULL;
	s.lang = lang;
	st = sk_db_notification_settings_put(req->db, req->session.account_id, &s, req->now);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	settings_reply(req);
}
