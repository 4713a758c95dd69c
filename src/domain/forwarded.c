#include "domain/forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ip (at most 45 characters of text) as family and bytes; IPv4-mapped IPv6 becomes IPv4. */
static bool addr_parse(const char *ip, size_t len, int *family, unsigned char bytes[16])
{
	char text[64];
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, ip, len);
	text[len] = '\0';
	memset(bytes, 0, 16);
	if (inet_pton(AF_INET, text, bytes) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, bytes) != 1)
		return false;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(bytes, mapped, 12) == 0) {
		memmove(bytes, bytes + 12, 4);
		memset(bytes + 4, 0, 12);
		*family = AF_INET;
		return true;
	}
	*family = AF_INET6;
	return true;
}

static bool in_range(const struct sk_cidr *r, int family, const unsigned char bytes[16])
{
	if (r->family != family)
		return false;
	int full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(r->addr, bytes, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (r->addr[full] & mask) == (bytes[full] & mask);
}

static bool contains(const struct sk_proxies *p, int family, const unsigned char bytes[16])
{
	for (int i = 0; p && i < p->n; i++)
		if (in_range(&p->ranges[i], family, bytes))
			return true;
	return false;
}

bool sk_proxies_parse(const char *spec, struct sk_proxies *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	if (spec == NULL)
		return true;
	const char *p = spec;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		size_t len = (size_t)(p - start);
		const char *slash = memchr(start, '/', len);
		size_t alen = slash ? (size_t)(slash - start) : len;
		struct sk_cidr r;
		memset(&r, 0, sizeof r);
		if (out->n >= SK_MAX_PROXIES) {
			snprintf(err, errsz, "more than %d trusted proxy ranges", SK_MAX_PROXIES);
			return false;
		}
		if (!addr_parse(start, alen, &r.family, r.addr)) {
			snprintf(err, errsz, "'%.*s' is not an IPv4 or IPv6 address or range", (int)len, start);
			return false;
		}
		int max = r.family == AF_INET ? 32 : 128;
		r.bits = max;
		if (slash) {
			const char *b = slash + 1;
			int bits = 0;
			size_t digits = (size_t)(p - b);
			for (size_t i = 0; i < digits; i++) {
				if (b[i] < '0' || b[i] > '9' || digits > 3) {
					bits = -1;
					break;
				}
				bits = bits * 10 + (b[i] - '0');
			}
			if (digits == 0 || bits < 0 || bits > max) {
				snprintf(err, errsz, "'%.*s': the prefix length must be 0 to %d", (int)len, start, max);
				return false;
			}
			r.bits = bits;
		}
		out->ranges[out->n++] = r;
	}
	return true;
}

bool sk_proxies_contains(const struct sk_proxies *p, const char *ip)
{
	int family;
	unsigned char bytes[16];
	return ip && addr_parse(ip, strlen(ip), &family, bytes) && contains(p, family, bytes);
}

/* The address as canonical text. */
static void addr_text(int family, const unsigned char bytes[16], char *out, size_t outsz)
{
	char text[INET6_ADDRSTRLEN];
	if (inet_ntop(family, bytes, text, sizeof text) == NULL)
		text[0] = '\0';
	snprintf(out, outsz, "%s", text);
}

void sk_forwarded_client(const struct sk_proxies *p, const char *peer, const char *xff, char *out, size_t outsz)
{
	int family;
	unsigned char bytes[16];
	bool peer_ok = peer && addr_parse(peer, strlen(peer), &family, bytes);
	if (peer_ok)
		addr_text(family, bytes, out, outsz);
	else
		snprintf(out, outsz, "%s", peer ? peer : "unknown");
	if (!peer_ok || xff == NULL || !contains(p, family, bytes))
		return;
	/* Right to left: the first address that is not a trusted proxy is the client. What lies left of
	 * it came from the client and is never read; an entry on the way that is not an address means
	 * the chain cannot be followed: the peer. */
	char trusted_peer[64];
	snprintf(trusted_peer, sizeof trusted_peer, "%s", out);
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *s = end;
		while (s > xff && s[-1] != ',')
			s--;
		const char *a = s, *t = end;
		while (*a == ' ' || *a == '\t')
			a++;
		while (t > a && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		int f;
		unsigned char b[16];
		if (!addr_parse(a, (size_t)(t - a), &f, b)) {
			snprintf(out, outsz, "%s", trusted_peer);
			return;
		}
		addr_text(f, b, out, outsz);
		if (!contains(p, f, b))
			return;
		if (s == xff)
			return; /* every entry is a trusted proxy: the left-most */
		end = s - 1;
	}
	snprintf(out, outsz, "%s", trusted_peer); /* empty */
}
