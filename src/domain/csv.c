#include "domain/csv.h"

#include <stdlib.h>
#include <string.h>

static void put(struct sk_csv *csv, const char *s, size_t n)
{
	if (csv->failed)
		return;
	if (csv->len + n + 1 > csv->cap) {
		size_t cap = csv->cap ? csv->cap : 4096;
		while (cap < csv->len + n + 1)
			cap *= 2;
		char *nd = realloc(csv->data, cap);
		if (nd == NULL) {
			csv->failed = true;
			return;
		}
		csv->data = nd;
		csv->cap = cap;
	}
	memcpy(csv->data + csv->len, s, n);
	csv->len += n;
	csv->data[csv->len] = '\0';
}

/*
 * True for a plain decimal number: [+-] digits [. digits] [e|E [+-] digits], with at least one
 * digit before the exponent. Not strtod, which also takes "-inf", "-nan(...)" and hex floats:
 * text a spreadsheet would read as a formula.
 */
static bool plain_number(const char *s)
{
	size_t digits = 0;
	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

void sk_csv_init(struct sk_csv *csv)
{
	memset(csv, 0, sizeof *csv);
	put(csv, "\xEF\xBB\xBF", 3);
}

void sk_csv_field(struct sk_csv *csv, const char *value)
{
	if (value == NULL)
		value = "";
	if (csv->row_started)
		put(csv, ",", 1);
	csv->row_started = true;
	bool number = plain_number(value); /* -8.5 is a number, not a formula */
	/* OWASP's list: = + - @, and a tab or carriage return, which some spreadsheets skip before a formula. */
	bool formula = !number && value[0] != '\0' && strchr("=+-@\t\r", value[0]) != NULL;
	bool quote = formula || strpbrk(value, ",\"\r\n") != NULL;
	if (!quote) {
		put(csv, value, strlen(value));
		return;
	}
	put(csv, "\"", 1);
	if (formula)
		put(csv, "'", 1);
	for (const char *p = value; *p; p++) {
		if (*p == '"')
			put(csv, "\"\"", 2);
		else
			put(csv, p, 1);
	}
	put(csv, "\"", 1);
}

void sk_csv_end_row(struct sk_csv *csv)
{
	put(csv, "\r\n", 2);
	csv->row_started = false;
}

char *sk_csv_take(struct sk_csv *csv, size_t *len)
{
	if (csv->failed) {
		free(csv->data);
		csv->data = NULL;
		return NULL;
	}
	char *d = csv->data;
	*len = csv->len;
	csv->data = NULL;
	csv->len = csv->cap = 0;
	return d;
}
