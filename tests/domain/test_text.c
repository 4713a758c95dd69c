#include "domain/text.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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
