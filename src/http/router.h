/* The route table: the one place that says who may call what. */
#ifndef SK_HTTP_ROUTER_H
#define SK_HTTP_ROUTER_H

#include "http/server.h"

enum sk_access {
	SK_PUBLIC,    /* anyone; a session is loaded if one is presented */
	SK_SIGNED_IN, /* any live session; the handler checks role and ward */
};

typedef void (*sk_handler)(struct sk_request *req);

enum sk_body {
	SK_BODY_NONE,   /* no body accepted */
	SK_BODY_JSON,   /* a JSON object, Content-Type application/json, at most SANGKIEN_MAX_BODY */
	SK_BODY_UPLOAD, /* a file as the raw body, at most SANGKIEN_MAX_UPLOAD; the handler checks its type */
};

struct sk_route {
	const char *method;
	const char *pattern; /* "/api/v1/wards/{id}/groups": {x} matches one segment */
	enum sk_access access;
	enum sk_body body;
	sk_handler handler;
};

extern const struct sk_route sk_routes[];
extern const size_t sk_nroutes;

enum sk_match { SK_MATCH_NONE, SK_MATCH_METHOD, SK_MATCH_OK };

/*
 * Finds the route for method and path. On SK_MATCH_OK *route is set and the
 * path's {x} segments are copied into params. On SK_MATCH_METHOD the path exists
 * under other methods, listed in allow ("GET, POST").
 */
enum sk_match sk_route_find(const char *method, const char *path, const struct sk_route **route,
			    char params[SK_MAX_PARAMS][64], int *nparams, char *allow, size_t allowsz);

#endif
