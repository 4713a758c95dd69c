/* Vietnamese text folded to plain ASCII, for SMS (a message with diacritics is sent as UCS-2,
 * which halves what one segment holds: 70 characters instead of 160). */
#ifndef SK_DOMAIN_ASCII_H
#define SK_DOMAIN_ASCII_H

/*
 * Folds UTF-8 text to ASCII keeping case, spaces and punctuation: diacritics dropped
 * ("Đề xuất" -> "De xuat"), đ/Đ to d/D, typographic quotes and dashes to their ASCII
 * forms, any other non-ASCII code point to '?'. Returns a new string the caller frees,
 * or NULL when memory runs out or the text is not UTF-8.
 */
char *sk_ascii_fold(const char *text);

#endif
