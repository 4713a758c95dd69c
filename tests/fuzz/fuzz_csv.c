/*
 * Fuzz target: the CSV writer (src/domain/csv.c). The input is a table: a NUL byte ends a
 * field, two NUL bytes in a row end a row.
 * The document written is read back with an RFC 4180 reader and must give the same table,
 * except that a field a spreadsheet would take for a formula (starting with = + - @, a tab or a
 * carriage return, and not a plain decimal number) comes back with an apostrophe in front; no field read back starts with
 * one of those characters unless it is a plain decimal number.
 */
#include "domain/csv.h"
#include "fuzz.h"

#include <string.h>

/* [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits...: what a spreadsheet reads as a number. */
static bool plain_number(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = 0;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static bool formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* Reads one field at *pos of doc[0..len) into out (cap bytes); returns its length; *pos past it. */
static size_t read_field(const char *doc, size_t len, size_t *pos, char *out, size_t cap)
{
	size_t i = *pos, n = 0;
	if (i < len && doc[i] == '"') {
		i++;
		for (;;) {
			FUZZ_CHECK(i < len, "unterminated quoted field");
			if (doc[i] == '"') {
				if (i + 1 < len && doc[i + 1] == '"') {
					FUZZ_CHECK(n < cap, "field longer than written");
					out[n++] = '"';
					i += 2;
					continue;
				}
				i++;
				break;
			}
			FUZZ_CHECK(n < cap, "field longer than written");
			out[n++] = doc[i++];
		}
	} else {
		while (i < len && doc[i] != ',' && doc[i] != '\r') {
			FUZZ_CHECK(doc[i] != '"' && doc[i] != '\n', "unquoted field holds a quote or a line feed");
			FUZZ_CHECK(n < cap, "field longer than written");
			out[n++] = doc[i++];
		}
	}
	*pos = i;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The table: a copy of the input where NUL ends a field and NUL NUL ends a row. */
	char *table = malloc(size + 2);
	char *field = malloc(size + 2);
	if (table == NULL || field == NULL) {
		free(table);
		free(field);
		return 0;
	}
	memcpy(table, data, size);
	table[size] = '\0';
	table[size + 1] = '\0';

	struct sk_csv csv;
	sk_csv_init(&csv);
	size_t i = 0;
	while (i <= size) {
		sk_csv_field(&csv, table + i);
		i += strlen(table + i) + 1;
		if (i > size || table[i] == '\0') {
			sk_csv_end_row(&csv);
			i++;
		}
	}
	size_t len = 0;
	char *doc = sk_csv_take(&csv, &len);
	FUZZ_CHECK(doc != NULL, "out of memory");
	FUZZ_CHECK(len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0, "no byte order mark");
	FUZZ_CHECK(strlen(doc) == len, "a NUL inside the document");

	/* Read it back, comparing each field with what was written. */
	size_t pos = 3;
	i = 0;
	while (i <= size) {
		const char *want = table + i;
		size_t n = read_field(doc, len, &pos, field, size + 1);
		field[n] = '\0';
		bool formula = formula_start(want[0]) && !plain_number(want);
		if (formula) {
			FUZZ_CHECK(n >= 1 && field[0] == '\'' && strcmp(field + 1, want) == 0,
				   "formula field \"%s\" read back as \"%s\"", want, field);
		} else {
			FUZZ_CHECK(strcmp(field, want) == 0, "field \"%s\" read back as \"%s\"", want, field);
		}
		FUZZ_CHECK(!formula_start(field[0]) || plain_number(field),
			   "a spreadsheet would run the field \"%s\" as a formula", field);
		i += strlen(want) + 1;
		if (i > size || table[i] == '\0') {
			FUZZ_CHECK(len - pos >= 2 && doc[pos] == '\r' && doc[pos + 1] == '\n', "row does not end in CRLF");
			pos += 2;
			i++;
		} else {
			FUZZ_CHECK(pos < len && doc[pos] == ',', "fields not separated by a comma");
			pos++;
		}
	}
	FUZZ_CHECK(pos == len, "%zu bytes after the last row", len - pos);
	free(doc);
	free(table);
	free(field);
	return 0;
}
