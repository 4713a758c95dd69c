#include "domain/search.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

char *sk_search_fold(const char *text)
{
	size_t len = strlen(text);
	if (u8_check((const uint8_t *)text, len) != NULL)
		return NULL;
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
		if (uc_is_general_category(c, UC_CATEGORY_M))
			continue; /* combining marks: the diacritics */
		if (c == 0x0111) /* đ (Đ was lower-cased already) */
			c = 'd';
		if (!uc_is_general_category(c, UC_CATEGORY_L) && !uc_is_general_category(c, UC_CATEGORY_N)) {
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
