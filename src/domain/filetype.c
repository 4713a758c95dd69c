#include "domain/filetype.h"

#include <string.h>
#include <strings.h>

const char *sk_filetype_sniff(const unsigned char *d, size_t len)
{
	if (len >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 5 && !memcmp(d, "%PDF-", 5))
		return "application/pdf";
	/* HEIF (what iPhones send): an ISO BMFF "ftyp" box first, with a HEIF major brand. */
	if (len >= 12 && !memcmp(d + 4, "ftyp", 4)) {
		static const char brands[][5] = { "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1" };
		for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
			if (!memcmp(d + 8, brands[i], 4))
				return "image/heic";
	}
	return NULL;
}

/* RFC 9110 tchar: what a token (a type, a subtype, a parameter name or bare value) is made of. */
static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The end of a token starting at s (s itself when there is none). */
static const char *token_end(const char *s)
{
	while (tchar(*s))
		s++;
	return s;
}

bool sk_media_type_is(const char *header, const char *type)
{
	if (header == NULL)
		return false;
	const char *s = skip_ows(header);
	const char *t = token_end(s);
	if (t == s || *t != '/')
		return false;
	const char *u = token_end(t + 1);
	if (u == t + 1)
		return false;
	size_t n = (size_t)(u - s);
	if (strlen(type) != n || strncasecmp(s, type, n) != 0)
		return false;
	s = skip_ows(u);
	while (*s == ';') {
		s = skip_ows(s + 1);
		const char *name_end = token_end(s);
		if (name_end == s || *name_end != '=')
			return false;
		s = name_end + 1;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				else if (*s == '\0' || ((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
					return false;
			}
			s++;
		} else {
			const char *value_end = token_end(s);
			if (value_end == s)
				return false;
			s = value_end;
		}
		s = skip_ows(s);
	}
	return *s == '\0';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t sk_filename_base(const char *h, char *raw, size_t cap, size_t *len)
{
	size_t n = 0;
	for (const char *p = h; *p && n < cap - 1; p++) {
		if (p[0] == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			raw[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			raw[n++] = *p;
		}
	}
	raw[n] = '\0';
	*len = n;
	/* Lengths, not strlen: a decoded NUL must reach the caller's check instead of ending the name. */
	size_t base = 0;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '/' || raw[i] == '\\')
			base = i + 1;
	return base;
}
