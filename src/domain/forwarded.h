/*
 * The client's address behind trusted reverse proxies: a list of CIDR ranges (--trusted-proxy) and
 * the X-Forwarded-For rule. Pure: no I/O.
 */
#ifndef SK_DOMAIN_FORWARDED_H
#define SK_DOMAIN_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

#define SK_MAX_PROXIES 32

struct sk_cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network byte order; IPv4 in the first 4 bytes */
	int bits;
};

struct sk_proxies {
	struct sk_cidr ranges[SK_MAX_PROXIES];
	int n;
};

/*
 * Parses spec, "CIDR[,CIDR…]" (an address without "/bits" is one host; blanks around commas are
 * allowed; NULL or "" is the empty list) into *out. False with a message in err when an entry is
 * not an address or range, or when there are more than SK_MAX_PROXIES.
 */
bool sk_proxies_parse(const char *spec, struct sk_proxies *out, char *err, size_t errsz);

/* Whether the textual address ip (IPv4, IPv6, or IPv4-mapped IPv6) is inside one of p's ranges. */
bool sk_proxies_contains(const struct sk_proxies *p, const char *ip);

/*
 * The client's address for a request from TCP peer `peer` whose X-Forwarded-For fields, joined in
 * order with ",", are xff (NULL when absent), written into out. When the peer is not a trusted
 * proxy, or xff is absent or empty, it is the peer. Otherwise it is the right-most address of xff
 * that is not itself a trusted proxy (the left-most one when all are); entries left of it (which
 * the client wrote) are not read, and an entry on the way that is not a plain address gives the
 * peer. IPv4-mapped IPv6 addresses are written as IPv4.
 */
void sk_forwarded_client(const struct sk_proxies *p, const char *peer, const char *xff, char *out, size_t outsz);

#endif
