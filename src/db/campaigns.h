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

/* ward_id, state, opens/closes (Unix seconds) and the JSON view ("json") of campaign id at now. */
enum sk_db_status sk_db_campaign_get(struct sk_dbconn *c, int64_t id, int64_t now, PGresult **res);

/*
 * Campaigns newest first, each row's "json": of ward (0: all), in state (NULL: all), drafts only of
 * the wards in leader_wards (a PostgreSQL array text such as "{1,4}").
 */
enum sk_db_status sk_db_campaign_list(struct sk_dbconn *c, int64_t ward, const char *state, const char *leader_wards,
				      int64_t now, PGresult **res);

/*
 * Applies the set fields of in to campaign id, checking what its state still allows (domain rules).
 * SK_DB_RULE with sk_db_rule(): "campaign_frozen" or "invalid_dates". *json is the new view.
 */
enum sk_db_status sk_db_campaign_update(struct sk_dbconn *c, int64_t id, int64_t actor, const struct sk_campaign_in *in,
					int64_t now, const char *ip, char **json);

/*
 * Moves campaign id to state `to` (domain rules), recording the configuration digest when it opens.
 * SK_DB_RULE: "illegal_transition" or "deadline_not_reached". *json is the new view.
 */
enum sk_db_status sk_db_campaign_transition(struct sk_dbconn *c, int64_t id, int64_t actor, const char *to, int64_t now,
					    const char *ip, char **json);

#endif
