/* Every handler of the route table; one file per resource (r_*.c). */
#ifndef SK_HTTP_HANDLERS_H
#define SK_HTTP_HANDLERS_H

#include "http/server.h"

#include <stdio.h>

/* The campaign of the path when the caller leads its ward (r_results.c): its row in *c for the
 * caller to clear; otherwise replies 404 or 403 and returns false. */
bool sk_led_campaign(struct sk_request *req, PGresult **c);

/* Drops this process's cached public results of campaign cid (r_public_results.c); called when a
 * decision is published or corrected. */
void results_forget(int64_t cid);
/* Drops this process's public results of every call (a ward's public contact changed). */
void results_forget_all(void);

/* r_share.c: link previews, under the absolute base of public links (cfg->public_url: --public-url
 * without a trailing '/', or http://<listen> when unset; see config.c). share_tags writes the Open Graph
 * and Twitter-card tags of page (a path under base) with title, description and image (a path
 * under base), HTML-escaped, onto m. share_page replies to GET /call.html, /model.html and
 * /catalogue.html with their tags filled in and returns true; false when the request is not one
 * of those (the caller serves the file). share_card replies to GET /cards/... (PNG, ETag, 304).
 * share_card_renders counts the cards this process has drawn. */
void share_tags(FILE *m, const char *base, const char *type, const char *page, const char *title,
		const char *description, const char *image);
bool share_page(struct sk_request *req);
void share_card(struct sk_request *req);
long share_card_renders(void);

/* r_system.c */
void system_health(struct sk_request *req);
void system_version(struct sk_request *req);

/* r_accounts.c */
void accounts_create(struct sk_request *req);
void accounts_me(struct sk_request *req);
void accounts_admin_lookup(struct sk_request *req);
void accounts_admin_get(struct sk_request *req);
void accounts_admin_create(struct sk_request *req);
/* ?q= of a search, cleaned (2..100 characters, owned by req), with its phone digits (sk_login_search_digits,
 * "" when none) in digits; replies 400 itself and returns false. */
bool search_query(struct sk_request *req, const char **query, char *digits, size_t digits_size);
/* What the audit says a search was by: "email" (query holds '@'), "phone" (it has digits), else "name". */
const char *search_kind(const char *query, const char *digits);
/* Takes one of the caller's searches of people this hour (--people-searches); replies 429 too_many_searches
 * (with Retry-After) or the database error itself and returns false. */
bool search_budget_or_reply(struct sk_request *req);

/* r_notifications.c */
void notifications_list(struct sk_request *req);
void notifications_read(struct sk_request *req);
void notification_settings_get(struct sk_request *req);
void notification_settings_put(struct sk_request *req);

/* r_setup_codes.c */
void setup_codes_issue(struct sk_request *req);
void setup_codes_redeem(struct sk_request *req);

/* r_sessions.c */
void sessions_create(struct sk_request *req);
void sessions_delete_current(struct sk_request *req);

/* r_wards.c */
void wards_list(struct sk_request *req);
void wards_create(struct sk_request *req);
void wards_groups_create(struct sk_request *req);
void wards_admin_list(struct sk_request *req);
void wards_update(struct sk_request *req);
void wards_groups_update(struct sk_request *req);

/* r_admin.c */
void admin_roles_grant(struct sk_request *req);
void admin_roles_revoke(struct sk_request *req);
void admin_audit_list(struct sk_request *req);
void admin_audit_csv(struct sk_request *req);
/* "{1,4}": the wards where the caller holds role (a PostgreSQL array; installation-wide grants left out). */
void role_wards(const struct sk_request *req, enum sk_role role, char *out, size_t outsz);

/* r_residents.c */
void residents_search(struct sk_request *req);
void residents_get(struct sk_request *req);



/* r_campaigns.c */
void campaigns_list(struct sk_request *req);
void campaigns_get(struct sk_request *req);
void campaigns_create(struct sk_request *req);
void campaigns_update(struct sk_request *req);
void campaigns_transition(struct sk_request *req);
/* The leader's call after it opened (issue 9): deadline extension. */
void campaigns_extend(struct sk_request *req);
/* "{1,4}": the wards where the caller holds the leader role (a PostgreSQL array). */
void leader_wards(const struct sk_request *req, char *out, size_t outsz);

/* r_proposals.c */
void proposals_create(struct sk_request *req);
void proposals_search(struct sk_request *req);
void proposals_export_csv(struct sk_request *req);
void proposals_get(struct sk_request *req);
void proposals_update(struct sk_request *req);
void proposals_submit(struct sk_request *req);
void proposals_withdraw(struct sk_request *req);
void proposals_mine(struct sk_request *req);
void proposals_assisted(struct sk_request *req);
void proposals_track(struct sk_request *req);

/* r_attachments.c */
void attachments_create(struct sk_request *req);
void attachments_get(struct sk_request *req);
void proposals_publicity(struct sk_request *req);
void public_photos_get(struct sk_request *req);
void wards_public_contact_put(struct sk_request *req);
void attachments_delete(struct sk_request *req);

/* r_assisted.c */
void assisted_residents_create(struct sk_request *req);

/* r_panel.c */
void panel_get(struct sk_request *req);
void panel_put(struct sk_request *req);
void assignments_create(struct sk_request *req);
void assignments_move(struct sk_request *req);
void panel_progress(struct sk_request *req);
void panel_lock(struct sk_request *req);
void score_record_get(struct sk_request *req);
void worklist_get(struct sk_request *req);
void appraisal_get(struct sk_request *req);
void review_put(struct sk_request *req);
void conflict_post(struct sk_request *req);
void assignments_get(struct sk_request *req);

/* r_results.c */
void ranking_get(struct sk_request *req);
void awards_get(struct sk_request *req);
void awards_put(struct sk_request *req);
void decision_post(struct sk_request *req);
void correction_post(struct sk_request *req);
void publish_post(struct sk_request *req);
void proposal_result_get(struct sk_request *req);

/* r_public_results.c */
void results_get(struct sk_request *req);
void results_csv(struct sk_request *req);
/* GET /results/{id}: the public page with Open Graph tags (not an API route). */
void results_page(struct sk_request *req, int64_t campaign_id);
/* r_documents.c: the minutes PDF and XLSX of a published call, the QR poster of an open or published one. */
void documents_minutes(struct sk_request *req);
void documents_xlsx(struct sk_request *req);
void documents_poster(struct sk_request *req);

/* r_leader_views.c */
void panel_candidates_get(struct sk_request *req);
void decision_get(struct sk_request *req);

/* r_registry.c */
void models_list(struct sk_request *req);
void model_get(struct sk_request *req);
void adoption_post(struct sk_request *req);
void adoption_patch(struct sk_request *req);

/* r_personal.c */
void personal_export(struct sk_request *req);
void personal_delete(struct sk_request *req);

/* Shared views (r_accounts.c) */

/*
 * The public view of account id with its roles, or NULL with *st set when it
 * cannot be read. Never includes the password hash.
 */
json_t *account_view(struct sk_dbconn *db, int64_t id, enum sk_db_status *st);

/*
 * What an administrator may see of an account view: everything for the installation administrator.
 * An administrator of some wards only sees the roles held in those wards, and no account that holds
 * none (false: answer as if it did not exist). Edits view in place.
 */
bool account_view_scope(const struct sk_request *req, json_t *view);
#endif
