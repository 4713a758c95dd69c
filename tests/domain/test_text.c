#include "domain/text.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

static char *clean(const char *s, int flags, size_t min, size_t max, enum sk_text_status expect)
{
	char *out = NULL;
	enum sk_text_status st = sk_text_clean(s, strlen(s), flags, min, max, &out);
	cr_assert_eq(st, expect, "'%s': status %d, expected %d", s, st, expect);
	return out;
}

Test(text, decomposed_vietnamese_becomes_nfc)
{
	/* "Việt" typed with combining marks: e + U+0323 + U+0302 */
	char *out = clean("Vie\xcc\xa3\xcc\x82t", 0, 1, 10, SK_TEXT_OK);
	cr_assert_str_eq(out, "Vi\xe1\xbb\x87t");
	cr_assert_eq(sk_text_codepoints(out), 4);
	free(out);
}

Test(text, trims_and_counts_code_points)
{
	char *out = clean("  Nguyễn Văn A \t", 0, 1, 100, SK_TEXT_OK);
	cr_assert_str_eq(out, "Nguyễn Văn A");
	free(out);
	cr_assert_null(clean("   ", 0, 1, 10, SK_TEXT_TOO_SHORT));
	cr_assert_null(clean("đđđđđ", 0, 1, 4, SK_TEXT_TOO_LONG));
	out = clean("đđđđ", 0, 1, 4, SK_TEXT_OK);
	free(out);
}

Test(text, control_characters_are_refused_except_newlines_in_multi_line)
{
	cr_assert_null(clean("a\nb", 0, 1, 10, SK_TEXT_CONTROL_CHAR));
	cr_assert_null(clean("a\x07" "b", SK_TEXT_MULTI_LINE, 1, 10, SK_TEXT_CONTROL_CHAR));
	char *out = clean("a\r\nb\rc", SK_TEXT_MULTI_LINE, 1, 10, SK_TEXT_OK);
	cr_assert_str_eq(out, "a\nb\nc");
	free(out);
}

Test(text, bidirectional_controls_are_refused_in_every_shown_text)
{
	/* "Đơn xin" then U+202E RIGHT-TO-LEFT OVERRIDE then "fdp.exe": shows as "exe.pdf". */
	static const char *const spoofs[] = {
		"h\xe1\xbb\x93 s\xc6\xa1\xe2\x80\xae" "fdp.exe", /* U+202E */
		"a\xe2\x80\xaa" "b", /* U+202A LRE */
		"a\xe2\x80\xab" "b", /* U+202B RLE */
		"a\xe2\x80\xac" "b", /* U+202C PDF */
		"a\xe2\x80\xad" "b", /* U+202D LRO */
		"a\xe2\x81\xa6" "b", /* U+2066 LRI */
		"a\xe2\x81\xa7" "b", /* U+2067 RLI */
		"a\xe2\x81\xa8" "b", /* U+2068 FSI */
		"a\xe2\x81\xa9" "b", /* U+2069 PDI */
		"a\xe2\x80\x8e" "b", /* U+200E LRM */
		"a\xe2\x80\x8f" "b", /* U+200F RLM */
		"a\xd8\x9c" "b",      /* U+061C ALM */
		"\xe2\x80\xae",      /* alone: not trimmed away as if it were a space */
	};
	for (size_t i = 0; i < sizeof spoofs / sizeof spoofs[0]; i++) {
		cr_assert_null(clean(spoofs[i], SK_TEXT_SINGLE_LINE, 1, 100, SK_TEXT_BIDI_CONTROL));
		cr_assert_null(clean(spoofs[i], SK_TEXT_MULTI_LINE, 0, 100, SK_TEXT_BIDI_CONTROL));
	}
	/* The neighbours stay allowed: U+2029 is a control (refused as such), U+2065 unassigned,
	 * U+206A deprecated but not a bidi control, U+200D ZERO WIDTH JOINER (emoji sequences). */
	cr_assert_null(clean("a\xe2\x80\xa9" "b", 0, 1, 10, SK_TEXT_CONTROL_CHAR));
	char *out = clean("a\xe2\x80\x8d" "b", 0, 1, 10, SK_TEXT_OK);
	free(out);
	for (uint32_t c = 0; c < 0x110000; c++)
		cr_assert_eq(sk_text_is_bidi_control(c),
			     (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F ||
				     c == 0x061C,
			     "U+%04X", c);
	/* A password is never shown: it may hold one (refusing it would lock such a password out). */
	out = clean("m\xe1\xba\xadt\xe2\x80\xae kh\xe1\xba\xa9u", SK_TEXT_KEEP_SPACE, 1, 20, SK_TEXT_OK);
	free(out);
	cr_assert_str_eq(sk_text_status_str(SK_TEXT_BIDI_CONTROL),
			 "contains an invisible bidirectional formatting character (U+202A-U+202E, U+2066-U+2069, "
			 "U+200E, U+200F or U+061C) that can disguise what it says");
}

Test(text, a_nul_inside_the_text_is_refused_not_cut_at)
{
	/* "de-an.pdf" NUL ".exe": counted by length, never by strlen, so it cannot become "de-an.pdf". */
	static const char name[] = "de-an.pdf\0.exe";
	char *out = (char *)1;
	cr_assert_eq(sk_text_clean(name, sizeof name - 1, SK_TEXT_SINGLE_LINE, 1, 200, &out), SK_TEXT_CONTROL_CHAR);
	cr_assert_null(out);
	cr_assert_eq(sk_text_clean(name, sizeof name - 1, SK_TEXT_MULTI_LINE, 1, 200, &out), SK_TEXT_CONTROL_CHAR);
	cr_assert_eq(sk_text_clean("\0", 1, SK_TEXT_SINGLE_LINE, 0, 200, &out), SK_TEXT_CONTROL_CHAR);
}

Test(text, invalid_utf8_is_refused)
{
	cr_assert_null(clean("a\xff", 0, 1, 10, SK_TEXT_INVALID_UTF8));
	cr_assert_null(clean("\xc0\xaf", 0, 1, 10, SK_TEXT_INVALID_UTF8)); /* overlong '/' */
	cr_assert_null(clean("\xed\xa0\x80", 0, 1, 10, SK_TEXT_INVALID_UTF8)); /* surrogate */
}

Test(text, secrets_keep_their_spaces)
{
	char *out = clean(" pass word ", SK_TEXT_KEEP_SPACE, 1, 20, SK_TEXT_OK);
	cr_assert_str_eq(out, " pass word ");
	free(out);
}

/* ------------------------------------------------------------------------- */
/* The NFC quick check that lets most text skip u8_normalize                  */
/* ------------------------------------------------------------------------- */

/* NFC of s by libunistring alone, as a new NUL-terminated string. */
static char *nfc_of(const char *s)
{
	size_t n = 0;
	uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)s, strlen(s), NULL, &n);
	cr_assert_not_null(r);
	char *out = malloc(n + 1);
	memcpy(out, r, n);
	out[n] = '\0';
	free(r);
	return out;
}

/* The code points that are the last of some canonical decomposition: the only ones NFC can
 * compose with what comes before them. */
static bool *composes_backwards(void)
{
	bool *second = calloc(0x110000, sizeof *second);
	cr_assert_not_null(second);
	for (ucs4_t x = 0; x < 0x110000; x++) {
		ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
		int n = uc_canonical_decomposition(x, d);
		if (n >= 2)
			second[d[n - 1]] = true;
	}
	return second;
}

Test(text, quick_check_lets_through_only_code_points_nfc_never_changes)
{
	bool *second = composes_backwards();
	size_t passed = 0, non_ascii = 0;
	for (ucs4_t c = 0; c < 0x110000; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		uint8_t u[4];
		int n = u8_uctomb(u, c, 4);
		cr_assert_gt(n, 0);
		if (!sk_text_certainly_nfc((const char *)u, (size_t)n))
			continue;
		passed++;
		non_ascii += c >= 0x80;
		/* A starter that nothing before it can absorb... */
		cr_assert_eq(uc_combining_class(c), 0, "U+%04X has a combining class", (unsigned)c);
		cr_assert(!second[c], "U+%04X can compose with the character before it", (unsigned)c);
		/* ...that NFC keeps as it is... */
		size_t m = 0;
		uint8_t *nfc = u8_normalize(UNINORM_NFC, u, (size_t)n, NULL, &m);
		cr_assert(m == (size_t)n && memcmp(nfc, u, m) == 0, "NFC changes U+%04X", (unsigned)c);
		free(nfc);
		/* ...and whose decomposition, if any, starts with such a starter too, so that it cannot
		 * compose with the character before it once decomposed either. */
		ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
		if (uc_canonical_decomposition(c, d) > 0) {
			cr_assert_eq(uc_combining_class(d[0]), 0, "U+%04X", (unsigned)c);
			cr_assert(!second[d[0]], "U+%04X", (unsigned)c);
		}
	}
	free(second);
	/* ASCII, U+0080..U+027F, Latin Extended Additional, punctuation and currency signs. */
	cr_assert_eq(passed, 128 + 0x200 + 0x100 + 0x18 + 0x2F + 0x21, "%zu code points pass", passed);
	cr_assert_gt(non_ascii, 0);
}

Test(text, quick_check_on_pairs_of_latin_letters)
{
	/* Every pair of the Latin letters it lets through, Vietnamese included, is NFC already. */
	ucs4_t letters[1024];
	size_t n = 0;
	for (ucs4_t c = 'A'; c <= 'z'; c++)
		letters[n++] = c;
	for (ucs4_t c = 0xC0; c <= 0x24F; c++)
		letters[n++] = c;
	for (ucs4_t c = 0x1E00; c <= 0x1EFF; c++)
		letters[n++] = c;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint8_t u[8];
			int a = u8_uctomb(u, letters[i], 4);
			int b = u8_uctomb(u + a, letters[j], 4);
			size_t len = (size_t)(a + b), m = 0;
			cr_assert(sk_text_certainly_nfc((const char *)u, len));
			uint8_t *nfc = u8_normalize(UNINORM_NFC, u, len, NULL, &m);
			cr_assert(m == len && memcmp(nfc, u, m) == 0, "NFC changes U+%04X U+%04X", (unsigned)letters[i],
				  (unsigned)letters[j]);
			free(nfc);
		}
}

Test(text, precomposed_vietnamese_passes_unchanged)
{
	const char *s = "Xây dựng nhóm Zalo của tổ dân phố – người cao tuổi được hỗ trợ tận nhà; "
			"kinh phí 15.000.000 ₫ “đủ dùng”… Ưu tiên: ỹ ỷ ỵ ữ ự Ỡ ẫ ậ ặ ẵ ẳ ằ ắ ơ ư đ Đ ă â ê ô ĩ ũ.";
	cr_assert(sk_text_certainly_nfc(s, strlen(s)));
	char *out = clean(s, 0, 1, 1000, SK_TEXT_OK);
	cr_assert_str_eq(out, s);
	char *ref = nfc_of(s);
	cr_assert_str_eq(ref, s, "the sample is not NFC itself");
	free(ref);
	free(out);
	cr_assert(sk_text_certainly_nfc("", 0));
	out = clean("", 0, 0, 10, SK_TEXT_OK);
	cr_assert_str_eq(out, "");
	free(out);
}

Test(text, what_the_quick_check_cannot_vouch_for_is_normalised)
{
	static const struct {
		const char *in, *nfc, *why;
	} cases[] = {
		{ "Vie\xcc\xa3\xcc\x82t", "Vi\xe1\xbb\x87t", "decomposed: e + dot below + circumflex" },
		{ "Ti\xc3\xaa\xcc\x81ng", "Ti\xe1\xba\xbfng", "precomposed ê followed by a combining acute" },
		{ "\xe1\xba\xa1\xcc\x86", "\xe1\xba\xb7", "precomposed ạ (Latin Extended Additional) + breve" },
		{ "o\xcc\x9b\xcc\x80", "\xe1\xbb\x9d", "o + horn + grave: ờ" },
		{ "\xcc\x81" "a", "\xcc\x81" "a", "a combining mark first stays" },
		{ "\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80", "Hangul jamo L + V compose to a syllable" },
		{ "\xea\xb0\x80\xe1\x86\xa8", "\xea\xb0\x81", "a Hangul syllable + a trailing jamo compose" },
		{ "\xe2\x84\xab", "\xc3\x85", "U+212B ANGSTROM SIGN is a singleton: Å" },
		{ "a\xe2\x80\x80" "b", "a\xe2\x80\x82" "b", "U+2000 EN QUAD is a singleton: U+2002" },
		{ "\xef\xa4\x80", "\xe8\xb1\x88", "a CJK compatibility ideograph" },
		{ "\xe0\xa5\x98", "\xe0\xa4\x95\xe0\xa4\xbc", "U+0958 is excluded from composition" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "an emoji: not vouched for, unchanged" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert(!sk_text_certainly_nfc(cases[i].in, strlen(cases[i].in)), "%s", cases[i].why);
		char *ref = nfc_of(cases[i].in);
		cr_assert_str_eq(ref, cases[i].nfc, "the expectation for '%s' is wrong", cases[i].why);
		free(ref);
		char *out = clean(cases[i].in, SK_TEXT_KEEP_SPACE, 0, 100, SK_TEXT_OK);
		cr_assert_str_eq(out, cases[i].nfc, "%s", cases[i].why);
		free(out);
	}
	/* Malformed or cut-off sequences are never vouched for (and sk_text_clean refuses them). */
	cr_assert(!sk_text_certainly_nfc("\xc3", 1));
	cr_assert(!sk_text_certainly_nfc("\xe1\xbb", 2));
	cr_assert(!sk_text_certainly_nfc("\xc3\x28", 2));
	cr_assert(!sk_text_certainly_nfc("\xe1\xbb\x28", 3));
	cr_assert(!sk_text_certainly_nfc("\xe1\xbb\x87", 2), "the length bounds the scan");
}

Test(text, clean_matches_libunistring_on_mixed_text)
{
	/* Random strings of letters, precomposed and decomposed Vietnamese, combining marks, Hangul
	 * and singletons: sk_text_clean gives exactly libunistring's NFC, whichever path it takes. */
	static const char *const pieces[] = {
		"a", "e", "o", "u", "y", "D", " ", "-", "\xc3\xa2", "\xc3\xaa", "\xc6\xa1", "\xc6\xb0", "\xc4\x91",
		"\xe1\xbb\x87", "\xe1\xba\xa1", "\xe1\xbb\xb9", "\xe2\x80\x93", "\xe2\x82\xab", "\xcc\x80", "\xcc\x81",
		"\xcc\x83", "\xcc\x89", "\xcc\xa3", "\xcc\x82", "\xcc\x86", "\xcc\x9b", "\xe1\x84\x80", "\xe1\x85\xa1",
		"\xe1\x86\xa8", "\xea\xb0\x80", "\xe2\x84\xab", "\xe2\x80\x80", "\xef\xa4\x80", "\xf0\x9f\x98\x80",
	};
	const size_t npieces = sizeof pieces / sizeof pieces[0];
	unsigned seed = 20261201;
	size_t fast = 0;
	for (int round = 0; round < 20000; round++) {
		char s[256] = "x";
		int parts = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		for (int k = 0; k < parts; k++)
			strcat(s, pieces[((seed = seed * 1103515245u + 12345u) >> 16) % npieces]);
		strcat(s, "x");
		fast += sk_text_certainly_nfc(s, strlen(s));
		char *ref = nfc_of(s);
		char *out = clean(s, SK_TEXT_KEEP_SPACE, 0, 1000, SK_TEXT_OK);
		cr_assert_str_eq(out, ref, "round %d", round);
		free(out);
		free(ref);
	}
	cr_assert(fast > 100 && fast < 20000, "%zu of 20000 took the quick path", fast);
}
