/* Administration: granting and revoking roles, reading the audit log. */
#include "db/accounts.h"
#include "db/audit.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <stdlib.h>
#include <string.h>

static void role_change(struct sk_request *req, bool grant)
{
	int64_t account_id = 0, ward_id = 0;
	bool has_ward;
	const char *role_name;
	struct sk_field fields[] = {
		SK_INT("account_id", &account_id, 1, INT64_MAX),
		SK_INT_OPT("ward_id", &ward_id, 1, INT64_MAX, &has_ward),
		SK_STRING("role", &role_name, 1, 16),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	enum sk_role role = sk_role_parse(role_name);
	if (role == SK_ROLE_NONE) {
		sk_reply_error(req, 400, "invalid_field", "role",
			       "The role must be one of resident, volunteer, panelist, leader, admin.");
		return;
	}
	if (!has_ward && role != SK_ROLE_ADMIN) {
		sk_reply_error(req, 400, "invalid_field", "ward_id", "This role is held in a ward: give ward_id.");
		return;
	}
	/* An installation-wide admin is named only by another; a ward's admin manages that ward. */
	if (!has_ward ? !sk_is_installation_admin(req) : !sk_has_role(req, ward_id, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role %s.",
			       has_ward ? "in this ward" : "for the whole installation");
		return;
	}
	/* A ward's administrator grants only to people who already hold a role in one of their wards:
	 * any other account id answers as if it did not exist, so the reply (the account's login and
	 * name) cannot be used to read the accounts of other wards one id after another. */
	if (grant && !sk_is_installation_admin(req)) {
		PGresult *r;
		enum sk_db_status st = sk_db_account_by_id(req->db, account_id, &r);
		PQclear(r);
		json_t *target = st == SK_DB_OK ? account_view(req->db, account_id, &st) : NULL;
		bool visible = target != NULL && account_view_scope(req, target);
		json_decref(target);
		if (!visible && st != SK_DB_OK && st != SK_DB_NOROWS) {
			sk_reply_db_error(req, st);
			return;
		}
		if (!visible) {
			sk_reply_error(req, 404, "not_found", NULL, "There is no such account or ward.");
			return;
		}
	}
	if (!grant && !has_ward && account_id == req->session.account_id) {
		sk_reply_error(req, 409, "last_admin", NULL, "You cannot remove your own installation admin role.");
		return;
	}
	enum sk_db_status st = sk_db_role_change(req->db, grant, req->session.account_id, account_id,
						 has_ward ? ward_id : 0, role_name, req->ip);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "role_exists", NULL, "The account already holds this role.");
		return;
	}
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such account or ward.");
		return;
	}
	if (st == SK_DB_NOROWS) {
		sk_reply_error(req, 404, "not_found", NULL, "The account does not hold this role.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	if (!grant) {
		sk_reply_empty(req, 204);
		return;
	}
	json_t *view = account_view(req->db, account_id, &st);
	if (view == NULL) {
		sk_reply_db_error(req, st);
		return;
	}
	account_view_scope(req, view); /* a ward's administrator sees the roles in their wards only */
	sk_reply_json(req, 201, json_pack("{s:o}", "account", view));
}

void admin_roles_grant(struct sk_request *req)
{
	role_change(req, true);
}

void admin_roles_revoke(struct sk_request *req)
{
	role_change(req, false);
}

void admin_audit_list(struct sk_request *req)
{
	long long ward, before, limit;
	if (!sk_req_query_int(req, "ward_id", 1, INT64_MAX, 0, &ward) || !sk_req_query_int(req, "before", 1, INT64_MAX, 0, &before) ||
	    !sk_req_query_int(req, "limit", 1, 500, 50, &limit))
		return;
	if (ward == 0 ? !sk_is_installation_admin(req) : !sk_has_role(req, ward, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL,
			       ward ? "This needs the admin role in this ward." : "Give ward_id, or be an installation admin.");
		return;
	}
	PGresult *r;
	enum sk_db_status st = sk_db_audit_list(req->db, ward, before, (int)limit, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *events = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *detail = json_loads(sk_db_str(r, i, "detail"), 0, NULL);
		json_array_append_new(
			events,
			json_pack("{s:I,s:s,s:o,s:o,s:s,s:o,s:o,s:o}", "id", (json_int_t)sk_db_i64(r, i, "id"), "at",
				  sk_db_str(r, i, "at"), "actor_account_id",
				  sk_db_isnull(r, i, "actor_account_id") ? json_null() : json_integer(sk_db_i64(r, i, "actor_account_id")),
				  "ward_id", sk_db_isnull(r, i, "ward_id") ? json_null() : json_integer(sk_db_i64(r, i, "ward_id")),
				  "action", sk_db_str(r, i, "action"), "subject",
				  sk_db_isnull(r, i, "subject") ? json_null() : json_string(sk_db_str(r, i, "subject")), "ip",
				  sk_db_isnull(r, i, "ip") ? json_null() : json_string(sk_db_str(r, i, "ip")), "detail",
				  detail ? detail : json_object()));
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "events", events));
}
