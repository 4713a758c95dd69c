/* CSV (RFC 4180) for spreadsheet programs. */
#ifndef SK_DOMAIN_CSV_H
#define SK_DOMAIN_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct sk_csv {
	char *data;
	size_t len, cap;
	bool row_started;
	bool failed; /* memory ran out */
};

/* Starts a document with the UTF-8 byte order mark, so that spreadsheet programs read Vietnamese right. */
void sk_csv_init(struct sk_csv *csv);

/*
 * Appends one field to the current row, quoted when it holds a comma, quote,
 * or line break. A field starting with = + - @, a tab or a carriage return (a formula to a spreadsheet)
 * is prefixed with an apostrophe so that opening the file runs nothing; a plain decimal number
 * such as -8.5 or -1e5 stays a number (but not "-inf", "-nan" or a hexadecimal float).
 */
void sk_csv_field(struct sk_csv *csv, const char *value);

/* Ends the current row (CRLF). */
void sk_csv_end_row(struct sk_csv *csv);

/* Takes the document (caller frees); NULL if memory ran out. */
char *sk_csv_take(struct sk_csv *csv, size_t *len);

#endif
