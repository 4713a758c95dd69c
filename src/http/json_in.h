/* Declarative JSON input: describe the fields, the parser replies 400 itself. */
#ifndef SK_HTTP_JSON_IN_H
#define SK_HTTP_JSON_IN_H

#include "domain/text.h"
#include "http/server.h"

enum sk_field_kind { SK_FIELD_STRING, SK_FIELD_INT, SK_FIELD_BOOL, SK_FIELD_ARRAY, SK_FIELD_OBJECT };

struct sk_field {
	const char *name;
	enum sk_field_kind kind;
	bool optional;
	void *out;          /* const char ** (owned by the request), int64_t *, bool *, json_t ** (borrowed) */
	long long min, max; /* code points for strings, value for integers */
	int text_flags;     /* SK_TEXT_* for strings */
	bool *present;      /* set to whether an optional field was given; may be NULL */
};

#define SK_STRING(n, o, mi, ma) { n, SK_FIELD_STRING, false, o, mi, ma, SK_TEXT_SINGLE_LINE, NULL }
#define SK_STRING_OPT(n, o, mi, ma, p) { n, SK_FIELD_STRING, true, o, mi, ma, SK_TEXT_SINGLE_LINE, p }
#define SK_TEXT(n, o, mi, ma) { n, SK_FIELD_STRING, false, o, mi, ma, SK_TEXT_MULTI_LINE, NULL }
#define SK_TEXT_OPT(n, o, mi, ma, p) { n, SK_FIELD_STRING, true, o, mi, ma, SK_TEXT_MULTI_LINE, p }
#define SK_SECRET(n, o, mi, ma) { n, SK_FIELD_STRING, false, o, mi, ma, SK_TEXT_KEEP_SPACE, NULL }
#define SK_INT(n, o, mi, ma) { n, SK_FIELD_INT, false, o, mi, ma, 0, NULL }
#define SK_INT_OPT(n, o, mi, ma, p) { n, SK_FIELD_INT, true, o, mi, ma, 0, p }
#define SK_BOOL(n, o) { n, SK_FIELD_BOOL, false, o, 0, 1, 0, NULL }
#define SK_BOOL_OPT(n, o, p) { n, SK_FIELD_BOOL, true, o, 0, 1, 0, p }
#define SK_ARRAY_OPT(n, o, p) { n, SK_FIELD_ARRAY, true, o, 0, 0, 0, p }
#define SK_OBJECT_OPT(n, o, p) { n, SK_FIELD_OBJECT, true, o, 0, 0, 0, p }
#define SK_END { NULL, SK_FIELD_STRING, false, NULL, 0, 0, 0, NULL }

/*
 * Parses the request body (a JSON object: duplicate keys, invalid UTF-8, NUL
 * and nesting deeper than the configured limit are refused) and fills the
 * fields: strings are NFC-normalised, trimmed (but secrets) and length-checked
 * in code points; unknown keys are refused. On failure replies 400 with
 * invalid_json or invalid_field and returns false.
 */
bool sk_json_parse(struct sk_request *req, const struct sk_field *fields);

/*
 * Cleans one string value the way sk_json_parse does (NFC, trimmed, min..max code points), naming it
 * `name` in the error it replies. Returns the cleaned string (owned by req) or NULL after replying 400.
 */
const char *sk_json_text(struct sk_request *req, json_t *v, const char *name, size_t min, size_t max, int flags);

/* Parses the body into req->json only (an object), replying 400 on failure. */
bool sk_json_body(struct sk_request *req);

#endif
