#include "domain/ascii.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* What one code point of NFD text becomes: 0 when dropped (a combining mark), else an ASCII byte. */
static char fold_code_point(ucs4_t c)
{
	if (c < 0x80)
		return (char)c;
	if (uc_is_general_category(c, UC_CATEGORY_M))
		return 0;
	switch (c) {
	case 0x0111: return 'd';
	case 0x0110: return 'D';
	case 0x2018: case 0x2019: case 0x201A: return '\'';
	case 0x201C: case 0x201D: case 0x201E: case 0x00AB: case 0x00BB: return '"';
	case 0x2013: case 0x2014: case 0x2212: return '-';
	case 0x2026: return '.';
	case 0x00A0: case 0x202F: return ' ';
	case 0x00D7: return 'x';
	default: return '?';
	}
}

char *sk_ascii_fold(const char *text)
{
	size_t len = strlen(text), nfd_len = 0;
	if (u8_check((const uint8_t *)text, len) != NULL)
		return NULL;
	uint8_t *nfd = u8_normalize(UNINORM_NFD, (const uint8_t *)text, len, NULL, &nfd_len);
	if (nfd == NULL)
		return NULL;
	char *out = malloc(nfd_len + 1);
	if (out == NULL) {
		free(nfd);
		return NULL;
	}
	size_t w = 0;
	const uint8_t *p = nfd, *end = nfd + nfd_len;
	while (p < end) {
		ucs4_t c;
		int n = u8_mbtouc(&c, p, (size_t)(end - p));
		p += n;
		char a = fold_code_point(c);
		if (a == '.' && c == 0x2026 && w + 3 <= nfd_len) {
			memcpy(out + w, "...", 3);
			w += 3;
			continue;
		}
		if (a != 0)
			out[w++] = a;
	}
	out[w] = '\0';
	free(nfd);
	return out;
}
