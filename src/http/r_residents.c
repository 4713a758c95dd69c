/*
 * A ward leader's "find a resident": the residents of the leader's ward by name or phone, each with
 * their residential group and a phone masked but for its last 3 digits, and one resident's proposals
 * in that ward. Never another ward's people: the ward of the path is checked against the caller's
 * leader role at every request, and the queries read only resident grants of that ward.
 */
#include "db/accounts.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/reply.h"

#include <stdlib.h>

/* The ward of the path when the caller leads it; otherwise replies 404 or 403 and returns 0. */
static int64_t led_ward(struct sk_request *req)
{
	int64_t ward = sk_param_id(req, 0);
	if (ward == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return 0;
	}
	if (!sk_has_role(req, ward, SK_ROLE_LEADER)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the leader role in this ward.");
		return 0;
	}
	return ward;
}

/* The fields of a resident that a leader sees (no full login). */
static json_t *resident_json(PGresult *r, int i)
{
	char masked[SK_LOGIN_MAX + 8];
	sk_login_mask_last3(sk_db_str(r, i, "login"), masked, sizeof masked);
	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:b}", "id", (json_int_t)sk_db_i64(r, i, "id"), "display_name",
			 sk_db_str(r, i, "display_name"), "login_masked", masked, "group_id",
			 sk_db_isnull(r, i, "group_id") ? json_null() : json_integer(sk_db_i64(r, i, "group_id")),
			 "group_name",
			 sk_db_isnull(r, i, "group_name") ? json_null() : json_string(sk_db_str(r, i, "group_name")),
			 "group_retired_at",
			 sk_db_isnull(r, i, "group_retired_at") ? json_null()
								: json_string(sk_db_str(r, i, "group_retired_at")),
			 "has_password", sk_db_bool(r, i, "has_password"));
}

void residents_search(struct sk_request *req)
{
	int64_t ward = led_ward(req);
	if (ward == 0)
		return;
	const char *query;
	char digits[64];
	if (!search_query(req, &query, digits, sizeof digits) || !search_budget_or_reply(req))
		return;
	PGresult *r;
	struct sk_db_searcher who = { req->session.account_id, req->ip, search_kind(query, digits) };
	enum sk_db_status st = sk_db_residents_search(req->db, ward, query, digits[0] ? digits : NULL, 50, &who, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *one = resident_json(r, i);
		json_object_set_new(one, "proposals", json_integer(sk_db_i64(r, i, "proposals")));
		json_array_append_new(list, one);
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "residents", list));
}

void residents_get(struct sk_request *req)
{
	int64_t ward = led_ward(req);
	if (ward == 0)
		return;
	int64_t account = sk_param_id(req, 1);
	PGresult *r = NULL;
	enum sk_db_status st = account ? sk_db_resident_get(req->db, ward, account, req->session.account_id, req->ip, &r)
				       : SK_DB_NOROWS;
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "No resident of this ward has this id.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *one = resident_json(r, 0);
	json_t *proposals = json_loads(sk_db_str(r, 0, "proposals"), 0, NULL);
	json_object_set_new(one, "may_issue_setup_code", json_boolean(sk_db_bool(r, 0, "may_issue_setup_code")));
	json_object_set_new(one, "proposals", proposals ? proposals : json_array());
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "resident", one));
}
