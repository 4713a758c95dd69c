/* Wards and residential groups: the public list and the administrators' creation. */
#include "db/wards.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <ctype.h>
#include <stdlib.h>

void wards_list(struct sk_request *req)
{
	struct sk_dbconn *db = sk_req_public_db_or_reply(req);
	if (db == NULL)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_wards_list(db, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *wards = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *groups = json_loads(sk_db_str(r, i, "groups"), 0, NULL);
		json_array_append_new(wards, json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)sk_db_i64(r, i, "id"),
						       "code", sk_db_str(r, i, "code"), "name", sk_db_str(r, i, "name"),
						       "groups", groups ? groups : json_array()));
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "wards", wards));
}

void wards_create(struct sk_request *req)
{
	if (!sk_is_installation_admin(req)) {
		sk_reply_error(req, 403, "forbidden", NULL, "Only an installation administrator can create wards.");
		return;
	}
	const char *code, *name;
	struct sk_field fields[] = {
		SK_STRING("code", &code, 2, 10),
		SK_STRING("name", &name, 1, 200),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	for (const char *p = code; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p)) {
			sk_reply_error(req, 400, "invalid_field", "code",
				       "The ward code must be 2 to 10 capital letters or digits, such as HC.");
			return;
		}
	int64_t id;
	enum sk_db_status st = sk_db_ward_create(req->db, req->session.account_id, code, name, req->ip, &id);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "ward_code_taken", "code", "Another ward already has this code.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 201, json_pack("{s:{s:I,s:s,s:s,s:[]}}", "ward", "id", (json_int_t)id, "code", code,
					  "name", name, "groups"));
}

/* The ward of the path, which the caller administers, and the body's {"name"} (1-200 characters); false
 * after replying 404, 403 or 400. */
static bool admin_ward_and_name(struct sk_request *req, int64_t *ward, const char **name)
{
	*ward = sk_param_id(req, 0);
	if (*ward == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return false;
	}
	if (!sk_require_role(req, *ward, SK_ROLE_ADMIN))
		return false;
	struct sk_field fields[] = {
		SK_STRING("name", name, 1, 200),
		SK_END,
	};
	return sk_json_parse(req, fields);
}

void wards_groups_create(struct sk_request *req)
{
	int64_t ward;
	const char *name;
	if (!admin_ward_and_name(req, &ward, &name))
		return;
	int64_t id;
	enum sk_db_status st = sk_db_group_create(req->db, req->session.account_id, ward, name, req->ip, &id);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "group_name_taken", "name", "This ward already has a group with this name.");
		return;
	}
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 201, json_pack("{s:{s:I,s:I,s:s}}", "group", "id", (json_int_t)id, "ward_id",
					  (json_int_t)ward, "name", name));
}

void wards_admin_list(struct sk_request *req)
{
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	char wards[1024];
	bool all = sk_is_installation_admin(req);
	if (!all)
		role_wards(req, SK_ROLE_ADMIN, wards, sizeof wards);
	PGresult *r;
	enum sk_db_status st = sk_db_wards_admin_list(req->db, all ? NULL : wards, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *groups = json_loads(sk_db_str(r, i, "groups"), 0, NULL);
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)sk_db_i64(r, i, "id"),
						      "code", sk_db_str(r, i, "code"), "name", sk_db_str(r, i, "name"),
						      "created_at", sk_db_str(r, i, "created_at"), "groups",
						      groups ? groups : json_array()));
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o,s:b}", "wards", list, "installation_admin", all));
}

void wards_update(struct sk_request *req)
{
	int64_t ward;
	const char *name;
	if (!admin_ward_and_name(req, &ward, &name))
		return;
	enum sk_db_status st = sk_db_ward_rename(req->db, req->session.account_id, ward, name, req->ip);
	if (st == SK_DB_NOROWS) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:{s:I,s:s}}", "ward", "id", (json_int_t)ward, "name", name));
}

void wards_groups_update(struct sk_request *req)
{
	int64_t group = sk_param_id(req, 0), ward = 0;
	if (group == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such residential group.");
		return;
	}
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the admin role.");
		return;
	}
	enum sk_db_status st = sk_db_group_ward(req->db, group, &ward);
	/* Another ward's group answers as if it did not exist. */
	if (st == SK_DB_NOROWS || (st == SK_DB_OK && !sk_has_role(req, ward, SK_ROLE_ADMIN))) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such residential group.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	const char *name = NULL;
	bool retired = false, has_name, has_retired;
	struct sk_field fields[] = {
		SK_STRING_OPT("name", &name, 1, 200, &has_name),
		SK_BOOL_OPT("retired", &retired, &has_retired),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	if (!has_name && !has_retired) {
		sk_reply_error(req, 400, "invalid_field", "name", "Give a new name, or retired true or false.");
		return;
	}
	st = sk_db_group_update(req->db, req->session.account_id, group, has_name ? name : NULL,
				has_retired ? retired : -1, req->ip);
	if (st == SK_DB_CONFLICT) {
		sk_reply_error(req, 409, "group_name_taken", "name", "This ward already has a group with this name.");
		return;
	}
	if (st == SK_DB_NOROWS) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such residential group.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	char *json;
	st = sk_db_group_json(req->db, group, &json);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_json_member(req, 200, "group", json);
	free(json);
}
