#include "domain/search.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

enum { DROPPED = 0, SEPARATOR = 1 };

/* What one code point of lower-cased NFD text becomes in the folded text: DROPPED (a combining
 * mark, that is a diacritic), SEPARATOR (anything but a letter or a digit), or a code point. */
static ucs4_t fold_code_point(ucs4_t c)
{
	if (uc_is_general_category(c, UC_CATEGORY_M))
		return DROPPED;
	if (c == 0x0111) /* đ (Đ was lower-cased already) */
		return 'd';
	if (!uc_is_general_category(c, UC_CATEGORY_L) && !uc_is_general_category(c, UC_CATEGORY_N))
		return SEPARATOR;
	return c;
}

/* Folds with libunistring, code point by code point: the definition of the folded text. */
static char *fold_slow(const char *text, size_t len)
{
	size_t lower_len = 0;
	uint8_t *lower = u8_tolower((const uint8_t *)text, len, NULL, UNINORM_NFD, NULL, &lower_len);
	if (lower == NULL)
		return NULL;
	uint8_t *out = malloc(lower_len + 1);
	if (out == NULL) {
		free(lower);
		return NULL;
	}
	size_t w = 0;
	bool pending_space = false;
	const uint8_t *p = lower, *end = lower + lower_len;
	while (p < end) {
		ucs4_t c;
		int n = u8_mbtouc(&c, p, (size_t)(end - p));
		p += n;
		c = fold_code_point(c);
		if (c == DROPPED)
			continue;
		if (c == SEPARATOR) {
			pending_space = w > 0;
			continue;
		}
		if (pending_space) {
			out[w++] = ' ';
			pending_space = false;
		}
		int m = u8_uctomb(out + w, c, (int)(lower_len + 1 - w));
		if (m > 0)
			w += (size_t)m;
	}
	out[w] = '\0';
	free(lower);
	return (char *)out;
}

/*
 * The folds of single code points of ASCII, Latin (U+0000..U+024F, U+1E00..U+1EFF: all of
 * Vietnamese), general punctuation and currency signs, made once with fold_slow's rules: the
 * letters and digits a code point becomes (UTF-8), each SEPARATOR as the byte 1. Folding is
 * code point by code point for these (no case mapping among them depends on its neighbours,
 * and the marks NFD might reorder are dropped), so a text made only of them folds by joining
 * their entries; tests/domain/test_search.c checks that against fold_slow.
 */
#define FOLD_ENTRY_MAX 7
struct fold_entry {
	uint8_t len; /* 0 with known false: not in the table */
	bool known;
	uint8_t bytes[FOLD_ENTRY_MAX];
};
static const struct {
	ucs4_t first, last;
} fold_ranges[] = { { 0x0001, 0x024F }, { 0x1E00, 0x1EFF }, { 0x2000, 0x206F }, { 0x20A0, 0x20CF } };
#define FOLD_TABLE_SIZE (0x024F + 0x100 + 0x70 + 0x30)
static struct fold_entry fold_table[FOLD_TABLE_SIZE];
static once_flag fold_table_once = ONCE_FLAG_INIT;

static struct fold_entry *fold_entry_of(ucs4_t c)
{
	size_t base = 0;
	for (size_t i = 0; i < sizeof fold_ranges / sizeof fold_ranges[0]; i++) {
		if (c >= fold_ranges[i].first && c <= fold_ranges[i].last)
			return &fold_table[base + (c - fold_ranges[i].first)];
		base += fold_ranges[i].last - fold_ranges[i].first + 1;
	}
	return NULL;
}

static void fold_table_init(void)
{
	for (size_t i = 0; i < sizeof fold_ranges / sizeof fold_ranges[0]; i++)
		for (ucs4_t c = fold_ranges[i].first; c <= fold_ranges[i].last; c++) {
			struct fold_entry *e = fold_entry_of(c);
			uint8_t u[4];
			int n = u8_uctomb(u, c, 4);
			size_t lower_len = 0;
			uint8_t *lower = n > 0 ? u8_tolower(u, (size_t)n, NULL, UNINORM_NFD, NULL, &lower_len) : NULL;
			if (lower == NULL)
				continue; /* not known: such text takes fold_slow */
			bool fits = true;
			const uint8_t *p = lower, *end = lower + lower_len;
			while (p < end && fits) {
				ucs4_t d;
				p += u8_mbtouc(&d, p, (size_t)(end - p));
				d = fold_code_point(d);
				if (d == DROPPED)
					continue;
				if (d == SEPARATOR) {
					fits = e->len < FOLD_ENTRY_MAX;
					if (fits)
						e->bytes[e->len++] = SEPARATOR;
					continue;
				}
				int m = u8_uctomb(e->bytes + e->len, d, FOLD_ENTRY_MAX - e->len);
				fits = m > 0;
				if (fits)
					e->len += (uint8_t)m;
			}
			free(lower);
			/* At most two output bytes per input byte (one for a space): the buffer's bound. */
			e->known = fits && e->len <= 2 * n;
			if (!e->known)
				e->len = 0;
		}
}

/* Folds text made only of code points in the table; NULL with *fallback when one is not. */
static char *fold_fast(const char *text, size_t len, bool *fallback)
{
	*fallback = false;
	uint8_t *out = malloc(2 * len + 1);
	if (out == NULL)
		return NULL;
	size_t w = 0;
	bool pending_space = false;
	const uint8_t *p = (const uint8_t *)text, *end = p + len;
	while (p < end) {
		ucs4_t c;
		p += u8_mbtouc_unsafe(&c, p, (size_t)(end - p));
		const struct fold_entry *e = fold_entry_of(c);
		if (e == NULL || !e->known) {
			free(out);
			*fallback = true;
			return NULL;
		}
		for (size_t i = 0; i < e->len;) {
			if (e->bytes[i] == SEPARATOR) {
				pending_space = w > 0;
				i++;
				continue;
			}
			if (pending_space) {
				out[w++] = ' ';
				pending_space = false;
			}
			int m = u8_mblen(e->bytes + i, e->len - i);
			memcpy(out + w, e->bytes + i, (size_t)m);
			w += (size_t)m;
			i += (size_t)m;
		}
	}
	out[w] = '\0';
	return (char *)out;
}

char *sk_search_fold(const char *text)
{
	size_t len = strlen(text);
	if (u8_check((const uint8_t *)text, len) != NULL)
		return NULL;
	call_once(&fold_table_once, fold_table_init);
	bool fallback;
	char *out = fold_fast(text, len, &fallback);
	return fallback ? fold_slow(text, len) : out;
}

char *sk_search_fold_unicode(const char *text)
{
	size_t len = strlen(text);
	if (u8_check((const uint8_t *)text, len) != NULL)
		return NULL;
	return fold_slow(text, len);
}
