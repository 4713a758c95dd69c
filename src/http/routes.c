/* The route table: method, path, who may call it, whether it takes a JSON body, handler. */
#include "http/handlers.h"
#include "http/router.h"

const struct sk_route sk_routes[] = {
	{ "GET", "/api/v1/health", SK_PUBLIC, false, system_health },
	{ "GET", "/api/v1/version", SK_PUBLIC, false, system_version },

	{ "POST", "/api/v1/accounts", SK_PUBLIC, true, accounts_create },
	{ "GET", "/api/v1/me", SK_SIGNED_IN, false, accounts_me },

	{ "POST", "/api/v1/sessions", SK_PUBLIC, true, sessions_create },
	{ "DELETE", "/api/v1/sessions/current", SK_SIGNED_IN, false, sessions_delete_current },

	{ "GET", "/api/v1/wards", SK_PUBLIC, false, wards_list },

	{ "POST", "/api/v1/admin/wards", SK_SIGNED_IN, true, wards_create },
	{ "POST", "/api/v1/admin/wards/{ward_id}/groups", SK_SIGNED_IN, true, wards_groups_create },
	{ "POST", "/api/v1/admin/roles", SK_SIGNED_IN, true, admin_roles_grant },
	{ "DELETE", "/api/v1/admin/roles", SK_SIGNED_IN, true, admin_roles_revoke },
	{ "GET", "/api/v1/admin/accounts", SK_SIGNED_IN, false, accounts_admin_lookup },
	{ "GET", "/api/v1/admin/audit", SK_SIGNED_IN, false, admin_audit_list },
};

const size_t sk_nroutes = sizeof sk_routes / sizeof sk_routes[0];
