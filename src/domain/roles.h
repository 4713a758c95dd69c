/* The roles a person can hold in a ward. */
#ifndef SK_DOMAIN_ROLES_H
#define SK_DOMAIN_ROLES_H

enum sk_role {
	SK_ROLE_NONE = 0,
	SK_ROLE_RESIDENT,
	SK_ROLE_VOLUNTEER,
	SK_ROLE_PANELIST,
	SK_ROLE_LEADER,
	SK_ROLE_ADMIN,
};

/* "resident", "volunteer", ...; NULL for SK_ROLE_NONE or an unknown value. */
const char *sk_role_name(enum sk_role role);

/* The role named s, or SK_ROLE_NONE. */
enum sk_role sk_role_parse(const char *s);

#endif
