/*
 * Fuzz target: the JSON body reader and the declarative field specs (src/http/json_in.c,
 * compiled as it is, with reply_stub.c for the two server functions it calls). The first input
 * byte picks one of the field specs below (copied from the handlers), the rest is the body.
 * Invariants:
 *  - a refusal is exactly one reply, 400 with invalid_json or invalid_field; invalid_field
 *    names a key of the body or a field of the spec;
 *  - an acceptance fills every required field, with the type asked; every string is valid
 *    NFC UTF-8 without NUL, within its code point bounds, without control characters (but \n and
 *    \t in multi-line text), trimmed unless it is a secret; every integer within its bounds;
 *  - the elements of a list, cleaned with sk_json_text as the tags of a proposal are, obey the
 *    same rules or are refused with one 400 invalid_field naming the list;
 *  - parsing the same body again gives the same answer.
 */
#include "fuzz.h"
#include "http/json_in.h"

#include <string.h>
#include <uninorm.h>

extern char fuzz_reply_code[64];
extern char *fuzz_reply_field;

struct values {
	const char *s[8];
	int64_t i[8];
	bool b[8];
	json_t *j[8];
	bool present[8];
};

/* The specs: {kind of spec} built over v. */
static void spec(int which, struct values *v, struct sk_field *out)
{
	const struct sk_field specs[][10] = {
		{ /* POST /api/v1/accounts */
		  SK_STRING("login", &v->s[0], 3, 64), SK_SECRET("password", &v->s[1], 10, 256),
		  SK_STRING("display_name", &v->s[2], 1, 100), SK_INT("ward_id", &v->i[0], 1, INT64_MAX),
		  SK_INT_OPT("group_id", &v->i[1], 1, INT64_MAX, &v->present[0]), SK_END },
		{ /* PATCH a proposal */
		  SK_INT_OPT("group_id", &v->i[0], 1, INT64_MAX, &v->present[0]),
		  SK_STRING_OPT("title", &v->s[0], 1, 200, &v->present[1]),
		  SK_TEXT_OPT("summary", &v->s[1], 0, 1000, &v->present[2]),
		  SK_TEXT_OPT("problem", &v->s[2], 0, 4000, &v->present[3]),
		  SK_INT_OPT("households", &v->i[1], 0, 1000000, &v->present[4]),
		  SK_ARRAY_OPT("tags", &v->j[0], &v->present[5]), SK_END },
		{ /* PUT a review */
		  SK_ARRAY_OPT("scores", &v->j[0], &v->present[0]),
		  SK_TEXT_OPT("overall_comment", &v->s[0], 0, 4000, &v->present[1]),
		  SK_INT("version", &v->i[0], 0, INT32_MAX), SK_BOOL_OPT("submit", &v->b[0], &v->present[2]),
		  SK_TEXT_OPT("reason", &v->s[1], 1, 1000, &v->present[3]), SK_END },
		{ /* PATCH a call */
		  SK_STRING("title", &v->s[0], 1, 200), SK_TEXT_OPT("rules", &v->s[1], 0, 20000, &v->present[0]),
		  SK_BOOL_OPT("blind_review", &v->b[0], &v->present[1]),
		  SK_INT_OPT("reviews_required", &v->i[0], 1, 50, &v->present[2]),
		  SK_OBJECT_OPT("extra", &v->j[0], &v->present[3]), SK_END },
		{ /* a password alone */
		  SK_SECRET("password", &v->s[0], 1, 256), SK_END },
	};
	size_t n = sizeof specs / sizeof *specs;
	memcpy(out, specs[(size_t)which % n], sizeof specs[0]);
}

static bool is_field_of(const struct sk_field *f, const char *name)
{
	for (; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return true;
	return false;
}

static void check_string(const struct sk_field *f, const char *s)
{
	FUZZ_CHECK(s != NULL, "'%s' accepted but not filled", f->name);
	size_t len = strlen(s);
	FUZZ_CHECK(sk_text_valid_utf8(s, len), "'%s' is not UTF-8", f->name);
	size_t points = sk_text_codepoints(s);
	FUZZ_CHECK((long long)points >= f->min && (long long)points <= f->max, "'%s' has %zu code points, not %lld..%lld",
		   f->name, points, f->min, f->max);
	bool multi = f->text_flags & SK_TEXT_MULTI_LINE, keep = f->text_flags & SK_TEXT_KEEP_SPACE;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			FUZZ_CHECK(multi && (c == '\n' || c == '\t'), "'%s' holds the control character 0x%02x", f->name,
				   c);
	}
	if (len > 0) {
		size_t nfc_len = 0;
		uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nfc_len);
		FUZZ_CHECK(nfc != NULL && nfc_len == len && memcmp(nfc, s, len) == 0, "'%s' is not NFC", f->name);
		free(nfc);
	}
	if (!keep && len > 0) {
		FUZZ_CHECK(s[0] != ' ' && s[len - 1] != ' ' && s[0] != '\n' && s[len - 1] != '\n' && s[0] != '\t' &&
				   s[len - 1] != '\t',
			   "'%s' is not trimmed", f->name);
	}
}

/* One parse; returns a summary ("ok" or "code field") for the comparison of two runs. */
static void parse_once(int which, const uint8_t *body, size_t len, char *summary, size_t cap)
{
	snprintf(summary, cap, "(out of memory)");
	struct sk_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.json_max_depth = 32;
	struct sk_server srv;
	memset(&srv, 0, sizeof srv);
	srv.cfg = &cfg;
	struct sk_request req;
	memset(&req, 0, sizeof req);
	req.srv = &srv;
	req.body = len ? malloc(len) : NULL;
	if (len && req.body == NULL)
		return;
	if (len)
		memcpy(req.body, body, len);
	req.body_len = len;

	struct values v;
	memset(&v, 0, sizeof v);
	struct sk_field fields[10];
	spec(which, &v, fields);
	bool ok = sk_json_parse(&req, fields);
	if (!ok) {
		FUZZ_CHECK(req.replied && req.status == 400, "refused without a 400 reply");
		FUZZ_CHECK(!strcmp(fuzz_reply_code, "invalid_json") || !strcmp(fuzz_reply_code, "invalid_field"),
			   "unexpected code %s", fuzz_reply_code);
		if (!strcmp(fuzz_reply_code, "invalid_field"))
			FUZZ_CHECK(is_field_of(fields, fuzz_reply_field) ||
					   (req.json && json_object_get(req.json, fuzz_reply_field) != NULL),
				   "invalid_field names \"%s\", neither a key nor a field", fuzz_reply_field);
		snprintf(summary, cap, "%s %s", fuzz_reply_code, fuzz_reply_field);
	} else {
		FUZZ_CHECK(!req.replied, "accepted after replying");
		FUZZ_CHECK(json_is_object(req.json), "accepted without an object");
		for (const struct sk_field *f = fields; f->name; f++) {
			json_t *j = json_object_get(req.json, f->name);
			bool given = j != NULL && !json_is_null(j);
			if (f->present)
				FUZZ_CHECK(*f->present == given, "'%s': present is wrong", f->name);
			FUZZ_CHECK(given || f->optional, "required '%s' missing yet accepted", f->name);
			if (!given)
				continue;
			switch (f->kind) {
			case SK_FIELD_STRING:
				check_string(f, *(const char **)f->out);
				break;
			case SK_FIELD_INT: {
				int64_t x = *(int64_t *)f->out;
				FUZZ_CHECK(x >= f->min && x <= f->max, "'%s' = %lld out of bounds", f->name, (long long)x);
				break;
			}
			case SK_FIELD_BOOL:
				FUZZ_CHECK(json_is_boolean(j) && *(bool *)f->out == json_is_true(j), "'%s' bool wrong", f->name);
				break;
			case SK_FIELD_ARRAY:
				FUZZ_CHECK(json_is_array(*(json_t **)f->out), "'%s' not an array", f->name);
				break;
			case SK_FIELD_OBJECT:
				FUZZ_CHECK(json_is_object(*(json_t **)f->out), "'%s' not an object", f->name);
				break;
			}
		}
		snprintf(summary, cap, "ok");
		/* Elements of a list, cleaned one by one as the proposal handler does with its tags. */
		json_t *list = NULL;
		for (const struct sk_field *f = fields; f->name; f++)
			if (f->kind == SK_FIELD_ARRAY && *f->present)
				list = *(json_t **)f->out;
		if (json_array_size(list) > 10)
			list = NULL; /* the handler refuses more than MAX_TAGS (10) before cleaning any */
		size_t i;
		json_t *elem;
		json_array_foreach(list, i, elem) {
			struct sk_field tag = SK_STRING("tags", NULL, 1, 40);
			const char *clean = sk_json_text(&req, elem, "tags", 1, 40, SK_TEXT_SINGLE_LINE);
			if (clean == NULL) {
				FUZZ_CHECK(req.replied && req.status == 400 && !strcmp(fuzz_reply_code, "invalid_field") &&
						   !strcmp(fuzz_reply_field, "tags"),
					   "a refused list element without its 400 invalid_field");
				snprintf(summary, cap, "tags %zu refused", i);
				break;
			}
			check_string(&tag, clean);
		}
	}
	json_decref(req.json);
	for (int i = 0; i < req.nowned; i++)
		free(req.owned[i]);
	free(req.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char first[1200], second[1200];
	parse_once(data[0], data + 1, size - 1, first, sizeof first);
	parse_once(data[0], data + 1, size - 1, second, sizeof second);
	FUZZ_CHECK(strcmp(first, second) == 0, "two parses of one body differ: %s / %s", first, second);
	return 0;
}
