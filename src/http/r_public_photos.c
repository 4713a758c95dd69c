/*
 * GET /public/photos/{id}-{hash}.webp?size=320|1024: the photos of published winners whose author
 * consented (sql/026 proposal_photos_public), without a session, cacheable by anyone for a year.
 * hash is the first 32 hex digits of the stored photo's SHA-256, so the address names the bytes and
 * never has to change. Anything else (no consent, not a winner, unpublished, a PDF, a withdrawn
 * proposal, an award taken away, a wrong hash or size, an unknown id) answers the same 404.
 */
#include "db/proposals.h"
#include "http/handlers.h"
#include "http/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SK_PUBLIC_PHOTO_CACHE_CONTROL "public, max-age=31536000, immutable"

/* Parses "<id>-<32 lower-case hex>.webp" into *id and hash; false for anything else. */
static bool photo_name_parse(const char *name, int64_t *id, char hash[33])
{
	size_t digits = strspn(name, "0123456789");
	if (digits == 0 || digits > 18 || name[0] == '0' || name[digits] != '-')
		return false;
	const char *h = name + digits + 1;
	if (strspn(h, "0123456789abcdef") != 32 || strcmp(h + 32, ".webp") != 0)
		return false;
	*id = strtoll(name, NULL, 10);
	memcpy(hash, h, 32);
	hash[32] = '\0';
	return true;
}

static void not_found(struct sk_request *req)
{
	sk_reply_error(req, 404, "not_found", NULL, "There is no such photo.");
}

void public_photos_get(struct sk_request *req)
{
	const char *size = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "size");
	int side = size == NULL ? 0 : !strcmp(size, "320") ? 320 : !strcmp(size, "1024") ? 1024 : 0;
	int64_t id;
	char hash[33];
	if (side == 0 || !photo_name_parse(req->params[0], &id, hash)) {
		not_found(req);
		return;
	}
	if (sk_req_db_or_reply(req) == NULL)
		return;
	PGresult *r = NULL;
	enum sk_db_status st = sk_db_public_photo_get(req->db, id, side, hash, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		not_found(req);
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	char etag[70];
	snprintf(etag, sizeof etag, "\"%.*s\"", PQgetlength(r, 0, 1) < 64 ? PQgetlength(r, 0, 1) : 64, PQgetvalue(r, 0, 1));
	struct MHD_Response *resp;
	unsigned status;
	if (sk_if_none_match(req, etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		status = 200;
		size_t len = (size_t)PQgetlength(r, 0, 0);
		void *copy = malloc(len ? len : 1);
		if (copy)
			memcpy(copy, PQgetvalue(r, 0, 0), len);
		resp = copy ? MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE) : NULL;
		if (resp == NULL)
			free(copy);
		else
			MHD_add_response_header(resp, "Content-Type", "image/webp");
	}
	PQclear(r);
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", SK_PUBLIC_PHOTO_CACHE_CONTROL);
	sk_reply_queue(req, status, resp);
}
