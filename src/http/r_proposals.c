/* Proposals: draft, submit, edit until the deadline, withdraw; the leader's list, search and export. */
#include "db/proposals.h"
#include "domain/csv.h"
#include "domain/search.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 10

/* Content fields as received; text NULL when absent. */
struct content {
	struct sk_proposal_in in;
	bool has[12];
	json_t *tags;
};

enum { F_GROUP, F_TITLE, F_SUMMARY, F_PROBLEM, F_MODEL, F_BENEFICIARIES, F_HOUSEHOLDS, F_RESOURCES, F_COST, F_TAGS };

static const char *const required_to_submit[] = { "group_id", "summary", "problem", "model", "beneficiaries",
						  "households", "cost_vnd", NULL };

/* Appends tags (a JSON array of strings, validated) as a PostgreSQL array literal owned by req. */
static const char *tags_array(struct sk_request *req, json_t *tags)
{
	if (tags == NULL)
		return "{}";
	if (json_array_size(tags) > MAX_TAGS) {
		sk_reply_error(req, 400, "invalid_field", "tags", "At most %d tags.", MAX_TAGS);
		return NULL;
	}
	size_t cap = 8 + json_array_size(tags) * (40 * 4 * 2 + 4);
	char *out = sk_req_own(req, malloc(cap));
	size_t n = 0;
	out[n++] = '{';
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		const char *tag = sk_json_text(req, t, "tags", 1, 40, SK_TEXT_SINGLE_LINE);
		if (tag == NULL)
			return NULL;
		if (i)
			out[n++] = ',';
		out[n++] = '"';
		for (const char *p = tag; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[n++] = '\\';
			out[n++] = *p;
		}
		out[n++] = '"';
	}
	out[n++] = '}';
	out[n] = '\0';
	return out;
}

/* Folded text of everything a leader may search for, owned by req. */
static const char *search_text(struct sk_request *req, const struct sk_proposal_in *in, json_t *tags)
{
	char *joined = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&joined, &len);
	const char *parts[] = { in->title, in->summary, in->problem, in->model, in->beneficiaries, in->resources };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i])
			fprintf(m, "%s\n", parts[i]);
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) fprintf(m, "%s\n", json_string_value(t) ? json_string_value(t) : "");
	fclose(m);
	char *folded = sk_search_fold(joined ? joined : "");
	free(joined);
	return folded ? sk_req_own(req, folded) : "";
}

/* Parses the content fields (plus extra, for the caller) with create's or edit's rules. */
static bool parse_content(struct sk_request *req, struct content *c, const struct sk_field *extra)
{
	memset(c, 0, sizeof *c);
	struct sk_proposal_in *in = &c->in;
	in->households = in->cost_vnd = -1;
	struct sk_field fields[24] = {
		SK_INT_OPT("group_id", &in->group_id, 1, INT64_MAX, &c->has[F_GROUP]),
		SK_STRING_OPT("title", &in->title, 1, 200, &c->has[F_TITLE]),
		SK_TEXT_OPT("summary", &in->summary, 0, 1000, &c->has[F_SUMMARY]),
		SK_TEXT_OPT("problem", &in->problem, 0, 4000, &c->has[F_PROBLEM]),
		SK_TEXT_OPT("model", &in->model, 0, 4000, &c->has[F_MODEL]),
		SK_TEXT_OPT("beneficiaries", &in->beneficiaries, 0, 2000, &c->has[F_BENEFICIARIES]),
		SK_INT_OPT("households", &in->households, 0, 1000000, &c->has[F_HOUSEHOLDS]),
		SK_TEXT_OPT("resources", &in->resources, 0, 4000, &c->has[F_RESOURCES]),
		SK_INT_OPT("cost_vnd", &in->cost_vnd, 0, 10000000000000LL, &c->has[F_COST]),
		SK_ARRAY_OPT("tags", &c->tags, &c->has[F_TAGS]),
	};
	size_t n = 10;
	for (const struct sk_field *e = extra; e && e->name; e++)
		fields[n++] = *e;
	fields[n] = (struct sk_field)SK_END;
	if (!sk_json_parse(req, fields))
		return false;
	in->tags = tags_array(req, c->tags);
	return in->tags != NULL;
}

/* Replies 400 naming the first field a submission lacks; false when something is missing. */
static bool complete_or_reply(struct sk_request *req, const struct sk_proposal_in *in)
{
	const bool missing[] = { in->group_id == 0, !in->summary || !*in->summary, !in->problem || !*in->problem,
				 !in->model || !*in->model, !in->beneficiaries || !*in->beneficiaries,
				 in->households < 0, in->cost_vnd < 0 };
	for (int i = 0; required_to_submit[i]; i++)
		if (missing[i]) {
			sk_reply_error(req, 400, "invalid_field", required_to_submit[i],
				       "'%s' is needed before the proposal can be submitted.", required_to_submit[i]);
			return false;
		}
	return true;
}

/* Replies {"proposal": json} with the view PostgreSQL wrote (not parsed again); frees json. */
static void reply_proposal(struct sk_request *req, unsigned status, char *json)
{
	sk_reply_json_member(req, status, "proposal", json);
	free(json);
}

/* Turns a refused write into its HTTP error. */
static void reply_refusal(struct sk_request *req, enum sk_db_status st)
{
	if (st == SK_DB_CHECK) {
		sk_reply_error(req, 400, "invalid_field", "group_id", "That residential group is not in this call's ward.");
		return;
	}
	if (st != SK_DB_RULE) {
		sk_reply_db_error(req, st);
		return;
	}
	const char *rule = sk_db_rule(req->db);
	if (!strcmp(rule, "campaign_not_found") || !strcmp(rule, "proposal_not_found") ||
	    !strcmp(rule, "attachment_not_found"))
		sk_reply_error(req, 404, "not_found", NULL, "There is no such %s.",
			       rule[0] == 'c' ? "call" : rule[0] == 'p' ? "proposal" : "attachment");
	else if (!strcmp(rule, "campaign_not_accepting"))
		sk_reply_error(req, 409, "campaign_not_accepting", NULL,
			       "This call is not taking proposals now: it has not opened yet or its deadline has passed.");
	else if (!strcmp(rule, "version_conflict"))
		sk_reply_error(req, 409, "version_conflict", "version",
			       "Someone changed this proposal since you opened it. Reload it and make your change again.");
	else if (!strcmp(rule, "proposal_withdrawn"))
		sk_reply_error(req, 409, "proposal_withdrawn", NULL, "This proposal was withdrawn.");
	else if (!strcmp(rule, "proposal_not_draft"))
		sk_reply_error(req, 409, "proposal_not_draft", NULL, "This proposal was already submitted.");
	else if (!strcmp(rule, "proposal_incomplete"))
		sk_reply_error(req, 400, "invalid_field", NULL, "Fill in every required part before submitting.");
	else if (!strcmp(rule, "too_many_attachments"))
		sk_reply_error(req, 409, "too_many_attachments", NULL, "A proposal has at most 5 attachments.");
	else if (!strcmp(rule, "not_in_ward"))
		sk_reply_error(req, 403, "forbidden", NULL, "Only residents of this ward can propose to its call.");
	else if (!strcmp(rule, "not_volunteer"))
		sk_reply_error(req, 403, "forbidden", NULL, "Only a volunteer of this ward can submit for a resident.");
	else if (!strcmp(rule, "group_retired"))
		sk_reply_error(req, 409, "group_retired", "group_id",
			       "This proposal's residential group is no longer in use: choose the group it belongs to now, "
			       "then submit.");
	else if (!strcmp(rule, "resident_not_in_ward"))
		sk_reply_error(req, 400, "invalid_field", "on_behalf_of", "That person is not a resident of this ward.");
	else
		sk_reply_error(req, 409, rule, NULL, "The request conflicts with the proposal's state (%s).", rule);
}

void proposals_create(struct sk_request *req)
{
	int64_t cid = sk_param_id(req, 0);
	if (cid == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		return;
	}
	bool submit = false, has_submit, has_behalf, has_consent;
	int64_t behalf = 0;
	json_t *consent = NULL;
	struct sk_field extra[] = {
		SK_BOOL_OPT("submit", &submit, &has_submit),
		SK_INT_OPT("on_behalf_of", &behalf, 1, INT64_MAX, &has_behalf),
		SK_OBJECT_OPT("consent", &consent, &has_consent),
		SK_END,
	};
	struct content c;
	if (!parse_content(req, &c, extra))
		return;
	if (!c.has[F_TITLE]) {
		sk_reply_error(req, 400, "invalid_field", "title", "'title' is required.");
		return;
	}
	if (submit && !complete_or_reply(req, &c.in))
		return;
	const char *consent_version = NULL;
	if (has_behalf) {
		json_t *given = json_object_get(consent, "given"), *version = json_object_get(consent, "text_version");
		if (!json_is_true(given) || !json_is_string(version) || json_string_length(version) < 1 ||
		    json_string_length(version) > 20 || json_object_size(consent) != 2) {
			sk_reply_error(req, 400, "invalid_field", "consent",
				       "Record the resident's consent: {\"text_version\": \"v1\", \"given\": true}.");
			return;
		}
		consent_version = json_string_value(version);
		if (strspn(consent_version, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(consent_version)) {
			sk_reply_error(req, 400, "invalid_field", "consent",
				       "The consent text version is lower-case letters, digits, '.' or '-', such as v1.");
			return;
		}
		if (behalf == req->session.account_id) {
			sk_reply_error(req, 400, "invalid_field", "on_behalf_of", "Submit your own proposal without on_behalf_of.");
			return;
		}
	} else if (has_consent) {
		sk_reply_error(req, 400, "invalid_field", "consent", "Consent goes with on_behalf_of.");
		return;
	}
	c.in.search_text = search_text(req, &c.in, c.tags);
	int64_t author = has_behalf ? behalf : req->session.account_id;
	int64_t helper = has_behalf ? req->session.account_id : 0;
	char *json;
	enum sk_db_status st = sk_db_proposal_create(req->db, cid, author, helper, consent_version, req->now, submit, &c.in,
						     req->ip, &json);
	if (st != SK_DB_OK) {
		reply_refusal(req, st);
		return;
	}
	reply_proposal(req, 201, json);
}

enum access { NONE, READ, WRITE };

/* Loads proposal id and what the caller may do with it; replies 404 and returns NULL when nothing. */
static json_t *load(struct sk_request *req, int64_t id, enum access *access)
{
	PGresult *r;
	enum sk_db_status st = id ? sk_db_proposal_get(req->db, id, &r) : SK_DB_NOROWS;
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return NULL;
	}
	*access = NONE;
	if (st == SK_DB_OK) {
		int64_t me = req->session.account_id, ward = sk_db_i64(r, 0, "ward_id");
		/* The helping volunteer only while holding the role (as sql/024's proposal_actor_ok). */
		if (sk_db_i64(r, 0, "author_id") == me ||
		    (sk_db_i64(r, 0, "helped_by") == me && sk_has_role(req, ward, SK_ROLE_VOLUNTEER)))
			*access = WRITE;
		else if (sk_has_role(req, ward, SK_ROLE_LEADER) &&
			 strcmp(sk_db_str(r, 0, "status"), "draft") != 0)
			*access = READ;
	}
	json_t *v = *access != NONE ? json_loads(sk_db_str(r, 0, "json"), 0, NULL) : NULL;
	if (id)
		PQclear(r);
	if (v == NULL)
		sk_reply_error(req, 404, "not_found", NULL, "There is no such proposal.");
	return v;
}

void proposals_get(struct sk_request *req)
{
	enum access access;
	json_t *v = load(req, sk_param_id(req, 0), &access);
	if (v != NULL)
		sk_reply_json(req, 200, json_pack("{s:o}", "proposal", v));
}

static const char *str_or(const char *given, json_t *old, const char *key)
{
	return given ? given : json_string_value(json_object_get(old, key));
}

void proposals_update(struct sk_request *req)
{
	int64_t id = sk_param_id(req, 0), version = 0;
	enum access access;
	json_t *old = load(req, id, &access);
	if (old == NULL)
		return;
	if (access != WRITE) {
		json_decref(old);
		sk_reply_error(req, 403, "forbidden", NULL, "Only the author, or the volunteer who helped, can edit a proposal.");
		return;
	}
	struct sk_field extra[] = { SK_INT("version", &version, 1, INT32_MAX), SK_END };
	struct content c;
	if (!parse_content(req, &c, extra)) {
		json_decref(old);
		return;
	}
	struct sk_proposal_in *in = &c.in;
	in->title = str_or(in->title, old, "title");
	in->summary = str_or(in->summary, old, "summary");
	in->problem = str_or(in->problem, old, "problem");
	in->model = str_or(in->model, old, "model");
	in->beneficiaries = str_or(in->beneficiaries, old, "beneficiaries");
	in->resources = str_or(in->resources, old, "resources");
	if (!c.has[F_GROUP])
		in->group_id = json_integer_value(json_object_get(old, "group_id"));
	if (!c.has[F_HOUSEHOLDS])
		in->households = json_is_integer(json_object_get(old, "households")) ? json_integer_value(json_object_get(old, "households")) : -1;
	if (!c.has[F_COST])
		in->cost_vnd = json_is_integer(json_object_get(old, "cost_vnd")) ? json_integer_value(json_object_get(old, "cost_vnd")) : -1;
	json_t *tags = c.has[F_TAGS] ? c.tags : json_object_get(old, "tags");
	if (!c.has[F_TAGS] && (in->tags = tags_array(req, tags)) == NULL) {
		json_decref(old);
		return;
	}
	bool submitted = !strcmp(json_string_value(json_object_get(old, "status")), "submitted");
	if (submitted && !complete_or_reply(req, in)) {
		json_decref(old);
		return;
	}
	in->search_text = search_text(req, in, tags);
	char *json;
	enum sk_db_status st = sk_db_proposal_update(req->db, id, req->session.account_id, req->now, version, in, req->ip, &json);
	json_decref(old);
	if (st != SK_DB_OK) {
		reply_refusal(req, st);
		return;
	}
	reply_proposal(req, 200, json);
}

/*
 * PUT /proposals/{id}/publicity {"photos": bool, "contact": bool}: the author's consents to publish
 * the photos and their name and phone if the proposal wins (sql/026). Giving one needs the proposal
 * editable; withdrawing one is always possible (the photos stop being served at once).
 */
void proposals_publicity(struct sk_request *req)
{
	bool photos = false, contact = false;
	struct sk_field fields[] = { SK_BOOL("photos", &photos), SK_BOOL("contact", &contact), SK_END };
	if (!sk_json_parse(req, fields))
		return;
	char *json;
	enum sk_db_status st = sk_db_proposal_publicity_set(req->db, sk_param_id(req, 0), req->session.account_id, req->now,
							    photos, contact, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_refusal(req, st);
		return;
	}
	/* The public results of a winner whose consent changed are built again (other processes: within 30 s). */
	json_t *v = json_loads(json, 0, NULL);
	results_forget(json_integer_value(json_object_get(v, "campaign_id")));
	json_decref(v);
	reply_proposal(req, 200, json);
}

static void set_status(struct sk_request *req, const char *target)
{
	char *json;
	enum sk_db_status st = sk_db_proposal_set_status(req->db, sk_param_id(req, 0), req->session.account_id, req->now,
							 target, req->ip, &json);
	if (st != SK_DB_OK) {
		reply_refusal(req, st);
		return;
	}
	reply_proposal(req, 200, json);
}

void proposals_submit(struct sk_request *req)
{
	enum access access;
	json_t *p = load(req, sk_param_id(req, 0), &access);
	if (p == NULL)
		return;
	struct sk_proposal_in in = {
		.group_id = json_integer_value(json_object_get(p, "group_id")),
		.summary = json_string_value(json_object_get(p, "summary")),
		.problem = json_string_value(json_object_get(p, "problem")),
		.model = json_string_value(json_object_get(p, "model")),
		.beneficiaries = json_string_value(json_object_get(p, "beneficiaries")),
		.households = json_is_integer(json_object_get(p, "households")) ? json_integer_value(json_object_get(p, "households")) : -1,
		.cost_vnd = json_is_integer(json_object_get(p, "cost_vnd")) ? json_integer_value(json_object_get(p, "cost_vnd")) : -1,
	};
	bool draft = !strcmp(json_string_value(json_object_get(p, "status")), "draft");
	bool complete = access != WRITE || !draft || complete_or_reply(req, &in);
	json_decref(p);
	if (complete)
		set_status(req, "submitted");
}

void proposals_withdraw(struct sk_request *req)
{
	set_status(req, "withdrawn");
}

static void reply_list(struct sk_request *req, bool helper)
{
	PGresult *r;
	enum sk_db_status st = sk_db_proposals_of(req->db, req->session.account_id, helper, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_loads(sk_db_str(r, i, "json"), 0, NULL));
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "proposals", list));
}

void proposals_mine(struct sk_request *req)
{
	reply_list(req, false);
}

void proposals_assisted(struct sk_request *req)
{
	if (!sk_has_role(req, 0, SK_ROLE_VOLUNTEER)) {
		sk_reply_error(req, 403, "forbidden", NULL, "This needs the volunteer role.");
		return;
	}
	reply_list(req, true);
}

void proposals_track(struct sk_request *req)
{
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL)
		return;
	const char *code = req->params[0];
	if (strlen(code) > 40 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != strlen(code)) {
		sk_reply_error(req, 404, "not_found", NULL, "No proposal has this tracking code. Check it and try again.");
		return;
	}
	PGresult *r;
	enum sk_db_status st = sk_db_proposal_track(db, code, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "No proposal has this tracking code. Check it and try again.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	/* The call's stage and, once results are published, whether the proposal won (as public as the
	 * catalogue): the same changes its author is told of (issue 13). */
	bool published = !sk_db_isnull(r, 0, "results_published_at");
	json_t *v = json_pack("{s:s,s:s,s:{s:I,s:s,s:s,s:s},s:o,s:o}", "tracking_code", sk_db_str(r, 0, "tracking_code"),
			      "status", sk_db_str(r, 0, "status"), "campaign", "id",
			      (json_int_t)sk_db_i64(r, 0, "campaign_id"), "title", sk_db_str(r, 0, "campaign_title"),
			      "state", sk_db_str(r, 0, "campaign_state"), "closes_at", sk_db_str(r, 0, "closes_at"),
			      "submitted_at",
			      sk_db_isnull(r, 0, "submitted_at") ? json_null() : json_string(sk_db_str(r, 0, "submitted_at")),
			      "result",
			      published ? json_pack("{s:s,s:s?}", "published_at", sk_db_str(r, 0, "results_published_at"), "award",
						    sk_db_isnull(r, 0, "award") ? NULL : sk_db_str(r, 0, "award"))
					: json_null());
	PQclear(r);
	sk_reply_json(req, 200, v);
}

/* Reads the leader's filters; replies itself and returns false on bad input or no right. */
static bool leader_filter(struct sk_request *req, struct sk_proposal_filter *f, int default_limit)
{
	memset(f, 0, sizeof *f);
	f->campaign_id = sk_param_id(req, 0);
	PGresult *r;
	enum sk_db_status st;
	char i[24];
	const char *p[] = { sk_db_i64str(i, f->campaign_id) };
	st = sk_db_exec(req->db, "campaign_ward", "SELECT ward_id FROM campaigns WHERE id = $1", 1, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return false;
	}
	int64_t ward = sk_db_i64(r, 0, "ward_id");
	PQclear(r);
	if (!sk_require_role(req, ward, SK_ROLE_LEADER))
		return false;
	const char *q = sk_req_query(req, "q");
	long long group, after, limit;
	if (!sk_req_query_int(req, "group_id", 1, INT64_MAX, 0, &group) ||
	    !sk_req_query_int(req, "after", 1, INT64_MAX, 0, &after) ||
	    !sk_req_query_int(req, "limit", 1, 10000, default_limit, &limit))
		return false;
	f->status = sk_req_query(req, "status");
	if (f->status && strcmp(f->status, "submitted") && strcmp(f->status, "withdrawn")) {
		sk_reply_error(req, 400, "invalid_field", "status", "status is submitted or withdrawn.");
		return false;
	}
	f->group_id = group;
	f->after = after;
	f->limit = (int)limit;
	if (q && *q) {
		if (strlen(q) > 200) {
			sk_reply_error(req, 400, "invalid_field", "q", "The search is at most 200 characters.");
			return false;
		}
		char *folded = sk_search_fold(q);
		if (folded == NULL) {
			sk_reply_error(req, 400, "invalid_field", "q", "The search is not valid UTF-8 text.");
			return false;
		}
		f->folded_query = sk_req_own(req, folded);
		f->raw_query = q;
		/* LIKE wildcards typed by a person are literal characters. */
		if (strpbrk(q, "%_\\")) {
			sk_reply_error(req, 400, "invalid_field", "q", "The search cannot contain %%, _ or \\.");
			return false;
		}
	}
	return true;
}

void proposals_search(struct sk_request *req)
{
	struct sk_proposal_filter f;
	if (!leader_filter(req, &f, 50))
		return;
	if (f.limit > 200)
		f.limit = 200;
	PGresult *r;
	enum sk_db_status st = sk_db_proposals_search(req->db, &f, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_loads(sk_db_str(r, i, "json"), 0, NULL));
	json_t *next = n == f.limit ? json_integer(sk_db_i64(r, n - 1, "id")) : json_null();
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o,s:o}", "proposals", list, "next", next));
}

static const char *jfield(json_t *o, const char *k, char *buf, size_t bufsz)
{
	json_t *v = json_object_get(o, k);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, bufsz, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return "";
}

void proposals_export_csv(struct sk_request *req)
{
	struct sk_proposal_filter f;
	if (!leader_filter(req, &f, 10000))
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_proposals_search(req->db, &f, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	static const char *const header[] = { "Mã theo dõi", "Trạng thái", "Tiêu đề", "Tổ dân phố", "Người đề xuất",
					      "Tình nguyện viên hỗ trợ", "Số hộ hưởng lợi", "Chi phí (VND)", "Nộp lúc",
					      "Tóm tắt", "Thẻ" };
	struct sk_csv csv;
	sk_csv_init(&csv);
	for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
		sk_csv_field(&csv, header[i]);
	sk_csv_end_row(&csv);
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *p = json_loads(sk_db_str(r, i, "json"), 0, NULL);
		char b1[32], b2[32], tags[600] = "";
		sk_csv_field(&csv, jfield(p, "tracking_code", b1, sizeof b1));
		const char *status = jfield(p, "status", b1, sizeof b1);
		sk_csv_field(&csv, !strcmp(status, "submitted") ? "Đã nộp" : !strcmp(status, "withdrawn") ? "Đã rút" : status);
		sk_csv_field(&csv, jfield(p, "title", b1, sizeof b1));
		sk_csv_field(&csv, jfield(p, "group_name", b1, sizeof b1));
		sk_csv_field(&csv, jfield(json_object_get(p, "author"), "display_name", b1, sizeof b1));
		sk_csv_field(&csv, jfield(json_object_get(p, "helped_by"), "display_name", b1, sizeof b1));
		sk_csv_field(&csv, jfield(p, "households", b1, sizeof b1));
		sk_csv_field(&csv, jfield(p, "cost_vnd", b2, sizeof b2));
		sk_csv_field(&csv, jfield(p, "submitted_at", b1, sizeof b1));
		sk_csv_field(&csv, jfield(p, "summary", b1, sizeof b1));
		size_t k, used = 0;
		json_t *t;
		json_array_foreach(json_object_get(p, "tags"), k, t) {
			int w = snprintf(tags + used, sizeof tags - used, "%s%s", k ? "; " : "", json_string_value(t));
			if (w > 0 && (size_t)w < sizeof tags - used)
				used += (size_t)w;
		}
		sk_csv_field(&csv, tags);
		sk_csv_end_row(&csv);
		json_decref(p);
	}
	PQclear(r);
	size_t len;
	char *doc = sk_csv_take(&csv, &len);
	if (doc == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The export could not be built.");
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, doc, MHD_RESPMEM_MUST_FREE);
	char disposition[96];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"de-xuat-%lld.csv\"", (long long)f.campaign_id);
	MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition", disposition);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	sk_reply_queue(req, 200, resp);
}
