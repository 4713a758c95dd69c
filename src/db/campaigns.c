#include "db/campaigns.h"

#include "db/audit.h"
#include "domain/campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum sk_db_status view(struct sk_dbconn *c, int64_t id, int64_t now, char **json)
{
	PGresult *r;
	enum sk_db_status st = sk_db_campaign_get(c, id, now, &r);
	if (st != SK_DB_OK)
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	*json = strdup(sk_db_str(r, 0, "json"));
	PQclear(r);
	return *json ? SK_DB_OK : SK_DB_ERROR;
}

static enum sk_db_status replace_criteria(struct sk_dbconn *c, int64_t id, int64_t ward, const struct sk_campaign_in *in)
{
	char cid[24], w[24];
	const char *p[] = { sk_db_i64str(cid, id) };
	enum sk_db_status st = sk_db_exec(c, "criteria_clear", "DELETE FROM criteria WHERE campaign_id = $1", 1, p, NULL);
	if (st != SK_DB_OK)
		return st;
	for (int i = 0; i < in->ncriteria; i++) {
		char pos[24], max[24];
		const struct sk_criterion_in *k = &in->criteria[i];
		const char *q[] = { cid, sk_db_i64str(w, ward), sk_db_i64str(pos, i + 1), k->name,
				    k->description ? k->description : "", k->weight, sk_db_i64str(max, k->max_score) };
		st = sk_db_exec(c, "criterion_insert",
				"INSERT INTO criteria (campaign_id, ward_id, position, name, description, weight, max_score)"
				" VALUES ($1, $2, $3, $4, $5, $6::numeric, $7)",
				7, q, NULL);
		if (st != SK_DB_OK)
			return st;
	}
	return SK_DB_OK;
}

struct create_ctx {
	int64_t actor, ward, now, id;
	const struct sk_campaign_in *in;
	const char *ip;
};

static enum sk_db_status create_tx(struct sk_dbconn *c, void *vctx)
{
	struct create_ctx *ctx = vctx;
	const struct sk_campaign_in *in = ctx->in;
	char w[24], o[24], cl[24], rr[24], a[24], sd[24];
	const char *p[] = { sk_db_i64str(w, ctx->ward), in->title, in->description, in->rules,
			    sk_db_i64str(o, in->opens_at), sk_db_i64str(cl, in->closes_at),
			    in->blind_review ? "true" : "false", sk_db_i64str(rr, in->reviews_required),
			    in->ranking_method, sk_db_i64str(a, ctx->actor), in->blind_shows_group > 0 ? "true" : "false",
			    in->scoring_deadline ? sk_db_i64str(sd, in->scoring_deadline) : NULL };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "campaign_insert",
		"INSERT INTO campaigns (ward_id, title, description, rules, opens_at, closes_at, blind_review,"
		" reviews_required, ranking_method, created_by, blind_shows_group, scoring_deadline)"
		" VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6), $7, $8, $9, $10, $11, to_timestamp($12))"
		" RETURNING id",
		12, p, &r);
	if (st != SK_DB_OK)
		return st;
	ctx->id = sk_db_i64(r, 0, "id");
	PQclear(r);
	st = replace_criteria(c, ctx->id, ctx->ward, in);
	if (st != SK_DB_OK)
		return st;
	char subject[48];
	snprintf(subject, sizeof subject, "campaign:%lld", (long long)ctx->id);
	return sk_db_audit(c, ctx->actor, ctx->ward, "campaign_created", subject, ctx->ip, NULL);
}

enum sk_db_status sk_db_campaign_create(struct sk_dbconn *c, int64_t actor, int64_t ward, const struct sk_campaign_in *in,
					int64_t now, const char *ip, char **json)
{
	struct create_ctx ctx = { .actor = actor, .ward = ward, .now = now, .in = in, .ip = ip };
	*json = NULL;
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", create_tx, &ctx);
	if (st != SK_DB_OK)
		return st;
	return view(c, ctx.id, now, json);
}

enum sk_db_status sk_db_campaign_get(struct sk_dbconn *c, int64_t id, int64_t now, PGresult **res)
{
	char i[24], n[24];
	const char *p[] = { sk_db_i64str(i, id), sk_db_i64str(n, now) };
	return sk_db_exec(c, "campaign_get",
			  "SELECT c.ward_id, c.state, extract(epoch FROM c.opens_at)::bigint AS opens_at,"
			  " extract(epoch FROM c.closes_at)::bigint AS closes_at,"
			  " (campaign_json(c, to_timestamp($2)) || campaign_history_json(c.id)"
			  " || jsonb_build_object('deadline_passed', to_timestamp($2) >= c.closes_at,"
			  " 'scoring_deadline', iso(c.scoring_deadline)))::text AS json"
			  " FROM campaigns c WHERE c.id = $1",
			  2, p, res);
}

enum sk_db_status sk_db_campaign_list(struct sk_dbconn *c, int64_t ward, const char *state, const char *leader_wards,
				      int64_t now, PGresult **res)
{
	char w[24], n[24];
	const char *p[] = { ward ? sk_db_i64str(w, ward) : NULL, state, leader_wards, sk_db_i64str(n, now) };
	return sk_db_exec(c, "campaign_list",
			  "SELECT (campaign_json(c, to_timestamp($4))"
			  " || jsonb_build_object('deadline_passed', to_timestamp($4) >= c.closes_at,"
			  " 'scoring_deadline', iso(c.scoring_deadline)))::text AS json"
			  " FROM campaigns c"
			  " WHERE ($1::bigint IS NULL OR c.ward_id = $1) AND ($2::text IS NULL OR c.state = $2)"
			  " AND (c.state <> 'draft' OR c.ward_id = ANY ($3::bigint[]))"
			  " ORDER BY c.opens_at DESC, c.id DESC LIMIT 500",
			  4, p, res);
}

struct update_ctx {
	int64_t id, actor, now;
	const struct sk_campaign_in *in;
	const char *ip;
	const char *to;
};

/* Locks campaign id and reads its state and dates; *scoring is 0 when it has no scoring deadline (NULL: not read). */
static enum sk_db_status lock_campaign(struct sk_dbconn *c, int64_t id, enum sk_campaign_state *state, int64_t *ward,
				       int64_t *opens, int64_t *closes, int64_t *scoring)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "campaign_lock",
					  "SELECT ward_id, state, extract(epoch FROM opens_at)::bigint AS opens_at,"
					  " extract(epoch FROM closes_at)::bigint AS closes_at,"
					  " coalesce(extract(epoch FROM scoring_deadline)::bigint, 0) AS scoring_deadline"
					  " FROM campaigns WHERE id = $1 FOR UPDATE",
					  1, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st;
	}
	*state = sk_campaign_state_parse(sk_db_str(r, 0, "state"));
	*ward = sk_db_i64(r, 0, "ward_id");
	*opens = sk_db_i64(r, 0, "opens_at");
	*closes = sk_db_i64(r, 0, "closes_at");
	if (scoring)
		*scoring = sk_db_i64(r, 0, "scoring_deadline");
	PQclear(r);
	return SK_DB_OK;
}

static enum sk_db_status refuse(struct sk_dbconn *c, const char *rule)
{
	/* Same path as a rule refused inside a database function. */
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT rule('%s')", rule); /* rule is a fixed literal of this file */
	return sk_db_simple(c, sql);
}

/*
 * Keeps the texts of in that differ from the locked campaign's as one campaign_revisions row (none
 * when nothing differs). detail gets the audit detail {"revision":id,"fields":[…]} or stays "".
 */
static enum sk_db_status record_revision(struct sk_dbconn *c, const struct update_ctx *ctx, char *detail,
					 size_t detailsz)
{
	const struct sk_campaign_in *in = ctx->in;
	char i[24], a[24], n[24];
	const char *p[] = { sk_db_i64str(i, ctx->id), in->title, in->description, in->rules,
			    sk_db_i64str(a, ctx->actor), sk_db_i64str(n, ctx->now) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "campaign_revision_insert",
		"INSERT INTO campaign_revisions (ward_id, campaign_id, fields, old_text, new_text, edited_by, edited_at)"
		" SELECT c.ward_id, c.id, f.fields,"
		" jsonb_strip_nulls(jsonb_build_object('title', CASE WHEN 'title' = ANY (f.fields) THEN c.title END,"
		"  'description', CASE WHEN 'description' = ANY (f.fields) THEN c.description END,"
		"  'rules', CASE WHEN 'rules' = ANY (f.fields) THEN c.rules END)),"
		" jsonb_strip_nulls(jsonb_build_object('title', CASE WHEN 'title' = ANY (f.fields) THEN $2::text END,"
		"  'description', CASE WHEN 'description' = ANY (f.fields) THEN $3::text END,"
		"  'rules', CASE WHEN 'rules' = ANY (f.fields) THEN $4::text END)),"
		" $5, to_timestamp($6)"
		" FROM campaigns c, LATERAL (SELECT array_remove(ARRAY["
		"  CASE WHEN $2::text IS DISTINCT FROM c.title AND $2::text IS NOT NULL THEN 'title' END,"
		"  CASE WHEN $3::text IS DISTINCT FROM c.description AND $3::text IS NOT NULL THEN 'description' END,"
		"  CASE WHEN $4::text IS DISTINCT FROM c.rules AND $4::text IS NOT NULL THEN 'rules' END], NULL)"
		"  AS fields) f"
		" WHERE c.id = $1 AND cardinality(f.fields) > 0"
		" RETURNING id, array_to_json(fields)::text AS fields",
		6, p, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		return SK_DB_OK;
	}
	if (st != SK_DB_OK)
		return st;
	snprintf(detail, detailsz, "{\"revision\":%lld,\"fields\":%s}", (long long)sk_db_i64(r, 0, "id"),
		 sk_db_str(r, 0, "fields"));
	PQclear(r);
	return SK_DB_OK;
}

/*
 * Moves the locked campaign's scoring deadline from old (0: none) to ctx->in->scoring_deadline, kept
 * as a campaign_scoring_deadlines row and the audit event "campaign_scoring_deadline_set", whose
 * trigger tells the panelists (sql/036).
 */
static enum sk_db_status move_scoring_deadline(struct sk_dbconn *c, const struct update_ctx *ctx, int64_t ward,
					       int64_t old, const char *subject)
{
	char i[24], o[24], nd[24], a[24], n[24];
	const char *p[] = { sk_db_i64str(i, ctx->id), old ? sk_db_i64str(o, old) : NULL,
			    sk_db_i64str(nd, ctx->in->scoring_deadline), sk_db_i64str(a, ctx->actor),
			    sk_db_i64str(n, ctx->now) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		c, "campaign_scoring_deadline_insert",
		"WITH moved AS (UPDATE campaigns SET scoring_deadline = to_timestamp($3) WHERE id = $1 RETURNING ward_id, id)"
		" INSERT INTO campaign_scoring_deadlines (ward_id, campaign_id, old_scoring_deadline, new_scoring_deadline,"
		" set_by, set_at)"
		" SELECT ward_id, id, to_timestamp($2), to_timestamp($3), $4, to_timestamp($5) FROM moved RETURNING id",
		5, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "{\"revision\":%lld,\"old_scoring_deadline\":%s%s,\"new_scoring_deadline\":%lld}",
		 (long long)sk_db_i64(r, 0, "id"), old ? "" : "null", old ? o : "", (long long)ctx->in->scoring_deadline);
	PQclear(r);
	return sk_db_audit(c, ctx->actor, ward, "campaign_scoring_deadline_set", subject, ctx->ip, detail);
}

static enum sk_db_status update_tx(struct sk_dbconn *c, void *vctx)
{
	struct update_ctx *ctx = vctx;
	const struct sk_campaign_in *in = ctx->in;
	enum sk_campaign_state state;
	int64_t ward, opens, closes, scoring;
	enum sk_db_status st = lock_campaign(c, ctx->id, &state, &ward, &opens, &closes, &scoring);
	if (st != SK_DB_OK)
		return st;
	bool config = in->opens_at || in->closes_at || in->blind_review >= 0 || in->blind_shows_group >= 0 ||
		      in->reviews_required ||
		      in->ranking_method || in->ncriteria >= 0;
	bool text = in->title || in->description || in->rules;
	if ((config && !sk_campaign_config_editable(state)) || (text && !sk_campaign_text_editable(state)))
		return refuse(c, "campaign_frozen");
	int64_t new_opens = in->opens_at ? in->opens_at : opens, new_closes = in->closes_at ? in->closes_at : closes;
	if (new_closes <= new_opens)
		return refuse(c, "invalid_dates");
	bool scoring_moves = in->scoring_deadline && in->scoring_deadline != scoring;
	if (scoring_moves && (state == SK_CAMPAIGN_DECIDED || state == SK_CAMPAIGN_PUBLISHED))
		return refuse(c, "scoring_over");
	if (scoring_moves && in->scoring_deadline <= ctx->now)
		return refuse(c, "scoring_deadline_in_past");
	int64_t new_scoring = in->scoring_deadline ? in->scoring_deadline : scoring;
	if (new_scoring && new_scoring <= new_closes && scoring_moves)
		return refuse(c, "scoring_deadline_not_after_close");
	if (new_scoring && new_scoring <= new_closes && new_closes != closes)
		return refuse(c, "closes_after_scoring_deadline");
	char detail[160] = "";
	if (text && sk_campaign_text_revised(state) && (st = record_revision(c, ctx, detail, sizeof detail)) != SK_DB_OK)
		return st;
	char i[24], o[24], cl[24], rr[24];
	const char *p[] = { sk_db_i64str(i, ctx->id), in->title, in->description, in->rules,
			    in->opens_at ? sk_db_i64str(o, in->opens_at) : NULL,
			    in->closes_at ? sk_db_i64str(cl, in->closes_at) : NULL,
			    in->blind_review < 0 ? NULL : in->blind_review ? "true" : "false",
			    in->reviews_required ? sk_db_i64str(rr, in->reviews_required) : NULL, in->ranking_method,
			    in->blind_shows_group < 0 ? NULL : in->blind_shows_group ? "true" : "false" };
	st = sk_db_exec(c, "campaign_update",
			"UPDATE campaigns SET title = coalesce($2, title), description = coalesce($3, description),"
			" rules = coalesce($4, rules), opens_at = coalesce(to_timestamp($5), opens_at),"
			" closes_at = coalesce(to_timestamp($6), closes_at), blind_review = coalesce($7, blind_review),"
			" reviews_required = coalesce($8, reviews_required),"
			" ranking_method = coalesce($9, ranking_method),"
			" blind_shows_group = coalesce($10::boolean, blind_shows_group) WHERE id = $1",
			10, p, NULL);
	if (st != SK_DB_OK)
		return st;
	if (in->ncriteria >= 0 && (st = replace_criteria(c, ctx->id, ward, in)) != SK_DB_OK)
		return st;
	char subject[48];
	snprintf(subject, sizeof subject, "campaign:%lld", (long long)ctx->id);
	bool other = in->title || in->description || in->rules || config;
	if ((other || !scoring_moves) &&
	    (st = sk_db_audit(c, ctx->actor, ward, "campaign_edited", subject, ctx->ip, detail[0] ? detail : NULL)) !=
		    SK_DB_OK)
		return st;
	return scoring_moves ? move_scoring_deadline(c, ctx, ward, scoring, subject) : SK_DB_OK;
}

enum sk_db_status sk_db_campaign_update(struct sk_dbconn *c, int64_t id, int64_t actor, const struct sk_campaign_in *in,
					int64_t now, const char *ip, char **json)
{
	struct update_ctx ctx = { .id = id, .actor = actor, .now = now, .in = in, .ip = ip };
	*json = NULL;
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", update_tx, &ctx);
	if (st != SK_DB_OK)
		return st;
	return view(c, id, now, json);
}

static enum sk_db_status transition_tx(struct sk_dbconn *c, void *vctx)
{
	struct update_ctx *ctx = vctx;
	enum sk_campaign_state state;
	int64_t ward, opens, closes, scoring;
	enum sk_db_status st = lock_campaign(c, ctx->id, &state, &ward, &opens, &closes, &scoring);
	if (st != SK_DB_OK)
		return st;
	enum sk_campaign_state to = sk_campaign_state_parse(ctx->to);
	switch (sk_campaign_transition(state, to, ctx->now, closes)) {
	case SK_TRANSITION_ILLEGAL:
		return refuse(c, "illegal_transition");
	case SK_TRANSITION_TOO_EARLY:
		return refuse(c, "deadline_not_reached");
	case SK_TRANSITION_OK:
		break;
	}
	char i[24];
	const char *p[] = { sk_db_i64str(i, ctx->id), sk_campaign_state_name(to) };
	st = sk_db_exec(c, "campaign_set_state",
			"UPDATE campaigns SET state = $2, config_digest = CASE WHEN $2 = 'open'"
			" THEN encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex')"
			" ELSE config_digest END WHERE id = $1",
			2, p, NULL);
	if (st != SK_DB_OK)
		return st;
	char subject[48], detail[96];
	snprintf(subject, sizeof subject, "campaign:%lld", (long long)ctx->id);
	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\"}", sk_campaign_state_name(state),
		 sk_campaign_state_name(to));
	return sk_db_audit(c, ctx->actor, ward, "campaign_transition", subject, ctx->ip, detail);
}

enum sk_db_status sk_db_campaign_transition(struct sk_dbconn *c, int64_t id, int64_t actor, const char *to, int64_t now,
					    const char *ip, char **json)
{
	struct update_ctx ctx = { .id = id, .actor = actor, .now = now, .to = to, .ip = ip };
	*json = NULL;
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", transition_tx, &ctx);
	if (st != SK_DB_OK)
		return st;
	return view(c, id, now, json);
}

struct extend_ctx {
	int64_t id, actor, now, closes_at;
	const char *reason, *ip;
};

static enum sk_db_status extend_tx(struct sk_dbconn *c, void *vctx)
{
	struct extend_ctx *ctx = vctx;
	enum sk_campaign_state state;
	int64_t ward, opens, closes, scoring;
	enum sk_db_status st = lock_campaign(c, ctx->id, &state, &ward, &opens, &closes, &scoring);
	if (st != SK_DB_OK)
		return st;
	switch (sk_campaign_extension(state, ctx->now, closes, ctx->closes_at)) {
	case SK_EXTENSION_NOT_OPEN:
		return refuse(c, "campaign_not_open");
	case SK_EXTENSION_NOT_LATER:
		return refuse(c, "deadline_not_later");
	case SK_EXTENSION_PAST:
		return refuse(c, "deadline_in_past");
	case SK_EXTENSION_TOO_FAR:
		return refuse(c, "deadline_too_far");
	case SK_EXTENSION_OK:
		break;
	}
	if (scoring && ctx->closes_at >= scoring)
		return refuse(c, "scoring_deadline_not_after_close");
	char i[24], o[24], nc[24], a[24], n[24];
	const char *p[] = { sk_db_i64str(i, ctx->id), sk_db_i64str(o, closes), sk_db_i64str(nc, ctx->closes_at),
			    ctx->reason, sk_db_i64str(a, ctx->actor), sk_db_i64str(n, ctx->now) };
	PGresult *r;
	st = sk_db_exec(c, "campaign_extension_insert",
			"INSERT INTO campaign_extensions (ward_id, campaign_id, old_closes_at, new_closes_at,"
			" reason, extended_by, extended_at)"
			" SELECT ward_id, id, to_timestamp($2), to_timestamp($3), $4, $5, to_timestamp($6)"
			" FROM campaigns WHERE id = $1 RETURNING id",
			6, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	int64_t extension = sk_db_i64(r, 0, "id");
	PQclear(r);
	const char *q[] = { i, nc };
	st = sk_db_exec(c, "campaign_deadline_set", "UPDATE campaigns SET closes_at = to_timestamp($2) WHERE id = $1",
			2, q, NULL);
	if (st != SK_DB_OK)
		return st;
	char subject[48], detail[160];
	snprintf(subject, sizeof subject, "campaign:%lld", (long long)ctx->id);
	snprintf(detail, sizeof detail, "{\"extension\":%lld,\"old_closes_at\":%lld,\"new_closes_at\":%lld}",
		 (long long)extension, (long long)closes, (long long)ctx->closes_at);
	return sk_db_audit(c, ctx->actor, ward, "campaign_deadline_extended", subject, ctx->ip, detail);
}

enum sk_db_status sk_db_campaign_extend(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t closes_at,
					const char *reason, int64_t now, const char *ip, char **json)
{
	struct extend_ctx ctx = { .id = id, .actor = actor, .now = now, .closes_at = closes_at, .reason = reason, .ip = ip };
	*json = NULL;
	enum sk_db_status st = sk_db_tx(c, "READ COMMITTED", extend_tx, &ctx);
	if (st != SK_DB_OK)
		return st;
	return view(c, id, now, json);
}
