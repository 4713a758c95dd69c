/* The replication registry: the public catalogue of winning models and their adoptions. */
#include "db/decisions.h"
#include "domain/search.h"
#include "domain/timefmt.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <stdlib.h>
#include <string.h>

static bool valid_stage(const char *s)
{
	return s && (!strcmp(s, "planned") || !strcmp(s, "piloting") || !strcmp(s, "in_use") || !strcmp(s, "stopped"));
}

void models_list(struct sk_request *req)
{
	long long ward;
	if (!sk_req_query_int(req, "ward_id", 1, INT64_MAX, 0, &ward))
		return;
	const char *stage = sk_req_query(req, "stage"), *tag = sk_req_query(req, "tag"), *q = sk_req_query(req, "q");
	if (stage && !valid_stage(stage)) {
		sk_reply_error(req, 400, "invalid_field", "stage", "stage is planned, piloting, in_use or stopped.");
		return;
	}
	char *folded = NULL;
	if (q && *q && (strlen(q) > 200 || (folded = sk_search_fold(q)) == NULL)) {
		sk_reply_error(req, 400, "invalid_field", "q", "The search is at most 200 characters of text.");
		return;
	}
	if (folded)
		sk_req_own(req, folded);
	struct sk_dbconn *db = sk_req_public_db_or_reply(req);
	if (db == NULL)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_models_list(db, ward, stage, tag && *tag ? tag : NULL, folded && *folded ? folded : NULL, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_loads(sk_db_str(r, i, "json"), 0, NULL));
	PQclear(r);
	char as_of[32];
	sk_reply_json(req, 200, json_pack("{s:o,s:s}", "models", list, "as_of", sk_req_as_of(req, as_of, sizeof as_of)));
}

void model_get(struct sk_request *req)
{
	struct sk_dbconn *db = sk_req_public_db_or_reply(req);
	if (db == NULL)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_model_get(db, sk_param_id(req, 0), &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such model in the catalogue.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	char as_of[32];
	json_t *v = json_pack("{s:o,s:o,s:s}", "model", json_loads(sk_db_str(r, 0, "json"), 0, NULL), "adoptions",
			      json_loads(sk_db_str(r, 0, "adoptions"), 0, NULL), "as_of", sk_req_as_of(req, as_of, sizeof as_of));
	PQclear(r);
	sk_reply_json(req, 200, v);
}

/* Reads an adoption's fields; create requires group and start date. Replies 400 itself. */
static bool adoption_input(struct sk_request *req, bool create, int64_t *ward, struct sk_adoption_in *in)
{
	memset(in, 0, sizeof *in);
	in->households = in->cost_vnd = -1;
	bool has_ward, has_group, has_start, has_stage, has_h, has_c, has_notes, has_version;
	struct sk_field fields[] = {
		SK_INT_OPT("ward_id", ward, 1, INT64_MAX, &has_ward),
		SK_INT_OPT("group_id", &in->group_id, 1, INT64_MAX, &has_group),
		SK_STRING_OPT("started_on", &in->started_on, 10, 10, &has_start),
		SK_STRING_OPT("stage", &in->stage, 1, 16, &has_stage),
		SK_INT_OPT("households", &in->households, 0, 1000000, &has_h),
		SK_INT_OPT("cost_vnd", &in->cost_vnd, 0, 10000000000000LL, &has_c),
		SK_TEXT_OPT("notes", &in->notes, 0, 4000, &has_notes),
		SK_INT_OPT("version", &in->version, 1, INT32_MAX, &has_version),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return false;
	const char *missing = create ? (!has_ward ? "ward_id" : !has_group ? "group_id" : !has_start ? "started_on"
								 : !has_stage	? "stage"
										: NULL)
				     : (!has_version ? "version" : NULL);
	if (missing) {
		sk_reply_error(req, 400, "invalid_field", missing, "'%s' is required.", missing);
		return false;
	}
	if (has_stage && !valid_stage(in->stage)) {
		sk_reply_error(req, 400, "invalid_field", "stage", "stage is planned, piloting, in_use or stopped.");
		return false;
	}
	char iso[32];
	int64_t unused_time;
	snprintf(iso, sizeof iso, "%sT00:00Z", has_start ? in->started_on : "");
	if (has_start && !sk_time_parse_iso(iso, &unused_time)) {
		sk_reply_error(req, 400, "invalid_field", "started_on", "started_on is a date such as 2027-03-01.");
		return false;
	}
	if (!create && (has_ward || has_group)) {
		sk_reply_error(req, 400, "invalid_field", has_ward ? "ward_id" : "group_id",
			       "An adoption stays with its ward and residential group.");
		return false;
	}
	return true;
}

static bool may_record(struct sk_request *req, int64_t ward)
{
	if (sk_has_role(req, ward, SK_ROLE_LEADER) || sk_has_role(req, ward, SK_ROLE_VOLUNTEER))
		return true;
	sk_reply_error(req, 403, "forbidden", NULL, "A leader or volunteer of the adopting ward records adoptions.");
	return false;
}

void adoption_post(struct sk_request *req)
{
	int64_t ward = 0;
	struct sk_adoption_in in;
	if (!adoption_input(req, true, &ward, &in) || !may_record(req, ward))
		return;
	PGresult *m;
	enum sk_db_status found = sk_db_model_get(req->db, sk_param_id(req, 0), &m);
	PQclear(m);
	if (found != SK_DB_OK) {
		if (found == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such model in the catalogue.");
		else
			sk_reply_db_error(req, found);
		return;
	}
	char *json;
	enum sk_db_status st = sk_db_adoption_create(req->db, sk_param_id(req, 0), ward, req->session.account_id, &in, req->now,
						     req->ip, &json);
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", "group_id", "That residential group is not in that ward.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	sk_reply_json(req, 201, json_pack("{s:o}", "adoption", v ? v : json_object()));
}

void adoption_patch(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0), ward = 0, unused = 0;
	enum sk_db_status st = id ? sk_db_adoption_ward(req->db, id, &ward) : SK_DB_NOROWS;
	if (st == SK_DB_NOROWS) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such adoption.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	struct sk_adoption_in in;
	if (!may_record(req, ward) || !adoption_input(req, false, &unused, &in))
		return;
	char *json;
	st = sk_db_adoption_update(req->db, id, req->session.account_id, &in, req->now, req->ip, &json);
	if (st == SK_DB_RULE) {
		sk_reply_error(req, 409, "version_conflict", "version", "The adoption changed meanwhile. Reload and try again.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	sk_reply_json(req, 200, json_pack("{s:o}", "adoption", v ? v : json_object()));
}
