#include "domain/login.h"
#include "domain/text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static enum sk_login_kind normalize_phone(const char *in, char *out, size_t outsz)
{
	char digits[32];
	size_t n = 0;
	bool plus = false;
	for (const char *p = in; *p; p++) {
		if (*p == '+' && n == 0 && !plus) {
			plus = true;
		} else if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof digits)
				return SK_LOGIN_INVALID;
			digits[n++] = *p;
		} else if (*p == ' ' || *p == '.' || *p == '-' || *p == '(' || *p == ')') {
			continue;
		} else {
			return SK_LOGIN_INVALID;
		}
	}
	digits[n] = '\0';
	const char *national; /* the 9 digits after the country code or the leading 0 */
	if (!plus && n == 10 && digits[0] == '0')
		national = digits + 1;
	else if (n == 11 && digits[0] == '8' && digits[1] == '4')
		national = digits + 2;
	else
		return SK_LOGIN_INVALID;
	/* Mobile prefixes in Viet Nam since 2018: 03, 05, 07, 08, 09. */
	if (strchr("35789", national[0]) == NULL)
		return SK_LOGIN_INVALID;
	if (outsz < 13)
		return SK_LOGIN_INVALID;
	snprintf(out, outsz, "+84%s", national);
	return SK_LOGIN_PHONE;
}

static enum sk_login_kind normalize_email(const char *in, char *out, size_t outsz)
{
	while (*in == ' ')
		in++;
	size_t len = strlen(in);
	while (len > 0 && in[len - 1] == ' ')
		len--;
	if (len < 3 || len > SK_LOGIN_MAX || len + 1 > outsz)
		return SK_LOGIN_INVALID;
	const char *at = memchr(in, '@', len);
	if (at == NULL || at == in || memchr(at + 1, '@', len - (size_t)(at - in) - 1) != NULL)
		return SK_LOGIN_INVALID;
	size_t local = (size_t)(at - in), domain = len - local - 1;
	if (local > 64 || domain < 3)
		return SK_LOGIN_INVALID;
	const char *dot = memchr(at + 1, '.', domain);
	if (dot == NULL || dot == at + 1 || in[len - 1] == '.')
		return SK_LOGIN_INVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= 0x20 || c == 0x7F || c == ',' || c == ';' || c == '<' || c == '>' || c == '"' ||
		    c == '\\')
			return SK_LOGIN_INVALID;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	if (!sk_text_valid_utf8(out, len))
		return SK_LOGIN_INVALID;
	return SK_LOGIN_EMAIL;
}

enum sk_login_kind sk_login_normalize(const char *in, char *out, size_t outsz)
{
	if (in == NULL || outsz == 0)
		return SK_LOGIN_INVALID;
	out[0] = '\0';
	enum sk_login_kind kind = strchr(in, '@') ? normalize_email(in, out, outsz)
						  : normalize_phone(in, out, outsz);
	if (kind == SK_LOGIN_INVALID)
		out[0] = '\0';
	return kind;
}

const char *sk_login_kind_str(enum sk_login_kind kind)
{
	return kind == SK_LOGIN_PHONE ? "phone" : kind == SK_LOGIN_EMAIL ? "email" : "invalid";
}

void sk_login_mask(const char *login, char *out, size_t outsz)
{
	size_t len = strlen(login);
	if (outsz == 0)
		return;
	if (login[0] == '+' && len == 12) {
		snprintf(out, outsz, "%.5s****%s", login, login + 9);
		return;
	}
	const char *at = strchr(login, '@');
	if (at != NULL) {
		snprintf(out, outsz, "%.1s***%s", login, at);
		return;
	}
	snprintf(out, outsz, "***");
}

void sk_login_mask_last3(const char *login, char *out, size_t outsz)
{
	size_t len = strlen(login);
	if (outsz == 0)
		return;
	if (login[0] == '+' && len == 12) {
		snprintf(out, outsz, "*******%s", login + 9);
		return;
	}
	sk_login_mask(login, out, outsz);
}

bool sk_login_search_digits(const char *query, char *out, size_t outsz)
{
	size_t n = 0;
	if (outsz == 0)
		return false;
	out[0] = '\0';
	for (const char *p = query; *p; p++) {
		if (*p == '+' && p == query)
			continue;
		if (*p == ' ' || *p == '.' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n + 1 >= outsz) {
			out[0] = '\0';
			return false;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
	if (n < 3) {
		out[0] = '\0';
		return false;
	}
	if (out[0] == '0') /* a national number: the login holds it after +84 */
		memmove(out, out + 1, n);
	return true;
}

bool sk_password_acceptable(const char *password)
{
	size_t len = strlen(password);
	if (!sk_text_valid_utf8(password, len))
		return false;
	size_t cps = sk_text_codepoints(password);
	return cps >= SK_PASSWORD_MIN && cps <= SK_PASSWORD_MAX;
}
