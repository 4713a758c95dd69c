/* Diacritic-insensitive search text for Vietnamese. */
#ifndef SK_DOMAIN_SEARCH_H
#define SK_DOMAIN_SEARCH_H

/*
 * Folds text for matching: decomposes (NFD), drops combining marks, maps
 * đ/Đ to d, lower-cases, and collapses runs of white space and punctuation
 * into one space. "Chuyển Đổi  số!" -> "chuyen doi so". Returns a new string
 * the caller frees, or NULL when memory runs out or the text is not UTF-8.
 */
char *sk_search_fold(const char *text);

/*
 * The same fold computed by libunistring for the whole text, without the table of single
 * code points that sk_search_fold uses for ASCII, Latin and Vietnamese: its definition, kept
 * for the tests that compare the two. Same contract as sk_search_fold.
 */
char *sk_search_fold_unicode(const char *text);

#endif
