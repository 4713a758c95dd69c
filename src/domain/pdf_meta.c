#include "domain/pdf_meta.h"

#include <stdbool.h>
#include <string.h>

static bool is_delim_or_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0' || c == '(' || c == ')' ||
	       c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Blanks the string value starting at p[i] (after the key and white space); returns true if one was there. */
static bool blank_value(unsigned char *p, size_t len, size_t i)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\f'))
		i++;
	if (i >= len)
		return false;
	if (p[i] == '(') {
		int depth = 1;
		size_t j = i + 1;
		for (; j < len && depth > 0; j++) {
			if (p[j] == '\\' && j + 1 < len) {
				p[j] = ' ';
				p[j + 1] = ' ';
				j++;
				continue;
			}
			if (p[j] == '(')
				depth++;
			else if (p[j] == ')' && --depth == 0)
				break;
			p[j] = ' ';
		}
		return true;
	}
	if (p[i] == '<' && i + 1 < len && p[i + 1] != '<') {
		bool two = true;
		for (size_t j = i + 1; j < len && p[j] != '>'; j++)
			if (is_hex(p[j])) {
				p[j] = two ? '2' : '0';
				two = !two;
			}
		return true;
	}
	return false;
}

size_t sk_pdf_blank_metadata(unsigned char *pdf, size_t len)
{
	static const char *const keys[] = { "/Author", "/Creator", "/Title", "/Subject", "/Keywords", "/Producer" };
	size_t blanked = 0;
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		size_t kl = strlen(keys[k]);
		for (size_t i = 0; i + kl < len; i++) {
			if (pdf[i] != '/' || memcmp(pdf + i, keys[k], kl) != 0 || !is_delim_or_space(pdf[i + kl]))
				continue;
			if (blank_value(pdf, len, i + kl))
				blanked++;
		}
	}
	static const char open[] = "<x:xmpmeta", close[] = "</x:xmpmeta>";
	for (size_t i = 0; i + sizeof open - 1 <= len; i++) {
		if (memcmp(pdf + i, open, sizeof open - 1) != 0)
			continue;
		size_t j = i;
		while (j + sizeof close - 1 <= len && memcmp(pdf + j, close, sizeof close - 1) != 0)
			j++;
		size_t end = j + sizeof close - 1 <= len ? j + sizeof close - 1 : len;
		memset(pdf + i, ' ', end - i);
		blanked++;
		i = end - 1;
	}
	return blanked;
}
