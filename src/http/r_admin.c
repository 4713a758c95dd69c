/* Administration: granting and revoking roles, reading the audit log (JSON pages and CSV). */
#include "db/accounts.h"
#include "db/audit.h"
#include "domain/csv.h"
#include "domain/timefmt.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void role_wards(const struct sk_request *req, enum sk_role role, char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "{");
	for (int i = 0; req->has_session && i < req->session.ngrants && n + 24 < outsz; i++)
		if (req->session.grants[i].role == role && req->session.grants[i].ward_id != 0)
			n += (size_t)snprintf(out + n, outsz - n, "%s%lld", n > 1 ? "," : "",
					      (long long)req->session.grants[i].ward_id);
	snprintf(out + n, outsz - n, "}");
}

static void role_change(struct sk_request *req, bool grant)
{
	int64_t account_id = 0, ward_id = 0;
	bool has_ward;
	const char *role_name, *reason = NULL;
	struct sk_field fields[] = {
		SK_INT("account_id", &account_id, 1, INT64_MAX),
		SK_INT_OPT("ward_id", &ward_id, 1, INT64_MAX, &has_ward),
		SK_STRING("role", &role_name, 1, 16),
		SK_TEXT_OPT("reason", &reason, 1, 500, NULL),
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
						 has_ward ? ward_id : 0, role_name, reason, req->ip);
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

/*
 * The audit filters of the query string (ward_id, account_id, action, from, to, before, limit up to
 * max_limit) and the caller's right to them, into *f; wards is f->wards' storage. Replies 400 or 403
 * itself and returns false.
 */
static bool audit_filter(struct sk_request *req, struct sk_audit_filter *f, char *wards, size_t wards_size,
			 long long max_limit, long long def_limit)
{
	long long ward, account, before, limit;
	if (!sk_req_query_int(req, "ward_id", 1, INT64_MAX, 0, &ward) ||
	    !sk_req_query_int(req, "account_id", 1, INT64_MAX, 0, &account) ||
	    !sk_req_query_int(req, "before", 1, INT64_MAX, 0, &before) ||
	    !sk_req_query_int(req, "limit", 1, max_limit, def_limit, &limit))
		return false;
	const char *action = sk_req_query(req, "action");
	if (action != NULL && *action == '\0')
		action = NULL;
	if (action != NULL) {
		size_t n = strlen(action);
		bool ok = n <= 64;
		for (const char *p = action; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || *p == '_';
		if (!ok) {
			sk_reply_error(req, 400, "invalid_field", "action",
				       "An action is a name such as role_granted (lower-case letters and _).");
			return false;
		}
	}
	int64_t days[2] = { 0, 0 };
	static const char *const names[2] = { "from", "to" };
	for (int i = 0; i < 2; i++) {
		const char *d = sk_req_query(req, names[i]);
		if (d != NULL && *d != '\0' && !sk_date_parse(d, &days[i])) {
			sk_reply_error(req, 400, "invalid_field", names[i], "A date is written 2026-12-01.");
			return false;
		}
	}
	if (days[0] && days[1] && days[0] > days[1]) {
		sk_reply_error(req, 400, "invalid_field", "to", "The end date comes before the start date.");
		return false;
	}
	if (ward == 0 ? !sk_is_installation_admin(req) : !sk_has_role(req, ward, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL,
			       ward ? "This needs the admin role in this ward." : "Give ward_id, or be an installation admin.");
		return false;
	}
	if (ward)
		snprintf(wards, wards_size, "{%lld}", ward);
	*f = (struct sk_audit_filter){ .wards = ward ? wards : NULL, .account = account, .action = action,
				       .from_day = days[0], .to_day = days[1], .before = before, .limit = (int)limit };
	return true;
}

void admin_audit_list(struct sk_request *req)
{
	struct sk_audit_filter f;
	char wards[32];
	if (!audit_filter(req, &f, wards, sizeof wards, 500, 50))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_audit_list(req->db, &f, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *events = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		json_t *detail = json_loads(sk_db_str(r, i, "detail"), 0, NULL);
		json_t *e = json_pack(
			"{s:I,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "id", (json_int_t)sk_db_i64(r, i, "id"), "at",
			sk_db_str(r, i, "at"), "actor_account_id",
			sk_db_isnull(r, i, "actor_account_id") ? json_null() : json_integer(sk_db_i64(r, i, "actor_account_id")),
			"actor_name", sk_db_isnull(r, i, "actor_name") ? json_null() : json_string(sk_db_str(r, i, "actor_name")),
			"ward_id", sk_db_isnull(r, i, "ward_id") ? json_null() : json_integer(sk_db_i64(r, i, "ward_id")),
			"action", sk_db_str(r, i, "action"), "subject",
			sk_db_isnull(r, i, "subject") ? json_null() : json_string(sk_db_str(r, i, "subject")), "ip",
			sk_db_isnull(r, i, "ip") ? json_null() : json_string(sk_db_str(r, i, "ip")), "detail",
			detail ? detail : json_object());
		json_array_append_new(events, e);
	}
	/* A full page may have more after it: the next page is before its last id. */
	json_t *next = n == f.limit ? json_integer(sk_db_i64(r, n - 1, "id")) : json_null();
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o,s:o}", "events", events, "next_before", next));
}

#define AUDIT_CSV_MAX 10000

void admin_audit_csv(struct sk_request *req)
{
	struct sk_audit_filter f;
	char wards[32];
	if (!audit_filter(req, &f, wards, sizeof wards, AUDIT_CSV_MAX, AUDIT_CSV_MAX))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_audit_list(req->db, &f, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	static const char *const header[] = { "id", "at", "actor_account_id", "actor_name", "ward_id",
					      "action", "subject", "ip", "detail" };
	struct sk_csv csv;
	sk_csv_init(&csv);
	for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
		sk_csv_field(&csv, header[i]);
	sk_csv_end_row(&csv);
	for (int i = 0; i < PQntuples(r); i++) {
		for (size_t k = 0; k < sizeof header / sizeof header[0]; k++)
			sk_csv_field(&csv, sk_db_isnull(r, i, header[k]) ? "" : sk_db_str(r, i, header[k]));
		sk_csv_end_row(&csv);
	}
	PQclear(r);
	size_t len;
	char *doc = sk_csv_take(&csv, &len);
	if (doc == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The export could not be built.");
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, doc, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition", "attachment; filename=\"nhat-ky.csv\"");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	sk_reply_queue(req, 200, resp);
}
