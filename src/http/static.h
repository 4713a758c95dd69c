/* Static files of frontend/: MIME types, content ETags, gzip, and no way out of the folder. */
#ifndef SK_HTTP_STATIC_H
#define SK_HTTP_STATIC_H

#include "http/server.h"

/* Serves the file named by req->url (GET or HEAD), or replies 404/405 JSON. */
void sk_static_serve(struct sk_request *req);

/* The MIME type for a file name, by its extension. */
const char *sk_static_mime(const char *name);

/* Whether the request takes gzip by its Accept-Encoding (RFC 9110 12.5.3); in r_public_results.c. */
bool sk_wants_gzip(struct sk_request *req);

#endif
