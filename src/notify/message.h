/*
 * What goes on the wire for a notice: the RFC 5322 email and the JSON request of an SMS or Zalo
 * gateway with its HMAC-SHA256 signature (docs/operations.md describes both). No I/O here.
 */
#ifndef SK_NOTIFY_MESSAGE_H
#define SK_NOTIFY_MESSAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The email of a notice: headers (From, To, Subject encoded per RFC 2047 when not plain ASCII,
 * Date in +0700, Message-ID <idempotency_key@domain of from>, MIME-Version, Content-Type
 * text/plain; charset=utf-8, Content-Transfer-Encoding base64, Auto-Submitted: auto-generated),
 * then the body in base64 lines of 76 characters, CRLF line ends. from and to are bare addresses
 * (no CR, LF, '<' or '>'; checked). A new string the caller frees; NULL when an address is
 * unfit or memory runs out.
 */
char *sk_mail_compose(const char *from, const char *to, const char *subject, const char *body,
		      const char *idempotency_key, int64_t date);

/* The subject as RFC 2047 encoded words (=?UTF-8?B?…?=, each at most 75 characters, folded), or
 * a copy when it is printable ASCII. New string, caller frees; NULL when memory runs out. */
char *sk_mail_subject(const char *subject);

/*
 * The JSON body of a gateway request (compact, UTF-8). channel "sms": {idempotency_key, channel,
 * to, event, lang, text, created_at}; "zalo": the same plus title, link (absolute URL or null)
 * and template_data (the notice's facts). created_at is Unix seconds, formatted as ISO UTC. New
 * string, caller frees; NULL when memory runs out.
 */
char *sk_gateway_body(const char *channel, const char *idempotency_key, const char *to, const char *event,
		      const char *lang, const char *title, const char *text, const char *link, const json_t *facts,
		      int64_t created_at);

/*
 * The signature header value: "sha256=" + lower-case hex of HMAC-SHA256 with key secret over
 * "<timestamp>.<body>". out must hold 72 bytes.
 */
void sk_gateway_sign(const unsigned char *secret, size_t secret_len, int64_t timestamp, const char *body,
		     size_t body_len, char out[72]);

#endif
