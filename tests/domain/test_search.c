#include "domain/search.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

/* sk_search_fold of s, checked to equal libunistring's fold of the whole text; caller frees. */
static char *fold(const char *s)
{
	char *fast = sk_search_fold(s), *ref = sk_search_fold_unicode(s);
	cr_assert_not_null(fast, "'%s'", s);
	cr_assert_not_null(ref, "'%s'", s);
	cr_assert_str_eq(fast, ref, "'%s'", s);
	free(ref);
	return fast;
}

Test(search, folds_vietnamese_to_plain_lower_case_words)
{
	static const char *const cases[][2] = {
		{ "Chuyển Đổi  số!", "chuyen doi so" },
		{ "  ĐƯỜNG dây nóng – tổ dân phố số 5…", "duong day nong to dan pho so 5" },
		{ "Vie\xcc\xa3\xcc\x82t Nam", "viet nam" }, /* decomposed: e + dot below + circumflex */
		{ "Ơ, ư; Ă/â: Ê Ô!", "o u a a e o" },
		{ "15.000.000 ₫ (“đủ”)", "15 000 000 du" },
		{ "", "" },
		{ "!!! ...", "" },
		{ "Hà Nội\nHuế\tĐà Nẵng", "ha noi hue da nang" },
		{ "Ǆemal Ǉubljana ß ø æ İstanbul", "ǆemal ǉubljana ß ø æ istanbul" },
		/* other scripts take libunistring alone: Hangul comes out as jamo (NFD), Greek with its final sigma */
		{ "서울 ソウル Σίσυφος", "\xe1\x84\x89\xe1\x85\xa5\xe1\x84\x8b\xe1\x85\xae\xe1\x86\xaf ソウル σισυφος" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *f = fold(cases[i][0]);
		cr_assert_str_eq(f, cases[i][1], "'%s'", cases[i][0]);
		free(f);
	}
	cr_assert_null(sk_search_fold("a\xff"));
	cr_assert_null(sk_search_fold_unicode("a\xff"));
}

/* The code points sk_search_fold's table covers. */
static size_t table_code_points(ucs4_t *out)
{
	static const ucs4_t ranges[][2] = { { 0x01, 0x24F }, { 0x1E00, 0x1EFF }, { 0x2000, 0x206F }, { 0x20A0, 0x20CF } };
	size_t n = 0;
	for (size_t r = 0; r < 4; r++)
		for (ucs4_t c = ranges[r][0]; c <= ranges[r][1]; c++)
			out[n++] = c;
	return n;
}

Test(search, every_code_point_and_pair_of_the_table_folds_like_libunistring)
{
	ucs4_t cps[1024];
	size_t n = table_code_points(cps);
	for (size_t i = 0; i < n; i++) {
		uint8_t s[16] = { 0 };
		u8_uctomb(s, cps[i], 4);
		free(fold((const char *)s));
		/* with letters and separators around it */
		char t[48];
		snprintf(t, sizeof t, "x%s y%s,", (char *)s, (char *)s);
		free(fold(t));
	}
	/* Every pair of Latin letters and punctuation: no case mapping here depends on a neighbour. */
	for (size_t i = 0; i < n; i += 1)
		for (size_t j = 0; j < n; j += 3) {
			uint8_t s[16] = { 0 };
			int a = u8_uctomb(s, cps[i], 4);
			u8_uctomb(s + a, cps[j], 4);
			free(fold((const char *)s));
		}
}

Test(search, random_mixed_text_folds_like_libunistring)
{
	static const char *const pieces[] = {
		"a", "E", "o", "Đ", "đ", " ", "-", "\n", ".", "1", "\xc3\x82", "\xc3\xaa", "\xc6\xa0", "\xc6\xb0",
		"\xe1\xbb\x86", "\xe1\xba\xa1", "\xe1\xbb\xb8", "\xe2\x80\x93", "\xe2\x82\xab", "\xcc\x80", "\xcc\x81",
		"\xcc\xa3", "\xcc\x82", "\xcc\x9b", "\xe1\x84\x80", "\xea\xb0\x80", "\xce\xa3", "\xc3\x9f", "\xc4\xb0",
		"\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\xc2\xad",
	};
	const size_t npieces = sizeof pieces / sizeof pieces[0];
	unsigned seed = 20261201;
	for (int round = 0; round < 20000; round++) {
		char s[256] = "";
		int parts = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 14;
		for (int k = 0; k < parts; k++)
			strcat(s, pieces[((seed = seed * 1103515245u + 12345u) >> 16) % npieces]);
		free(fold(s));
	}
}
