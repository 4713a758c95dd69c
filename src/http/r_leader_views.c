/*
 * Leader-only read views of one call: who may be named to its panel (GET …/panel/candidates) and the
 * current decision, published or not (GET …/decision).
 */
#include "db/candidates.h"
#include "db/decisions.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/reply.h"

#include <string.h>

void panel_candidates_get(struct sk_request *req)
{
	PGresult *c, *r;
	if (!sk_led_campaign(req, &c))
		return;
	int64_t cid = sk_param_id(req, 0);
	PQclear(c);
	enum sk_db_status st = sk_db_panel_candidates(req->db, cid, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return;
	}
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		bool has_group = !sk_db_isnull(r, i, "group_id");
		json_array_append_new(
			list, json_pack("{s:I,s:s,s:o,s:o,s:b}", "account_id", (json_int_t)sk_db_i64(r, i, "account_id"),
					"display_name", sk_db_str(r, i, "display_name"), "group_id",
					has_group ? json_integer(sk_db_i64(r, i, "group_id")) : json_null(), "group_name",
					has_group ? json_string(sk_db_str(r, i, "group_name")) : json_null(), "on_panel",
					sk_db_bool(r, i, "on_panel")));
	}
	PQclear(r);
	sk_reply_json(req, 200, json_pack("{s:o}", "candidates", list));
}

/* A short view of one ranking entry of a snapshot, with the given keys copied (absent ones null). */
static json_t *entry_view(json_t *e)
{
	static const char *const keys[] = { "proposal_id", "tracking_code", "title", "group_name", "rank",
					     "score", "default_award", "award", "reason" };
	json_t *v = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *x = json_object_get(e, keys[i]);
		json_object_set_new(v, keys[i], x ? json_incref(x) : json_null());
	}
	return v;
}

static bool same_award(json_t *a, json_t *b)
{
	const char *x = json_is_string(a) ? json_string_value(a) : NULL;
	const char *y = json_is_string(b) ? json_string_value(b) : NULL;
	return (x == NULL) == (y == NULL) && (x == NULL || !strcmp(x, y));
}

void decision_get(struct sk_request *req)
{
	PGresult *c, *r;
	if (!sk_led_campaign(req, &c))
		return;
	int64_t cid = sk_param_id(req, 0);
	json_t *state = json_string(sk_db_str(c, 0, "state"));
	PQclear(c);
	enum sk_db_status st = sk_db_decision_latest(req->db, cid, false, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		json_decref(state);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "No decision has been made for this call yet.");
		else
			sk_reply_db_error(req, st);
		return;
	}
	json_t *snap = json_loads(sk_db_str(r, 0, "snapshot"), 0, NULL);
	if (snap == NULL)
		snap = json_object();
	json_t *winners = json_array(), *departures = json_array(), *e;
	size_t i;
	json_array_foreach(json_object_get(snap, "ranking"), i, e) {
		json_t *award = json_object_get(e, "award"), *def = json_object_get(e, "default_award");
		if (json_is_string(award))
			json_array_append_new(winners, entry_view(e));
		if (!same_award(award, def))
			json_array_append_new(departures, entry_view(e));
	}
	json_t *doc = json_pack("{s:I,s:o,s:I,s:I,s:b,s:s,s:s?,s:s?,s:o,s:o,s:o}", "campaign_id", (json_int_t)cid,
				"state", state, "decision_id", (json_int_t)sk_db_i64(r, 0, "id"), "version",
				(json_int_t)sk_db_i64(r, 0, "version"), "published", sk_db_bool(r, 0, "published"),
				"decided_at", sk_db_str(r, 0, "decided_at"), "published_at",
				sk_db_str(r, 0, "published_at"),
				"correction_reason",
				sk_db_str(r, 0, "correction_reason"),
				"winners", winners, "departures", departures, "snapshot", snap);
	PQclear(r);
	sk_reply_json(req, 200, doc);
}
