/* Proposals, their revisions and attachments. Writes run as database functions (sql/003). */
#ifndef SK_DB_PROPOSALS_H
#define SK_DB_PROPOSALS_H

#include "db/db.h"

/* Editable content; text fields NULL when absent (create) — update passes every field. */
struct sk_proposal_in {
	int64_t group_id; /* 0: none */
	const char *title, *summary, *problem, *model, *beneficiaries, *resources;
	int64_t households, cost_vnd; /* -1: none */
	const char *tags;             /* PostgreSQL array text, e.g. {"a","b"} */
	const char *search_text;
};

/*
 * Creates a proposal in campaign cid for author (helped by helper with consent_version when helper
 * is not 0). SK_DB_RULE names the refusal: campaign_not_found, campaign_not_accepting, not_in_ward,
 * not_volunteer, resident_not_in_ward. SK_DB_CHECK: the group is not of the ward. *json: the view.
 */
enum sk_db_status sk_db_proposal_create(struct sk_dbconn *c, int64_t cid, int64_t author, int64_t helper,
					const char *consent_version, int64_t now, bool submit,
					const struct sk_proposal_in *in, const char *ip, char **json);

/* Columns ward_id, campaign_id, author_id, helped_by, status, json (the full view). */
enum sk_db_status sk_db_proposal_get(struct sk_dbconn *c, int64_t id, PGresult **res);

/* Replaces the content when version matches (rules: proposal_not_found, proposal_withdrawn, campaign_not_accepting, version_conflict). */
enum sk_db_status sk_db_proposal_update(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, int64_t version,
					const struct sk_proposal_in *in, const char *ip, char **json);

/* target "submitted" or "withdrawn" (rules as update, plus proposal_not_draft, proposal_incomplete). */
enum sk_db_status sk_db_proposal_set_status(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now,
					    const char *target, const char *ip, char **json);

/* "json" of each proposal by author (helper false), or helped by the account in a ward where it holds the
 * volunteer role now (helper true), newest first. */
enum sk_db_status sk_db_proposals_of(struct sk_dbconn *c, int64_t account, bool helper, PGresult **res);

struct sk_proposal_filter {
	int64_t campaign_id, group_id, after; /* after: keyset cursor (id), 0 for the first page */
	const char *status;                   /* NULL: every status but draft */
	const char *folded_query;             /* diacritic-folded search, NULL: none */
	const char *raw_query;                /* as typed, matched against tracking codes */
	int limit;
};

/* A page of a campaign's proposals for its leaders: "id", "json". */
enum sk_db_status sk_db_proposals_search(struct sk_dbconn *c, const struct sk_proposal_filter *f, PGresult **res);

/* Public status of a tracking code: tracking_code, status, campaign_id, campaign_title, submitted_at. */
enum sk_db_status sk_db_proposal_track(struct sk_dbconn *c, const char *code, PGresult **res);

/*
 * Stores an attachment of proposal id (at most 5; rule too_many_attachments; and the deadline rules).
 * sha256 is hex. *json is the attachment's metadata.
 */
enum sk_db_status sk_db_attachment_add(struct sk_dbconn *c, int64_t proposal, int64_t actor, int64_t now,
				       const char *filename, const char *mime, const void *data, size_t size,
				       const char *sha256, const char *ip, char **json);

/* proposal_id, filename, mime, size, content (binary in column "content"), sha256 (hex) of attachment id. */
enum sk_db_status sk_db_attachment_get(struct sk_dbconn *c, int64_t id, PGresult **res);

/* Stores a derived size (long side 320 or 1024, sql/030) of attachment id; sha256 is hex. */
enum sk_db_status sk_db_attachment_size_add(struct sk_dbconn *c, int64_t id, int long_side, const char *mime,
					    const void *data, size_t size, const char *sha256);

/* Like sk_db_attachment_get, with the derived size long_side in place of the file; NOROWS when absent. */
enum sk_db_status sk_db_attachment_size_get(struct sk_dbconn *c, int64_t id, int long_side, PGresult **res);

/*
 * Gives or withdraws the consents to publish proposal id's photos and contact (sql/026
 * proposal_publicity_set): rules proposal_not_found, proposal_withdrawn, campaign_not_accepting
 * (giving only). *json: the proposal's view.
 */
enum sk_db_status sk_db_proposal_publicity_set(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, bool photos,
					       bool contact, const char *ip, char **json);

/*
 * The derived size long_side of attachment id when it is a public photo (sql/026
 * proposal_photos_public) whose SHA-256 starts with hash32 (32 hex digits): binary columns
 * content, sha256 (hex text). SK_DB_NOROWS in every other case.
 */
enum sk_db_status sk_db_public_photo_get(struct sk_dbconn *c, int64_t id, int long_side, const char *hash32,
					 PGresult **res);

/* Deletes attachment id of proposal (deadline rules apply). */
enum sk_db_status sk_db_attachment_delete(struct sk_dbconn *c, int64_t id, int64_t actor, int64_t now, const char *ip);

#endif
