/* Volunteer-assisted submission: a volunteer finds or creates the account of the resident beside them. */
#include "db/people.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

void assisted_residents_create(struct sk_request *req)
{
	int64_t ward = sk_param_id(req, 0), group = 0;
	if (ward == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return;
	}
	if (!sk_require_role(req, ward, SK_ROLE_VOLUNTEER))
		return;
	const char *phone_in, *name;
	struct sk_field fields[] = {
		SK_STRING("phone", &phone_in, 3, 32),
		SK_STRING("display_name", &name, 1, 100),
		SK_INT("group_id", &group, 1, INT64_MAX),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	char phone[SK_LOGIN_MAX + 1];
	if (sk_login_normalize(phone_in, phone, sizeof phone) != SK_LOGIN_PHONE) {
		sk_reply_error(req, 400, "invalid_field", "phone", "Enter the resident's mobile number, such as 0901234567.");
		return;
	}
	bool created;
	PGresult *r;
	enum sk_db_status st = sk_db_resident_find_or_create(req->db, req->session.account_id, ward, group, phone, name,
							     req->ip, &created, &r);
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", "group_id", "That residential group is not in this ward.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_pack("{s:{s:I,s:s},s:b}", "account", "id", (json_int_t)sk_db_i64(r, 0, "id"), "display_name",
			      sk_db_str(r, 0, "display_name"), "created", created);
	PQclear(r);
	sk_reply_json(req, created ? 201 : 200, v);
}
