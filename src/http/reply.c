#include "http/reply.h"

#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
			  "object-src 'none'; base-uri 'none'; form-action 'self'; "
			  "frame-ancestors 'none'";

void sk_reply_header(struct sk_request *req, const char *name, const char *value)
{
	if (req->nextra >= SK_MAX_EXTRA_HEADERS)
		return;
	req->extra_headers[req->nextra][0] = strdup(name);
	req->extra_headers[req->nextra][1] = strdup(value);
	req->nextra++;
}

void sk_reply_queue(struct sk_request *req, unsigned status, struct MHD_Response *resp)
{
	if (req->replied) {
		sk_error("req=%s replied twice (%u then %u)", req->id, req->status, status);
		MHD_destroy_response(resp);
		return;
	}
	/*
	 * Not on a 304: it has no body, and the browser keeps the headers of the response it stored
	 * (RFC 9111, 4.3.4: a 304 only updates the headers it carries), so the policy stays in force.
	 * They were 450 of a 304's 650 bytes, and a repeat visit to a page is mostly 304s (issue 11:
	 * proposal.html with three photos, 14.8 KB -> 8.1 KB, docs/performance.md).
	 */
	if (status != 304) {
		MHD_add_response_header(resp, "Content-Security-Policy", csp);
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
		MHD_add_response_header(resp, "Permissions-Policy", "camera=(self), geolocation=(), microphone=()");
	}
	MHD_add_response_header(resp, "X-Request-Id", req->id);
	for (int i = 0; i < req->nextra; i++)
		MHD_add_response_header(resp, req->extra_headers[i][0], req->extra_headers[i][1]);
	enum MHD_Result queued = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (queued != MHD_YES) {
		/* libmicrohttpd refuses a reply while a chunked body is still arriving: the server
		 * answers again when the body ends (see on_request). */
		req->queue_failed = true;
		return;
	}
	req->replied = true;
	req->status = status;
	if (status != 503 && req->db != NULL)
		sk_log_db_answered(); /* served with the database: ends an outage the 503s logged */
}

void sk_reply_json(struct sk_request *req, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(body);
	if (text == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be encoded.");
		return;
	}
	sk_reply_json_text(req, status, text, strlen(text));
}

void sk_reply_json_text(struct sk_request *req, unsigned status, char *text, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	sk_reply_queue(req, status, resp);
}

void sk_reply_json_member(struct sk_request *req, unsigned status, const char *key, const char *json)
{
	size_t klen = strlen(key), jlen = strlen(json);
	char *text = malloc(klen + jlen + 6);
	if (text == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be encoded.");
		return;
	}
	size_t n = 0;
	text[n++] = '{';
	text[n++] = '"';
	memcpy(text + n, key, klen);
	n += klen;
	text[n++] = '"';
	text[n++] = ':';
	/* Copied without the blanks between tokens (PostgreSQL writes "a": 1, "b": 2): the same
	 * bytes as a compact json_dumps. Inside strings everything is kept, escapes included. */
	bool in_string = false;
	for (const char *p = json; *p; p++) {
		char ch = *p;
		if (in_string) {
			text[n++] = ch;
			if (ch == '\\' && p[1] != '\0')
				text[n++] = *++p;
			else if (ch == '"')
				in_string = false;
		} else if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') {
			in_string = ch == '"';
			text[n++] = ch;
		}
	}
	text[n++] = '}';
	sk_reply_json_text(req, status, text, n);
}

void sk_reply_error(struct sk_request *req, unsigned status, const char *code, const char *field,
		    const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	json_t *err = json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message", message,
				"field", field);
	sk_reply_json(req, status, err);
}

void sk_reply_empty(struct sk_request *req, unsigned status)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	sk_reply_queue(req, status, resp);
}

void sk_reply_db_error(struct sk_request *req, enum sk_db_status st)
{
	if (st == SK_DB_UNAVAILABLE) {
		sk_log_db_refused(req->id); /* one line per outage, not per request */
		sk_reply_header(req, "Retry-After", "5");
		sk_reply_error(req, 503, "database_unavailable", NULL,
			       "The database is not answering. Please try again in a moment.");
		return;
	}
	if (req->db)
		sk_error("req=%s database error %d: %s", req->id, (int)st, sk_db_last_error(req->db));
	sk_reply_error(req, 500, "internal", NULL,
		       "Something went wrong on the server. The request id is %s.", req->id);
}

bool sk_if_none_match(const struct sk_request *req, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm == NULL)
		return false;
	size_t elen = strlen(etag);
	for (const char *p = inm; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"') {
			while (*p && *p != ',')
				p++;
			continue;
		}
		const char *close = strchr(p + 1, '"');
		if (close == NULL)
			return false;
		if ((size_t)(close + 1 - p) == elen && memcmp(p, etag, elen) == 0)
			return true;
		p = close + 1;
	}
	return false;
}
