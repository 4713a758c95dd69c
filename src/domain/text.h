/* Unicode text rules shared by every field a person types: UTF-8 only, stored NFC. */
#ifndef SK_DOMAIN_TEXT_H
#define SK_DOMAIN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sk_text_status {
	SK_TEXT_OK = 0,
	SK_TEXT_INVALID_UTF8,
	SK_TEXT_CONTROL_CHAR, /* a control character where none is allowed */
	SK_TEXT_BIDI_CONTROL, /* a bidirectional formatting character (U+202E and the like) */
	SK_TEXT_TOO_SHORT,
	SK_TEXT_TOO_LONG,
	SK_TEXT_NO_MEMORY,
};

enum sk_text_flags {
	SK_TEXT_SINGLE_LINE = 0,
	SK_TEXT_MULTI_LINE = 1, /* allows \n and \t */
	SK_TEXT_KEEP_SPACE = 2, /* no trimming (passwords) */
};

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool sk_text_valid_utf8(const char *s, size_t len);

/*
 * True for the invisible bidirectional formatting characters that can make text read differently
 * from what it is ("exe.txt" shown for "txt.exe"): the embeddings and overrides U+202A..U+202E,
 * the isolates U+2066..U+2069, and the marks U+200E, U+200F and U+061C.
 */
bool sk_text_is_bidi_control(uint32_t c);

/* Number of code points in a well-formed UTF-8 string. */
size_t sk_text_codepoints(const char *s);

/*
 * True when s[0..len) holds only code points that NFC leaves as they are in any context
 * (ASCII, Latin up to U+027F, Latin Extended Additional with Vietnamese, common punctuation
 * and currency signs), so the text is NFC already. False means "not certain", not "not NFC":
 * combining marks, Hangul and everything else, and malformed UTF-8, are left to u8_normalize.
 */
bool sk_text_certainly_nfc(const char *s, size_t len);

/*
 * Normalises s to NFC, trims leading and trailing white space, refuses control
 * characters, NUL included (allowing \n and \t for SK_TEXT_MULTI_LINE), refuses
 * bidirectional formatting characters (sk_text_is_bidi_control; not in
 * SK_TEXT_KEEP_SPACE secrets, which are never shown) and checks that the result
 * holds min..max code points. On SK_TEXT_OK *out is a new NUL-terminated
 * string the caller frees; otherwise *out is NULL.
 */
enum sk_text_status sk_text_clean(const char *s, size_t len, int flags, size_t min, size_t max,
				  char **out);

/* A short English description of a status, for error messages. */
const char *sk_text_status_str(enum sk_text_status st);

#endif
