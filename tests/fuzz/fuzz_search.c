/*
 * Fuzz target: the search folding (src/domain/search.c). For any text:
 *  - invalid UTF-8 (or a NUL, which ends the C string) gives NULL, valid UTF-8 a folded text;
 *  - the fast table path gives exactly what the libunistring definition gives;
 *  - the result is valid UTF-8, has no upper-case ASCII, no leading, trailing or double space;
 *  - folding is idempotent: fold(fold(x)) == fold(x);
 *  - the result is at most 3 bytes per input byte (NFD's bound; Hangul syllables reach it).
 */
#include "domain/search.h"
#include "fuzz.h"

#include <string.h>
#include <unistr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t len = strlen(text);
	bool valid = u8_check((const uint8_t *)text, len) == NULL;

	char *fast = sk_search_fold(text);
	char *slow = sk_search_fold_unicode(text);
	if (!valid) {
		FUZZ_CHECK(fast == NULL && slow == NULL, "invalid UTF-8 was folded");
		free(text);
		return 0;
	}
	FUZZ_CHECK(fast != NULL && slow != NULL, "valid UTF-8 not folded (out of memory?)");
	FUZZ_CHECK(strcmp(fast, slow) == 0, "the table fold \"%s\" differs from the libunistring fold \"%s\"", fast,
		   slow);
	size_t out_len = strlen(fast);
	FUZZ_CHECK(u8_check((const uint8_t *)fast, out_len) == NULL, "the folded text is not UTF-8");
	FUZZ_CHECK(out_len <= 3 * len, "folded %zu bytes into %zu", len, out_len);
	if (out_len > 0) {
		FUZZ_CHECK(fast[0] != ' ' && fast[out_len - 1] != ' ', "leading or trailing space in \"%s\"", fast);
	}
	FUZZ_CHECK(strstr(fast, "  ") == NULL, "double space in \"%s\"", fast);
	for (size_t i = 0; i < out_len; i++) {
		unsigned char c = (unsigned char)fast[i];
		FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "upper-case letter in \"%s\"", fast);
		FUZZ_CHECK(c >= 0x80 || c == ' ' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'),
			   "ASCII byte 0x%02x (neither a letter, a digit nor a space) in \"%s\"", c, fast);
	}
	char *again = sk_search_fold(fast);
	FUZZ_CHECK(again != NULL && strcmp(again, fast) == 0, "not idempotent: \"%s\" folds to \"%s\"", fast,
		   again ? again : "(null)");
	free(again);
	free(fast);
	free(slow);
	free(text);
	return 0;
}
