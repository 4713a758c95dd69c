/* The route table: method, path, who may call it, whether it takes a JSON body, handler. */
#include "http/handlers.h"
#include "http/router.h"

const struct sk_route sk_routes[] = {
	{ "GET", "/api/v1/health", SK_PUBLIC, SK_BODY_NONE, system_health },
	{ "GET", "/api/v1/version", SK_PUBLIC, SK_BODY_NONE, system_version },

	{ "POST", "/api/v1/accounts", SK_PUBLIC, SK_BODY_JSON, accounts_create },
	{ "GET", "/api/v1/me", SK_SIGNED_IN, SK_BODY_NONE, accounts_me },
	{ "POST", "/api/v1/accounts/{id}/setup-code", SK_SIGNED_IN, SK_BODY_NONE, setup_codes_issue },
	{ "POST", "/api/v1/accounts/password-setup", SK_PUBLIC, SK_BODY_JSON, setup_codes_redeem },

	{ "POST", "/api/v1/sessions", SK_PUBLIC, SK_BODY_JSON, sessions_create },
	{ "DELETE", "/api/v1/sessions/current", SK_SIGNED_IN, SK_BODY_NONE, sessions_delete_current },

	{ "GET", "/api/v1/wards", SK_PUBLIC, SK_BODY_NONE, wards_list },

	{ "POST", "/api/v1/admin/wards", SK_SIGNED_IN, SK_BODY_JSON, wards_create },
	{ "POST", "/api/v1/admin/wards/{ward_id}/groups", SK_SIGNED_IN, SK_BODY_JSON, wards_groups_create },
	{ "POST", "/api/v1/admin/roles", SK_SIGNED_IN, SK_BODY_JSON, admin_roles_grant },
	{ "DELETE", "/api/v1/admin/roles", SK_SIGNED_IN, SK_BODY_JSON, admin_roles_revoke },
	{ "GET", "/api/v1/admin/accounts", SK_SIGNED_IN, SK_BODY_NONE, accounts_admin_lookup },
	{ "GET", "/api/v1/admin/audit", SK_SIGNED_IN, SK_BODY_NONE, admin_audit_list },

	/* Administration in the browser and the leader's find-a-resident (issue 9). */
	{ "GET", "/api/v1/admin/wards", SK_SIGNED_IN, SK_BODY_NONE, wards_admin_list },
	{ "PATCH", "/api/v1/admin/wards/{ward_id}", SK_SIGNED_IN, SK_BODY_JSON, wards_update },
	{ "PATCH", "/api/v1/admin/groups/{group_id}", SK_SIGNED_IN, SK_BODY_JSON, wards_groups_update },
	{ "POST", "/api/v1/admin/accounts", SK_SIGNED_IN, SK_BODY_JSON, accounts_admin_create },
	{ "GET", "/api/v1/admin/accounts/{id}", SK_SIGNED_IN, SK_BODY_NONE, accounts_admin_get },
	{ "GET", "/api/v1/admin/audit.csv", SK_SIGNED_IN, SK_BODY_NONE, admin_audit_csv },
	{ "GET", "/api/v1/wards/{ward_id}/residents", SK_SIGNED_IN, SK_BODY_NONE, residents_search },
	{ "GET", "/api/v1/wards/{ward_id}/residents/{id}", SK_SIGNED_IN, SK_BODY_NONE, residents_get },

	{ "GET", "/api/v1/campaigns", SK_PUBLIC, SK_BODY_NONE, campaigns_list },
	{ "GET", "/api/v1/campaigns/{id}", SK_PUBLIC, SK_BODY_NONE, campaigns_get },
	{ "POST", "/api/v1/wards/{ward_id}/campaigns", SK_SIGNED_IN, SK_BODY_JSON, campaigns_create },
	{ "PATCH", "/api/v1/campaigns/{id}", SK_SIGNED_IN, SK_BODY_JSON, campaigns_update },
	{ "POST", "/api/v1/campaigns/{id}/transitions", SK_SIGNED_IN, SK_BODY_JSON, campaigns_transition },
	/* The leader's call after it opened (issue 9). */
	{ "POST", "/api/v1/campaigns/{id}/deadline", SK_SIGNED_IN, SK_BODY_JSON, campaigns_extend },

	{ "POST", "/api/v1/campaigns/{id}/proposals", SK_SIGNED_IN, SK_BODY_JSON, proposals_create },
	{ "GET", "/api/v1/campaigns/{id}/proposals", SK_SIGNED_IN, SK_BODY_NONE, proposals_search },
	{ "GET", "/api/v1/campaigns/{id}/proposals.csv", SK_SIGNED_IN, SK_BODY_NONE, proposals_export_csv },
	{ "GET", "/api/v1/proposals/{id}", SK_SIGNED_IN, SK_BODY_NONE, proposals_get },
	{ "PATCH", "/api/v1/proposals/{id}", SK_SIGNED_IN, SK_BODY_JSON, proposals_update },
	{ "POST", "/api/v1/proposals/{id}/submit", SK_SIGNED_IN, SK_BODY_NONE, proposals_submit },
	{ "POST", "/api/v1/proposals/{id}/withdraw", SK_SIGNED_IN, SK_BODY_NONE, proposals_withdraw },
	{ "GET", "/api/v1/me/proposals", SK_SIGNED_IN, SK_BODY_NONE, proposals_mine },
	{ "GET", "/api/v1/me/assisted", SK_SIGNED_IN, SK_BODY_NONE, proposals_assisted },
	/* Notices (issue 13): the caller's own only. */
	{ "GET", "/api/v1/me/notifications", SK_SIGNED_IN, SK_BODY_NONE, notifications_list },
	{ "POST", "/api/v1/me/notifications/read", SK_SIGNED_IN, SK_BODY_JSON, notifications_read },
	{ "GET", "/api/v1/me/notification-settings", SK_SIGNED_IN, SK_BODY_NONE, notification_settings_get },
	{ "PUT", "/api/v1/me/notification-settings", SK_SIGNED_IN, SK_BODY_JSON, notification_settings_put },
	{ "GET", "/api/v1/track/{code}", SK_PUBLIC, SK_BODY_NONE, proposals_track },
	{ "POST", "/api/v1/proposals/{id}/attachments", SK_SIGNED_IN, SK_BODY_UPLOAD, attachments_create },
	{ "GET", "/api/v1/attachments/{id}", SK_SIGNED_IN, SK_BODY_NONE, attachments_get },
	{ "DELETE", "/api/v1/attachments/{id}", SK_SIGNED_IN, SK_BODY_NONE, attachments_delete },
	/* Publication consents and the public photos of winners (issue 11, sql/026). */
	{ "PUT", "/api/v1/proposals/{id}/publicity", SK_SIGNED_IN, SK_BODY_JSON, proposals_publicity },
	{ "GET", "/api/v1/public/photos/{name}", SK_PUBLIC, SK_BODY_NONE, public_photos_get },
	{ "PUT", "/api/v1/wards/{ward_id}/public-contact", SK_SIGNED_IN, SK_BODY_JSON, wards_public_contact_put },
	{ "POST", "/api/v1/wards/{ward_id}/assisted-residents", SK_SIGNED_IN, SK_BODY_JSON, assisted_residents_create },

	{ "GET", "/api/v1/campaigns/{id}/panel", SK_SIGNED_IN, SK_BODY_NONE, panel_get },
	{ "GET", "/api/v1/campaigns/{id}/panel/candidates", SK_SIGNED_IN, SK_BODY_NONE, panel_candidates_get },
	{ "PUT", "/api/v1/campaigns/{id}/panel", SK_SIGNED_IN, SK_BODY_JSON, panel_put },
	{ "POST", "/api/v1/campaigns/{id}/assignments", SK_SIGNED_IN, SK_BODY_JSON, assignments_create },
	{ "POST", "/api/v1/campaigns/{id}/assignments/move", SK_SIGNED_IN, SK_BODY_JSON, assignments_move },
	{ "GET", "/api/v1/campaigns/{id}/assignments", SK_SIGNED_IN, SK_BODY_NONE, assignments_get },
	{ "GET", "/api/v1/campaigns/{id}/progress", SK_SIGNED_IN, SK_BODY_NONE, panel_progress },
	{ "POST", "/api/v1/campaigns/{id}/panel/lock", SK_SIGNED_IN, SK_BODY_JSON, panel_lock },
	{ "GET", "/api/v1/campaigns/{id}/score-record", SK_SIGNED_IN, SK_BODY_NONE, score_record_get },
	{ "GET", "/api/v1/campaigns/{id}/worklist", SK_SIGNED_IN, SK_BODY_NONE, worklist_get },
	{ "GET", "/api/v1/proposals/{id}/appraisal", SK_SIGNED_IN, SK_BODY_NONE, appraisal_get },
	{ "PUT", "/api/v1/proposals/{id}/review", SK_SIGNED_IN, SK_BODY_JSON, review_put },
	{ "POST", "/api/v1/proposals/{id}/conflict", SK_SIGNED_IN, SK_BODY_JSON, conflict_post },

	{ "GET", "/api/v1/campaigns/{id}/awards", SK_PUBLIC, SK_BODY_NONE, awards_get },
	{ "PUT", "/api/v1/campaigns/{id}/awards", SK_SIGNED_IN, SK_BODY_JSON, awards_put },
	{ "GET", "/api/v1/campaigns/{id}/ranking", SK_SIGNED_IN, SK_BODY_NONE, ranking_get },
	{ "GET", "/api/v1/campaigns/{id}/decision", SK_SIGNED_IN, SK_BODY_NONE, decision_get },
	{ "POST", "/api/v1/campaigns/{id}/decision", SK_SIGNED_IN, SK_BODY_JSON, decision_post },
	{ "POST", "/api/v1/campaigns/{id}/publish", SK_SIGNED_IN, SK_BODY_JSON, publish_post },
	{ "POST", "/api/v1/campaigns/{id}/corrections", SK_SIGNED_IN, SK_BODY_JSON, correction_post },
	{ "GET", "/api/v1/campaigns/{id}/results", SK_PUBLIC, SK_BODY_NONE, results_get },
	{ "GET", "/api/v1/campaigns/{id}/results.csv", SK_PUBLIC, SK_BODY_NONE, results_csv },
	/* Documents (r_documents.c): rendered once per publication or change of the call. */
	{ "GET", "/api/v1/campaigns/{id}/minutes.pdf", SK_PUBLIC, SK_BODY_NONE, documents_minutes },
	{ "GET", "/api/v1/campaigns/{id}/results.xlsx", SK_PUBLIC, SK_BODY_NONE, documents_xlsx },
	{ "GET", "/api/v1/campaigns/{id}/poster.pdf", SK_PUBLIC, SK_BODY_NONE, documents_poster },
	{ "GET", "/api/v1/proposals/{id}/result", SK_SIGNED_IN, SK_BODY_NONE, proposal_result_get },
	{ "GET", "/api/v1/models", SK_PUBLIC, SK_BODY_NONE, models_list },
	{ "GET", "/api/v1/models/{id}", SK_PUBLIC, SK_BODY_NONE, model_get },
	{ "POST", "/api/v1/models/{id}/adoptions", SK_SIGNED_IN, SK_BODY_JSON, adoption_post },
	{ "PATCH", "/api/v1/adoptions/{id}", SK_SIGNED_IN, SK_BODY_JSON, adoption_patch },

	{ "GET", "/api/v1/me/export", SK_SIGNED_IN, SK_BODY_NONE, personal_export },
	{ "DELETE", "/api/v1/me", SK_SIGNED_IN, SK_BODY_JSON, personal_delete },
};

const size_t sk_nroutes = sizeof sk_routes / sizeof sk_routes[0];
