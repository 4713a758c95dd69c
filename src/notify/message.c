#include "notify/message.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024);
		while (cap < b->len + n + 1)
			cap *= 2;
		char *s2 = realloc(b->s, cap);
		if (s2 == NULL) {
			b->failed = true;
			return;
		}
		b->s = s2;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static char *done(struct buf *b)
{
	if (b->failed || b->s == NULL) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

static bool plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return strstr(s, "=?") == NULL;
}

char *sk_mail_subject(const char *subject)
{
	if (plain_ascii(subject))
		return strdup(subject);
	struct buf b = { 0 };
	size_t len = strlen(subject), i = 0;
	bool first = true;
	while (i < len || first) {
		/* at most 45 bytes a word (60 base64 characters + 12 = 72), cut at a character boundary */
		size_t n = len - i > 45 ? 45 : len - i;
		while (n > 0 && i + n < len && ((unsigned char)subject[i + n] & 0xC0) == 0x80)
			n--;
		char enc[64];
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)subject + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		if (!first)
			puts_(&b, "\r\n ");
		puts_(&b, "=?UTF-8?B?");
		puts_(&b, enc);
		puts_(&b, "?=");
		i += n;
		first = false;
		if (n == 0)
			break;
	}
	return done(&b);
}

static bool address_ok(const char *a)
{
	if (a == NULL || strlen(a) < 3 || strlen(a) > 254 || strchr(a, '@') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' || *p == '"')
			return false;
	return true;
}

char *sk_mail_compose(const char *from, const char *to, const char *subject, const char *body,
		      const char *idempotency_key, int64_t date)
{
	if (!address_ok(from) || !address_ok(to))
		return NULL;
	for (const char *p = idempotency_key; *p; p++)
		if (*p <= 0x20 || *p == '<' || *p == '>' || *p == '@')
			return NULL;
	char *subj = sk_mail_subject(subject ? subject : "");
	if (subj == NULL)
		return NULL;
	time_t t = (time_t)(date + 7 * 3600);
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char when[64];
	snprintf(when, sizeof when, "%s, %02d %s %04d %02d:%02d:%02d +0700", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	struct buf b = { 0 };
	puts_(&b, "From: <");
	puts_(&b, from);
	puts_(&b, ">\r\nTo: <");
	puts_(&b, to);
	puts_(&b, ">\r\nSubject: ");
	puts_(&b, subj);
	puts_(&b, "\r\nDate: ");
	puts_(&b, when);
	puts_(&b, "\r\nMessage-ID: <");
	puts_(&b, idempotency_key);
	puts_(&b, strchr(from, '@'));
	puts_(&b, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: base64\r\nAuto-Submitted: auto-generated\r\n\r\n");
	free(subj);
	size_t blen = body ? strlen(body) : 0;
	for (size_t i = 0; i < blen || i == 0; i += 57) {
		size_t n = blen - i > 57 ? 57 : blen - i;
		char line[80];
		sodium_bin2base64(line, sizeof line, (const unsigned char *)body + i, n, sodium_base64_VARIANT_ORIGINAL);
		puts_(&b, line);
		puts_(&b, "\r\n");
		if (blen == 0)
			break;
	}
	return done(&b);
}

char *sk_gateway_body(const char *channel, const char *idempotency_key, const char *to, const char *event,
		      const char *lang, const char *title, const char *text, const char *link, const json_t *facts,
		      int64_t created_at)
{
	time_t t = (time_t)created_at;
	struct tm tm;
	gmtime_r(&t, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "idempotency_key", idempotency_key, "channel",
			      channel, "to", to, "event", event, "lang", lang, "text", text ? text : "", "created_at",
			      when);
	if (o == NULL)
		return NULL;
	if (strcmp(channel, "zalo") == 0) {
		json_object_set_new(o, "title", json_string(title ? title : ""));
		json_object_set_new(o, "link", link ? json_string(link) : json_null());
		json_object_set_new(o, "template_data", facts ? json_deep_copy(facts) : json_object());
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

void sk_gateway_sign(const unsigned char *secret, size_t secret_len, int64_t timestamp, const char *body,
		     size_t body_len, char out[72])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[32];
	int n = snprintf(ts, sizeof ts, "%lld.", (long long)timestamp);
	crypto_auth_hmacsha256_init(&st, secret, secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, 65, mac, sizeof mac);
	sodium_memzero(&st, sizeof st);
}
