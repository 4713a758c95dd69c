/* Campaigns (calls for proposals) and their criteria. */
#ifndef SK_DB_CAMPAIGNS_H
#define SK_DB_CAMPAIGNS_H

#include "db/db.h"

#define SK_MAX_CRITERIA 10

struct sk_criterion_in {
	const char *name, *description;
	char weight[32]; /* decimal text */
	int64_t max_score;
};

/* Input for create (every field set) and update (NULL / negative: unchanged). */
struct sk_campaign_in {
	const char *title, *description, *rules;
	int64_t opens_at, closes_at; /* Unix seconds; 0: unchanged */
	int64_t scoring_deadline;    /* Unix seconds; 0: none (create) or unchanged (update) */
	int blind_review;            /* -1: unchanged */
	int blind_shows_group;       /* -1: unchanged; with blind_review, panelists see the residential group */
	int64_t reviews_required;    /* 0: unchanged */
	const char *ranking_method;
	struct sk_criterion_in criteria[SK_MAX_CRITERIA];
	int ncriteria;               /* -1: unchanged */
};

/* Creates a draft campaign in ward with its criteria and an audit event; *json is its view (caller frees). */
enum sk_db_status sk_db_campaign_create(struct sk_dbconn *c, int64_t actor, int64_t ward, const struct sk_campaign_in *in,
					int64_t now, const char *ip, char **json);

/* ward_id, state, opens/closes (Unix seconds) and the JSON view ("json", with its public history) of campaign id at now. */
enum sk_db_status sk_db_campaign_get(struct sk_dbconn *c, int64_t id, int64_t now, PGresult **res);

/*
 * Campaigns newest first, each row's "json": of ward (0: all), in state (NULL: all), drafts only of
 * the wards in leader_wards (a PostgreSQL array text such as "{1,4}").
 */
enum sk_db_status sk_db_campaign_list(struct sk_dbconn *c, int64_t ward, const char *state, const char *leader_wards,
				      int64_t now, PGresult **res);

/*
 * Applies the set fields of in to campaign id, checking what its state still allows (domain rules).
 * Texts that change after the call opened are also kept as a campaign_revisions row; a changed
 * scoring deadline as a campaign_scoring_deadlines row and the audit event
 * "campaign_scoring_deadline_set" (which tells the panelists, sql/036).
 * SK_DB_RULE with sk_db_rule(): "campaign_frozen", "invalid_dates", "scoring_deadline_not_after_close",
 * "closes_after_scoring_deadline" (a draft's new closes_at), "scoring_deadline_in_past" or "scoring_over". *json is the new view.
 */
enum sk_db_status sk_db_campaign_update(struct sk_dbconn *c, int64_t id, int64_t actor, const struct sk_campaign_in *in,
					int64_t now, const char *ip, char **json);

/*
 * Moves campaign id to state `to` (domain rules), recording the configuration digest when it opens.
 * SK_DB_RULE: "illegal_transition" or "deadline_not_reached". *json is the new view.
 */
enum sk_db_status sk_db_campaign_transition(struct sk_dbconn *c, int64_t id, int64_t actor, const char *to, int64_t now,
					    const char *ip, char **json);

/*
 * Extends the deadline of open campaign id to closes_at (domain rule sk_campaign_extension), keeping
 * the old and new deadline and the reason as a campaign_extensions row and an audit event.
 * SK_DB_RULE: "campaign_not_open", "deadline_not_later", "deadline_in_past", "deadline_too_far" or
 * "scoring_deadline_not_after_close" (the call's scoring deadline would not follow it). *json is the new view, with its history (caller frees).
 */
enum sk_db_status sk_db_campaign_extend(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t closes_at,
					const char *reason, int64_t now, const char *ip, char **json);

#endif
