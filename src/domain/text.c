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

bool sk_text_is_bidi_control(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F ||
	       c == 0x061C;
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

/*
 * Code points of 3-byte UTF-8 that NFC never changes, whatever surrounds them: canonical
 * combining class 0, no decomposition that NFC keeps apart, and never the second half of a
 * composition. Latin Extended Additional (Vietnamese: ạ ả ấ … ỹ), general punctuation without
 * the U+2000/U+2001 singletons, the bidirectional controls and the separators, and the
 * currency signs (₫ U+20AB). tests/domain/test_text.c checks every one against libunistring.
 */
static bool stable_3byte(uint32_t c)
{
	return (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
	       (c >= 0x20A0 && c <= 0x20C0);
}

bool sk_text_certainly_nfc(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	while (p < end) {
		uint8_t b = *p;
		if (b < 0x80) {
			p++;
		} else if (b >= 0xC2 && b <= 0xC9 && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
			/* U+0080..U+027F: Latin-1, Latin Extended-A and -B, IPA (à ă â đ ê ô ơ ư ĩ ũ ...). */
			p += 2;
		} else if (b >= 0xE1 && b <= 0xE2 && end - p >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
			   stable_3byte(((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F))) {
			p += 3;
		} else {
			return false; /* combining marks (U+0300 on), Hangul, other scripts: let NFC decide */
		}
	}
	return true;
}

enum sk_text_status sk_text_clean(const char *s, size_t len, int flags, size_t min, size_t max,
				  char **out)
{
	*out = NULL;
	if (!sk_text_valid_utf8(s, len))
		return SK_TEXT_INVALID_UTF8;
	/* Most text (ASCII, precomposed Vietnamese) is NFC already: u8_normalize only when it may not be. */
	size_t nfc_len = len;
	const uint8_t *nfc = (const uint8_t *)s;
	uint8_t *normalized = NULL;
	if (!sk_text_certainly_nfc(s, len)) {
		normalized = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nfc_len);
		if (normalized == NULL)
			return SK_TEXT_NO_MEMORY;
		nfc = normalized;
	}

	uint8_t *res = malloc(nfc_len + 1);
	if (res == NULL) {
		free(normalized);
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
			/* CR LF and lone CR become LF in multi-line text: browsers send both. */
			if ((flags & SK_TEXT_MULTI_LINE) == 0) {
				free(normalized);
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
			free(normalized);
			free(res);
			return SK_TEXT_CONTROL_CHAR;
		}
		if ((flags & SK_TEXT_KEEP_SPACE) == 0 && sk_text_is_bidi_control(c)) {
			free(normalized);
			free(res);
			return SK_TEXT_BIDI_CONTROL;
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
	free(normalized);
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
	case SK_TEXT_BIDI_CONTROL:
		return "contains an invisible bidirectional formatting character (U+202A-U+202E, U+2066-U+2069, "
		       "U+200E, U+200F or U+061C) that can disguise what it says";
	case SK_TEXT_TOO_SHORT: return "is too short";
	case SK_TEXT_TOO_LONG: return "is too long";
	case SK_TEXT_NO_MEMORY: return "could not be processed";
	}
	return "is invalid";
}
