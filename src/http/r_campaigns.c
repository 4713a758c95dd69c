/* Campaigns (calls for proposals): create, edit while allowed, move through their life, read. */
#include "db/campaigns.h"
#include "domain/campaign.h"
#include "domain/timefmt.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *description;
} default_criteria[] = {
	{ "Tính sáng tạo",
	  "Mô hình có ý tưởng mới, cách làm mới so với hiện nay ở tổ dân phố, phường hay không." },
	{ "Tính khả thi",
	  "Có thể triển khai được với nguồn lực, chi phí, con người và thời gian đã nêu hay không." },
	{ "Khả năng ứng dụng cộng đồng",
	  "Mang lại lợi ích cho nhiều hộ dân, dễ dùng với người cao tuổi, nhân rộng được sang tổ, phường khác." },
};

/* Reply with a JSON view text made by the database, wrapped as {"campaign": …}. */
static void reply_view(struct sk_request *req, unsigned status, char *json)
{
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	if (v == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The campaign could not be read.");
		return;
	}
	sk_reply_json(req, status, json_pack("{s:o}", "campaign", v));
}

static void reply_rule(struct sk_request *req, enum sk_db_status st)
{
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", NULL, "A value is outside what a call allows.");
		return;
	}
	if (st != SK_DB_RULE) {
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return;
	}
	const char *rule = sk_db_rule(req->db);
	if (!strcmp(rule, "campaign_frozen"))
		sk_reply_error(req, 409, "campaign_frozen", NULL,
			       "This can no longer change: criteria, weights, method and dates are fixed when the call "
			       "opens (the deadline moves only by POST /deadline), and its texts once it is decided.");
	else if (!strcmp(rule, "invalid_dates"))
		sk_reply_error(req, 400, "invalid_field", "closes_at", "The closing time must be after the opening time.");
	else if (!strcmp(rule, "illegal_transition"))
		sk_reply_error(req, 409, "illegal_transition", "to",
			       "A call moves one step at a time: draft, open, closed, appraisal, decided, published.");
	else if (!strcmp(rule, "deadline_not_reached"))
		sk_reply_error(req, 409, "deadline_not_reached", "to", "The call cannot close before its deadline.");
	else
		sk_reply_error(req, 409, rule, NULL, "The request conflicts with the state of the call (%s).", rule);
}

static bool parse_time(struct sk_request *req, const char *name, const char *text, int64_t *out)
{
	if (sk_time_parse_iso(text, out))
		return true;
	sk_reply_error(req, 400, "invalid_field", name,
		       "'%s' must be a date and time with its offset, such as 2026-12-01T17:00:00+07:00.", name);
	return false;
}

/* Fills in from the request body; with create, absent fields get defaults. Replies 400 itself. */
static bool campaign_input(struct sk_request *req, bool create, struct sk_campaign_in *in)
{
	const char *opens = NULL, *closes = NULL;
	bool blind = true, has_blind, shows_group = false, has_shows_group, has_title, has_desc, has_rules, has_opens, has_closes, has_reviews, has_method,
	     has_criteria;
	int64_t reviews = 3;
	json_t *criteria = NULL;
	memset(in, 0, sizeof *in);
	struct sk_field fields[] = {
		{ "title", SK_FIELD_STRING, !create, &in->title, 1, 200, SK_TEXT_SINGLE_LINE, &has_title },
		SK_TEXT_OPT("description", &in->description, 0, 5000, &has_desc),
		SK_TEXT_OPT("rules", &in->rules, 0, 20000, &has_rules),
		{ "opens_at", SK_FIELD_STRING, !create, &opens, 1, 64, SK_TEXT_SINGLE_LINE, &has_opens },
		{ "closes_at", SK_FIELD_STRING, !create, &closes, 1, 64, SK_TEXT_SINGLE_LINE, &has_closes },
		SK_BOOL_OPT("blind_review", &blind, &has_blind),
		SK_BOOL_OPT("blind_shows_group", &shows_group, &has_shows_group),
		SK_INT_OPT("reviews_required", &reviews, 1, 50, &has_reviews),
		SK_STRING_OPT("ranking_method", &in->ranking_method, 1, 20, &has_method),
		SK_ARRAY_OPT("criteria", &criteria, &has_criteria),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return false;
	if (has_method && strcmp(in->ranking_method, "raw") && strcmp(in->ranking_method, "normalised")) {
		sk_reply_error(req, 400, "invalid_field", "ranking_method", "The ranking method is 'raw' or 'normalised'.");
		return false;
	}
	if (has_opens && !parse_time(req, "opens_at", opens, &in->opens_at))
		return false;
	if (has_closes && !parse_time(req, "closes_at", closes, &in->closes_at))
		return false;
	if (create && in->closes_at <= in->opens_at) {
		sk_reply_error(req, 400, "invalid_field", "closes_at", "The closing time must be after the opening time.");
		return false;
	}
	if (create) {
		in->description = has_desc ? in->description : "";
		in->rules = has_rules ? in->rules : "";
		in->ranking_method = has_method ? in->ranking_method : "normalised";
	} else if (!has_method) {
		in->ranking_method = NULL;
	}
	in->blind_review = has_blind || create ? blind : -1;
	in->blind_shows_group = has_shows_group || create ? shows_group : -1;
	in->reviews_required = has_reviews || create ? reviews : 0;
	in->ncriteria = -1;
	if (!has_criteria) {
		if (create) {
			in->ncriteria = 3;
			for (int i = 0; i < 3; i++) {
				in->criteria[i].name = default_criteria[i].name;
				in->criteria[i].description = default_criteria[i].description;
				snprintf(in->criteria[i].weight, sizeof in->criteria[i].weight, "1");
				in->criteria[i].max_score = 10;
			}
		}
		return true;
	}
	size_t n = json_array_size(criteria);
	if (n < 1 || n > SK_MAX_CRITERIA) {
		sk_reply_error(req, 400, "invalid_field", "criteria", "A call has 1 to %d criteria.", SK_MAX_CRITERIA);
		return false;
	}
	in->ncriteria = (int)n;
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_array_get(criteria, i);
		struct sk_criterion_in *out = &in->criteria[i];
		json_t *w = json_object_get(k, "weight"), *m = json_object_get(k, "max_score");
		const char *key;
		json_t *ignored;
		bool unknown = false;
		json_object_foreach(json_is_object(k) ? k : NULL, key, ignored) unknown |=
			strcmp(key, "name") && strcmp(key, "description") && strcmp(key, "weight") && strcmp(key, "max_score");
		if (!json_is_object(k) || unknown) {
			sk_reply_error(req, 400, "invalid_field", "criteria",
				       "Each criterion is {name, description, weight, max_score}.");
			return false;
		}
		out->name = sk_json_text(req, json_object_get(k, "name"), "criteria.name", 1, 200, SK_TEXT_SINGLE_LINE);
		if (out->name == NULL)
			return false;
		json_t *d = json_object_get(k, "description");
		out->description = d ? sk_json_text(req, d, "criteria.description", 0, 2000, SK_TEXT_MULTI_LINE) : "";
		if (out->description == NULL)
			return false;
		double weight = w ? round(json_number_value(w) * 1000) / 1000 : 1.0; /* stored with 3 decimals */
		if ((w && !json_is_number(w)) || !(weight >= 0.001 && weight <= 100)) {
			sk_reply_error(req, 400, "invalid_field", "criteria.weight", "A weight is a number from 0.001 to 100.");
			return false;
		}
		snprintf(out->weight, sizeof out->weight, "%.3f", weight);
		out->max_score = m ? json_integer_value(m) : 10;
		if ((m && !json_is_integer(m)) || out->max_score < 1 || out->max_score > 100) {
			sk_reply_error(req, 400, "invalid_field", "criteria.max_score",
				       "A scale maximum is a whole number from 1 to 100.");
			return false;
		}
	}
	return true;
}

void campaigns_create(struct sk_request *req)
{
	int64_t ward = sk_param_id(req, 0);
	if (ward == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such ward.");
		return;
	}
	if (!sk_require_role(req, ward, SK_ROLE_LEADER))
		return;
	struct sk_campaign_in in;
	if (!campaign_input(req, true, &in))
		return;
	char *json;
	enum sk_db_status st = sk_db_campaign_create(req->db, req->session.account_id, ward, &in, req->now, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	reply_view(req, 201, json);
}

/* Reads campaign id; replies 404 (drafts are visible only to the ward's leaders) and returns false. */
static bool load_visible(struct sk_request *req, int64_t id, int64_t *ward, char **json, bool leader_only)
{
	/* Only an anonymous view may come from the read database (a leader's own draft is on the primary). */
	struct sk_dbconn *db = leader_only ? sk_req_db_or_reply(req) : sk_req_public_db_or_reply(req);
	if (db == NULL)
		return false;
	PGresult *r;
	enum sk_db_status st = id ? sk_db_campaign_get(db, id, req->now, &r) : SK_DB_NOROWS;
	if (st == SK_DB_NOROWS) {
		if (id)
			PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		return false;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return false;
	}
	*ward = sk_db_i64(r, 0, "ward_id");
	bool draft = !strcmp(sk_db_str(r, 0, "state"), "draft");
	bool leader = sk_has_role(req, *ward, SK_ROLE_LEADER);
	if ((draft || leader_only) && !leader) {
		PQclear(r);
		if (leader_only && !draft && req->has_session)
			sk_reply_error(req, 403, "forbidden", NULL, "This needs the leader role in this ward.");
		else
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		return false;
	}
	if (json)
		*json = strdup(sk_db_str(r, 0, "json"));
	PQclear(r);
	return true;
}

void campaigns_get(struct sk_request *req)
{
	bool replied;
	sk_auth_load(req, false, &replied);
	if (replied)
		return;
	int64_t ward;
	char *json;
	if (!load_visible(req, sk_param_id(req, 0), &ward, &json, false))
		return;
	reply_view(req, 200, json);
}

void campaigns_update(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0), ward;
	if (!load_visible(req, id, &ward, NULL, true))
		return;
	struct sk_campaign_in in;
	if (!campaign_input(req, false, &in))
		return;
	char *json;
	enum sk_db_status st = sk_db_campaign_update(req->db, id, req->session.account_id, &in, req->now, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	reply_view(req, 200, json);
}

void campaigns_transition(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0), ward;
	if (!load_visible(req, id, &ward, NULL, true))
		return;
	const char *to;
	struct sk_field fields[] = { SK_STRING("to", &to, 1, 20), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	enum sk_campaign_state target = sk_campaign_state_parse(to);
	if (target == SK_CAMPAIGN_INVALID) {
		sk_reply_error(req, 400, "invalid_field", "to",
			       "'to' is one of open, closed, appraisal, decided, published.");
		return;
	}
	if (target == SK_CAMPAIGN_DECIDED || target == SK_CAMPAIGN_PUBLISHED) {
		sk_reply_error(req, 409, "illegal_transition", "to",
			       "A call is decided with POST /decision (after the panel is locked) and published with POST /publish.");
		return;
	}
	char *json;
	enum sk_db_status st = sk_db_campaign_transition(req->db, id, req->session.account_id, to, req->now, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_rule(req, st);
		return;
	}
	reply_view(req, 200, json);
}

/* POST /campaigns/{id}/deadline {closes_at, reason}: the ward's leader extends an open call's deadline. */
void campaigns_extend(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0), ward;
	if (!load_visible(req, id, &ward, NULL, true))
		return;
	const char *closes, *reason;
	struct sk_field fields[] = {
		SK_STRING("closes_at", &closes, 1, 64),
		SK_TEXT("reason", &reason, 1, 500),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	int64_t closes_at;
	if (!parse_time(req, "closes_at", closes, &closes_at))
		return;
	char *json;
	enum sk_db_status st =
		sk_db_campaign_extend(req->db, id, req->session.account_id, closes_at, reason, req->now, req->ip, &json);
	if (st == SK_DB_OK) {
		reply_view(req, 200, json);
		return;
	}
	const char *rule = st == SK_DB_RULE ? sk_db_rule(req->db) : "";
	if (!strcmp(rule, "campaign_not_open"))
		sk_reply_error(req, 409, "campaign_not_open", NULL,
			       "Only an open call's deadline can be extended: a draft's dates are edited, and a closed "
			       "call does not reopen.");
	else if (!strcmp(rule, "deadline_not_later"))
		sk_reply_error(req, 400, "deadline_not_later", "closes_at",
			       "An extension moves the deadline later than the current one, never earlier.");
	else if (!strcmp(rule, "deadline_in_past"))
		sk_reply_error(req, 400, "deadline_in_past", "closes_at", "The new deadline must be in the future.");
	else if (!strcmp(rule, "deadline_too_far"))
		sk_reply_error(req, 400, "deadline_too_far", "closes_at",
			       "The new deadline can be at most 366 days from now.");
	else
		reply_rule(req, st);
}

/* "{1,4}": the wards where the caller is a leader. */
void leader_wards(const struct sk_request *req, char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "{");
	for (int i = 0; req->has_session && i < req->session.ngrants && n + 24 < outsz; i++)
		if (req->session.grants[i].role == SK_ROLE_LEADER)
			n += (size_t)snprintf(out + n, outsz - n, "%s%lld", n > 1 ? "," : "",
					      (long long)req->session.grants[i].ward_id);
	snprintf(out + n, outsz - n, "}");
}

void campaigns_list(struct sk_request *req)
{
	bool replied;
	sk_auth_load(req, false, &replied);
	if (replied)
		return;
	const char *state = sk_req_query(req, "state");
	long long ward;
	if (!sk_req_query_int(req, "ward_id", 1, INT64_MAX, 0, &ward))
		return;
	if (state && sk_campaign_state_parse(state) == SK_CAMPAIGN_INVALID) {
		sk_reply_error(req, 400, "invalid_field", "state",
			       "state is one of draft, open, closed, appraisal, decided, published.");
		return;
	}
	struct sk_dbconn *db = sk_req_public_db_or_reply(req);
	if (db == NULL)
		return;
	char wards[512];
	leader_wards(req, wards, sizeof wards);
	PGresult *r;
	enum sk_db_status st = sk_db_campaign_list(db, ward, state, wards, req->now, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_loads(sk_db_str(r, i, "json"), 0, NULL));
	PQclear(r);
	char as_of[32];
	sk_reply_json(req, 200, json_pack("{s:o,s:s}", "campaigns", list, "as_of", sk_req_as_of(req, as_of, sizeof as_of)));
}
