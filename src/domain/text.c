#include "domain/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

bool sk_text_valid_utf8(const char *s, size_t len)
{
	return u8_check((const uint8_t *)s, len) == NULL;
}

size_t sk_text_codepoints(const char *s)
{
	return u8_mbsnlen((const uint8_t *)s, strlen(s));
}

static bool is_space(ucs4_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x00A0 || c == 0x3000 ||
	       (c >= 0x2000 && c <= 0x200B) || c == 0xFEFF;
}

static bool is_control(ucs4_t c, int flags)
{
	if ((flags & SK_TEXT_MULTI_LINE) && (c == '\n' || c == '\t'))
		return false;
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

enum sk_text_status sk_text_clean(const char *s, size_t len, int flags, size_t min, size_t max,
				  char **out)
{
	*out = NULL;
	if (!sk_text_valid_utf8(s, len))
		return SK_TEXT_INVALID_UTF8;
	/* Turn \r\n into \n before anything else: browsers send both. */
	size_t nfc_len = 0;
	uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nfc_len);
	if (nfc == NULL)
		return SK_TEXT_NO_MEMORY;

	uint8_t *res = malloc(nfc_len + 1);
	if (res == NULL) {
		free(nfc);
		return SK_TEXT_NO_MEMORY;
	}
	size_t w = 0, last_content = 0, count = 0, count_at_content = 0;
	bool seen_content = false;
	const uint8_t *p = nfc, *end = nfc + nfc_len;
	while (p < end) {
		ucs4_t c;
		int n = u8_mbtouc(&c, p, (size_t)(end - p));
		p += n;
		char subst = 0; /* a byte written instead of the character read */
		if (c == '\r') {
			/* CR LF and lone CR become LF in multi-line text. */
			if ((flags & SK_TEXT_MULTI_LINE) == 0) {
				free(nfc);
				free(res);
				return SK_TEXT_CONTROL_CHAR;
			}
			if (p < end && *p == '\n')
				continue;
			c = '\n';
			subst = '\n';
		} else if (c == '\t' && (flags & SK_TEXT_MULTI_LINE) == 0) {
			c = ' '; /* a pasted tab in a one-line field is a space */
			subst = ' ';
		}
		if (is_control(c, flags)) {
			free(nfc);
			free(res);
			return SK_TEXT_CONTROL_CHAR;
		}
		if (!seen_content && is_space(c) && (flags & SK_TEXT_KEEP_SPACE) == 0)
			continue;
		seen_content = true;
		if (subst) {
			res[w++] = (uint8_t)subst;
		} else {
			memcpy(res + w, p - n, (size_t)n);
			w += (size_t)n;
		}
		count++;
		if (!is_space(c) || (flags & SK_TEXT_KEEP_SPACE)) {
			last_content = w;
			count_at_content = count;
		}
	}
	free(nfc);
	res[last_content] = '\0';
	count = count_at_content;
	if (count < min) {
		free(res);
		return SK_TEXT_TOO_SHORT;
	}
	if (count > max) {
		free(res);
		return SK_TEXT_TOO_LONG;
	}
	*out = (char *)res;
	return SK_TEXT_OK;
}

const char *sk_text_status_str(enum sk_text_status st)
{
	switch (st) {
	case SK_TEXT_OK: return "ok";
	case SK_TEXT_INVALID_UTF8: return "is not valid UTF-8";
	case SK_TEXT_CONTROL_CHAR: return "contains a control character";
	case SK_TEXT_TOO_SHORT: return "is too short";
	case SK_TEXT_TOO_LONG: return "is too long";
	case SK_TEXT_NO_MEMORY: return "could not be processed";
	}
	return "is invalid";
}
