/*
 * Volunteer-assisted submission: a volunteer finds the resident beside them among the ward's residents
 * (initials and group only), or creates their account. Never a role or a group on an existing account;
 * a number registered to anyone who is not a resident of this ward is refused (registered_elsewhere).
 */
#include "db/people.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <stdio.h>
#include <string.h>

#define LOOKUP_WINDOW 3600 /* seconds over which a volunteer's lookups are counted (--resident-lookups) */

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
	/* Each answer tells whether a number is a resident's (and their initials and group): a budget per hour. */
	long retry = 0;
	enum sk_db_status st = sk_db_resident_lookup_take(req->db, req->session.account_id, req->now,
							  req->srv->cfg->resident_lookups, LOOKUP_WINDOW, &retry);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	if (retry > 0) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", retry);
		sk_reply_header(req, "Retry-After", secs);
		sk_reply_error(req, 429, "too_many_lookups", NULL,
			       "You have looked up %ld residents in the last hour, the most allowed. "
			       "Please wait %ld minute%s, or ask the ward office.",
			       req->srv->cfg->resident_lookups, (retry + 59) / 60, (retry + 59) / 60 == 1 ? "" : "s");
		return;
	}
	PGresult *r;
	st = sk_db_assisted_resident(req->db, req->session.account_id, ward, group, phone, name, req->now, req->ip,
				     &r);
	if (st == SK_DB_CONFLICT) /* the number was registered meanwhile: look it up again, once */
		st = sk_db_assisted_resident(req->db, req->session.account_id, ward, group, phone, name, req->now,
					     req->ip, &r);
	if ((st == SK_DB_RULE && !strcmp(sk_db_rule(req->db), "group_not_in_ward")) || st == SK_DB_CHECK) {
		/* SK_DB_CHECK: the group is retired (sql/023) */
		sk_reply_error(req, 400, "invalid_field", "group_id", "That residential group is not in use in this ward.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	const char *outcome = sk_db_str(r, 0, "outcome");
	if (!strcmp(outcome, "registered_elsewhere")) {
		/* The same answer whoever holds the number: another ward's resident, a leader, a panelist. */
		PQclear(r);
		sk_reply_error(req, 409, "registered_elsewhere", "phone",
			       "This number already has an account, but not as a resident of this ward. "
			       "Ask the ward office to help this person.");
		return;
	}
	bool created = !strcmp(outcome, "created");
	json_t *account = json_pack("{s:I,s:s}", "id", (json_int_t)sk_db_i64(r, 0, "id"), "initials",
				    sk_db_str(r, 0, "initials"));
	/* A found resident shows only initials and group: enough to confirm the person, not to learn a name. */
	if (created)
		json_object_set_new(account, "display_name", json_string(sk_db_str(r, 0, "display_name")));
	json_object_set_new(account, "group_id",
			    sk_db_isnull(r, 0, "group_id") ? json_null() : json_integer(sk_db_i64(r, 0, "group_id")));
	json_object_set_new(account, "group_name",
			    sk_db_isnull(r, 0, "group_name") ? json_null() : json_string(sk_db_str(r, 0, "group_name")));
	json_t *v = json_pack("{s:o,s:b,s:b}", "account", account, "created", created, "may_issue_setup_code",
			      sk_db_bool(r, 0, "may_issue_setup_code"));
	PQclear(r);
	sk_reply_json(req, created ? 201 : 200, v);
}
