#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern against path; copies {x} segments into params. */
static bool match(const char *pattern, const char *path, char params[SK_MAX_PARAMS][64], int *n)
{
	*n = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t len = strcspn(s, "/");
			if (close == NULL || len == 0 || len >= 64 || *n >= SK_MAX_PARAMS)
				return false;
			memcpy(params[*n], s, len);
			params[*n][len] = '\0';
			(*n)++;
			p = close + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

enum sk_match sk_route_find(const char *method, const char *path, const struct sk_route **route,
			    char params[SK_MAX_PARAMS][64], int *nparams, char *allow, size_t allowsz)
{
	enum sk_match result = SK_MATCH_NONE;
	size_t used = 0;
	allow[0] = '\0';
	char scratch[SK_MAX_PARAMS][64];
	int nscratch;
	for (size_t i = 0; i < sk_nroutes; i++) {
		const struct sk_route *r = &sk_routes[i];
		if (!match(r->pattern, path, scratch, &nscratch))
			continue;
		if (!strcmp(r->method, method)) {
			*route = r;
			memcpy(params, scratch, sizeof scratch);
			*nparams = nscratch;
			return SK_MATCH_OK;
		}
		result = SK_MATCH_METHOD;
		if (strstr(allow, r->method) == NULL && used + strlen(r->method) + 3 < allowsz)
			used += (size_t)snprintf(allow + used, allowsz - used, "%s%s", used ? ", " : "",
						 r->method);
	}
	return result;
}
