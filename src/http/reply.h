/* Every reply: JSON bodies, the one error shape, and the headers every reply carries. */
#ifndef SK_HTTP_REPLY_H
#define SK_HTTP_REPLY_H

#include "http/server.h"

/* Replies status with body (a JSON value this call takes ownership of). */
void sk_reply_json(struct sk_request *req, unsigned status, json_t *body);

/* Replies status with len bytes of JSON text (malloc'ed; this call takes ownership of it). */
void sk_reply_json_text(struct sk_request *req, unsigned status, char *text, size_t len);

/*
 * Replies status with {"key":json}, where json is a JSON text the caller vouches for (a value
 * PostgreSQL wrote, such as jsonb::text), spliced in without being parsed; only the white
 * space between its tokens is dropped. key needs no escaping. The caller keeps json.
 */
void sk_reply_json_member(struct sk_request *req, unsigned status, const char *key, const char *json);

/*
 * Replies {"error":{"code","message","field"}}. field may be NULL. The message
 * is for a person: say what is wrong and, when useful, what to do.
 */
void sk_reply_error(struct sk_request *req, unsigned status, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Replies with no body (204, 304). */
void sk_reply_empty(struct sk_request *req, unsigned status);

/* Maps a database failure to 503 (unreachable) or 500 (anything else). */
void sk_reply_db_error(struct sk_request *req, enum sk_db_status st);

/* Adds a header to the reply about to be sent (copied). */
void sk_reply_header(struct sk_request *req, const char *name, const char *value);

/* Whether the request's If-None-Match names etag (weak comparison, RFC 9110 13.1.2; etag is the quoted
 * tag as sent in ETag) or is "*": the caller then answers 304. Unparsable members are skipped. */
bool sk_if_none_match(const struct sk_request *req, const char *etag);

/* Queues resp with the common headers and any added ones; takes resp. */
void sk_reply_queue(struct sk_request *req, unsigned status, struct MHD_Response *resp);

#endif
