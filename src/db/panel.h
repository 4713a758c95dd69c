/* The appraisal panel: members, conflicts, assignments, reviews, progress, lock, and the score record. */
#ifndef SK_DB_PANEL_H
#define SK_DB_PANEL_H

#include "db/db.h"

#include <stddef.h>

/*
 * Makes accounts (n ids) the panel of campaign cid; each must hold the panelist role in the ward
 * (rule not_panelist) and no member with reviews may be removed (rule panelist_has_reviews).
 */
enum sk_db_status sk_db_panel_set(struct sk_dbconn *c, int64_t cid, int64_t actor, const int64_t *ids, size_t n,
				  const char *ip);

/* account_id, display_name of each panelist of cid. */
enum sk_db_status sk_db_panel_members(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* Declares a conflict of panelist with proposal pid (rule proposal_not_found when not a panelist of its campaign). */
enum sk_db_status sk_db_conflict_declare(struct sk_dbconn *c, int64_t pid, int64_t panelist, const char *reason,
					 int64_t now, const char *ip);

/* proposal_id, tracking_code, panelist_id, display_name, kind, reason of every conflict in cid. */
enum sk_db_status sk_db_conflicts(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* The inputs of an assignment: submitted proposal ids, panelist ids, and conflict pairs (3 results). */
enum sk_db_status sk_db_assignment_inputs(struct sk_dbconn *c, int64_t cid, PGresult **proposals, PGresult **panelists,
					  PGresult **conflicts);

/*
 * Replaces the assignments of cid with n (proposal, panelist) pairs; rule reviews_started when any
 * review exists already.
 */
enum sk_db_status sk_db_assignments_replace(struct sk_dbconn *c, int64_t cid, int64_t actor, const int64_t *proposals,
					    const int64_t *panelists, size_t n, const char *ip);

/* Moves one review of pid from one panelist to another (rules: assignment_not_found, conflict, already_assigned, review_exists). */
enum sk_db_status sk_db_assignment_move(struct sk_dbconn *c, int64_t cid, int64_t pid, int64_t from, int64_t to,
					int64_t actor, const char *ip);

/* The panelist's work list in cid: proposal json (blind as configured) and my review status. Column "json". */
enum sk_db_status sk_db_worklist(struct sk_dbconn *c, int64_t cid, int64_t panelist, PGresult **res);

/*
 * What panelist may see to appraise pid: columns campaign_id, json (proposal), criteria, review (mine or
 * null), others (submitted reviews of others, only when mine is submitted). SK_DB_NOROWS: not assigned,
 * conflicted, or not in appraisal.
 */
enum sk_db_status sk_db_appraisal(struct sk_dbconn *c, int64_t pid, int64_t panelist, PGresult **res);

/* Saves a review (see review_save in sql/004); *json the review. */
enum sk_db_status sk_db_review_save(struct sk_dbconn *c, int64_t pid, int64_t panelist, int64_t now, int64_t version,
				    const char *scores_json, const char *comment, bool submit, const char *reason,
				    const char *ip, char **json);

/*
 * Who reviews what in cid, for its leader, as JSON text (column "json"): panelists (account_id,
 * display_name), and per submitted proposal its reviewers with their review's state (not_started,
 * draft, submitted, revised) and its conflicts. Never a score or a comment.
 */
enum sk_db_status sk_db_assignments_view(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* Progress of cid as JSON text (column "json"): per panelist and per proposal. */
enum sk_db_status sk_db_progress(struct sk_dbconn *c, int64_t cid, PGresult **res);

/* Locks the panel; rule reviews_missing (unless allow_missing), not_in_appraisal, panel_locked. */
enum sk_db_status sk_db_panel_lock(struct sk_dbconn *c, int64_t cid, int64_t actor, bool allow_missing, const char *note,
				   int64_t now, const char *ip, char **json);

/* Seals campaign cid's committed pending score events into its chain (score_seal in sql/012). */
enum sk_db_status sk_db_score_seal(struct sk_dbconn *c, int64_t cid);

/* The sealed score record of cid in chain order: id (the event), seq, content (NULL: event gone), prev_hash, hash. */
enum sk_db_status sk_db_score_events(struct sk_dbconn *c, int64_t cid, PGresult **res);

struct sk_chain_report;

/*
 * Seals what is pending, then recomputes campaign cid's score record from its rows (SHA-256 in C, not
 * trusting the database): the chain, its stored head, that every event is sealed or still pending
 * (report->unsealed counts those), and that the reviews hold the scores of their newest event.
 */
enum sk_db_status sk_db_score_record_verify(struct sk_dbconn *c, int64_t cid, struct sk_chain_report *report);

/* Campaign ids that have a score record. */
enum sk_db_status sk_db_score_campaigns(struct sk_dbconn *c, PGresult **res);

#endif
