#include "domain/roles.h"

#include <stddef.h>
#include <string.h>

static const char *const names[] = {
	[SK_ROLE_RESIDENT] = "resident", [SK_ROLE_VOLUNTEER] = "volunteer",
	[SK_ROLE_PANELIST] = "panelist", [SK_ROLE_LEADER] = "leader",
	[SK_ROLE_ADMIN] = "admin",
};

const char *sk_role_name(enum sk_role role)
{
	if (role <= SK_ROLE_NONE || role > SK_ROLE_ADMIN)
		return NULL;
	return names[role];
}

enum sk_role sk_role_parse(const char *s)
{
	if (s == NULL)
		return SK_ROLE_NONE;
	for (int r = SK_ROLE_RESIDENT; r <= SK_ROLE_ADMIN; r++)
		if (strcmp(s, names[r]) == 0)
			return (enum sk_role)r;
	return SK_ROLE_NONE;
}
