/* Awards, ranking inputs, decisions, publication, and the replication registry. */
#ifndef SK_DB_DECISIONS_H
#define SK_DB_DECISIONS_H

#include "db/db.h"

/* state, method, config_digest, chain head, panel_locked (bool), ward_id of campaign cid. */
enum sk_db_status sk_db_decision_campaign(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* criteria: id, name, weight, max_score by position. */
enum sk_db_status sk_db_rank_criteria(struct sk_dbconn *c, int64_t cid, PGresult **res);
/* submitted proposals: id, tracking_code, title, group_name. */
enum sk_db_status sk_db_rank_proposals(struct sk_dbconn *c, int64_t cid, PGresult **res);
/* submitted reviews: proposal_id, panelist_id, scores (array text in criterion order), overall_comment. */
enum sk_db_status sk_db_rank_reviews(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* position, name, count of the campaign's awards. */
enum sk_db_status sk_db_awards(struct sk_dbconn *c, int64_t cid, PGresult **res);
/* The same, for the public: nothing of a draft campaign. */
enum sk_db_status sk_db_awards_public(struct sk_dbconn *c, int64_t cid, PGresult **res);
/* Replaces the awards (rule decision_made once a decision exists). json: [{"name","count"}]. */
enum sk_db_status sk_db_awards_set(struct sk_dbconn *c, int64_t cid, int64_t actor, const char *json, const char *ip);

/*
 * Records a decision with its snapshot and moves the campaign appraisal → decided (version 1), or
 * records a published correction (version > 1, with reason; rules not_decidable, panel_not_locked).
 */
enum sk_db_status sk_db_decision_create(struct sk_dbconn *c, int64_t cid, int64_t actor, const char *method,
					const char *inputs_digest, const char *snapshot, const char *correction_reason,
					int64_t now, const char *ip, int64_t *decision_id);

/* Publishes the campaign's unpublished decision and adds its winners to the catalogue (rule nothing_to_publish). */
enum sk_db_status sk_db_decision_publish(struct sk_dbconn *c, int64_t cid, int64_t actor, int64_t now, const char *ip);

/* The newest decision of cid: id, version, snapshot, published (bool), decided_at, published_at. */
enum sk_db_status sk_db_decision_latest(struct sk_dbconn *c, int64_t cid, bool published_only, PGresult **res);

/* The id of cid's newest published decision into *id (a point read, for cache checks); SK_DB_NOROWS when none. */
enum sk_db_status sk_db_decision_latest_id(struct sk_dbconn *c, int64_t cid, int64_t *id);

/* Catalogue: "json" rows of models filtered by ward (0: all), stage (NULL), tag (NULL), folded query (NULL). */
enum sk_db_status sk_db_models_list(struct sk_dbconn *c, int64_t ward, const char *stage, const char *tag,
				    const char *folded, PGresult **res);
/* One model: "json" and "adoptions" (JSON array text). */
enum sk_db_status sk_db_model_get(struct sk_dbconn *c, int64_t id, PGresult **res);

struct sk_adoption_in {
	int64_t group_id;
	const char *started_on, *stage, *notes;
	int64_t households, cost_vnd; /* -1: none */
	int64_t version;              /* for updates */
};

/* Records an adoption of model by a group of ward (SK_DB_CHECK: group not in ward); *json the adoption. */
enum sk_db_status sk_db_adoption_create(struct sk_dbconn *c, int64_t model, int64_t ward, int64_t actor,
					const struct sk_adoption_in *in, int64_t now, const char *ip, char **json);
/* ward_id of adoption id. */
enum sk_db_status sk_db_adoption_ward(struct sk_dbconn *c, int64_t id, int64_t *ward);
/* Updates an adoption keeping its history (rule version_conflict). */
enum sk_db_status sk_db_adoption_update(struct sk_dbconn *c, int64_t id, int64_t actor, const struct sk_adoption_in *in,
					int64_t now, const char *ip, char **json);

#endif
