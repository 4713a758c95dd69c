#include "http/json_in.h"

#include "http/reply.h"

#include <stdlib.h>
#include <string.h>

static size_t depth_of(const json_t *v)
{
	size_t deepest = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		json_object_foreach((json_t *)v, k, child) {
			size_t d = depth_of(child);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			size_t d = depth_of(child);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	return 0;
}

bool sk_json_body(struct sk_request *req)
{
	if (req->json != NULL)
		return true;
	if (req->body_len == 0) {
		sk_reply_error(req, 400, "invalid_json", NULL, "A JSON object is required as the request body.");
		return false;
	}
	json_error_t err;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL && json_error_code(&err) == json_error_null_character) {
		/* Refused as a whole, before any field is read: no text reaches a C string cut at the NUL. */
		sk_reply_error(req, 400, "invalid_json", NULL,
			       "Text in the body may not contain a NUL character (\\u0000, at character %d).", err.position);
		return false;
	}
	if (v == NULL) {
		sk_reply_error(req, 400, "invalid_json", NULL, "The body is not valid JSON: %s (at character %d).",
			       err.text, err.position);
		return false;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		sk_reply_error(req, 400, "invalid_json", NULL, "The body must be a JSON object.");
		return false;
	}
	if (depth_of(v) > (size_t)req->srv->cfg->json_max_depth) {
		json_decref(v);
		sk_reply_error(req, 400, "invalid_json", NULL, "The JSON body is nested more than %ld levels deep.",
			       req->srv->cfg->json_max_depth);
		return false;
	}
	req->json = v;
	return true;
}

static bool fill_string(struct sk_request *req, const struct sk_field *f, json_t *v)
{
	if (!json_is_string(v)) {
		sk_reply_error(req, 400, "invalid_field", f->name, "'%s' must be text.", f->name);
		return false;
	}
	char *clean;
	enum sk_text_status st = sk_text_clean(json_string_value(v), json_string_length(v), f->text_flags,
					       (size_t)f->min, (size_t)f->max, &clean);
	if (st == SK_TEXT_TOO_SHORT && f->min <= 1) {
		sk_reply_error(req, 400, "invalid_field", f->name, "'%s' must not be empty.", f->name);
		return false;
	}
	if (st == SK_TEXT_TOO_SHORT || st == SK_TEXT_TOO_LONG) {
		sk_reply_error(req, 400, "invalid_field", f->name,
			       "'%s' must be between %lld and %lld characters long.", f->name, f->min, f->max);
		return false;
	}
	if (st != SK_TEXT_OK) {
		sk_reply_error(req, 400, "invalid_field", f->name, "'%s' %s.", f->name, sk_text_status_str(st));
		return false;
	}
	*(const char **)f->out = sk_req_own(req, clean);
	return true;
}

const char *sk_json_text(struct sk_request *req, json_t *v, const char *name, size_t min, size_t max, int flags)
{
	const char *out = NULL;
	struct sk_field f = { name, SK_FIELD_STRING, false, &out, (long long)min, (long long)max, flags, NULL };
	return fill_string(req, &f, v) ? out : NULL;
}

bool sk_json_parse(struct sk_request *req, const struct sk_field *fields)
{
	if (!sk_json_body(req))
		return false;
	const char *key;
	json_t *value;
	json_object_foreach(req->json, key, value) {
		const struct sk_field *f = fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL) {
			sk_reply_error(req, 400, "invalid_field", key, "'%s' is not a field of this request.", key);
			return false;
		}
	}
	for (const struct sk_field *f = fields; f->name; f++) {
		json_t *v = json_object_get(req->json, f->name);
		bool given = v != NULL && !json_is_null(v);
		if (f->present)
			*f->present = given;
		if (!given) {
			if (f->optional)
				continue;
			sk_reply_error(req, 400, "invalid_field", f->name, "'%s' is required.", f->name);
			return false;
		}
		switch (f->kind) {
		case SK_FIELD_STRING:
			if (!fill_string(req, f, v))
				return false;
			break;
		case SK_FIELD_INT:
			if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
				sk_reply_error(req, 400, "invalid_field", f->name,
					       "'%s' must be a whole number from %lld to %lld.", f->name, f->min,
					       f->max);
				return false;
			}
			*(int64_t *)f->out = (int64_t)json_integer_value(v);
			break;
		case SK_FIELD_ARRAY:
		case SK_FIELD_OBJECT:
			if (f->kind == SK_FIELD_ARRAY ? !json_is_array(v) : !json_is_object(v)) {
				sk_reply_error(req, 400, "invalid_field", f->name, "'%s' must be %s.", f->name,
					       f->kind == SK_FIELD_ARRAY ? "a list" : "an object");
				return false;
			}
			*(json_t **)f->out = v;
			break;
		case SK_FIELD_BOOL:
			if (!json_is_boolean(v)) {
				sk_reply_error(req, 400, "invalid_field", f->name, "'%s' must be true or false.", f->name);
				return false;
			}
			*(bool *)f->out = json_is_true(v);
			break;
		}
	}
	return true;
}
