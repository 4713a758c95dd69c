#include "domain/forwarded.h"

#include <criterion/criterion.h>

static struct sk_proxies proxies(const char *spec)
{
	struct sk_proxies p;
	char err[128];
	cr_assert(sk_proxies_parse(spec, &p, err, sizeof err), "%s: %s", spec, err);
	return p;
}

static const char *client(const char *spec, const char *peer, const char *xff)
{
	static char out[64];
	struct sk_proxies p = proxies(spec);
	sk_forwarded_client(&p, peer, xff, out, sizeof out);
	return out;
}

Test(forwarded, parse_refuses_what_is_not_a_range)
{
	struct sk_proxies p;
	char err[128];
	cr_assert(!sk_proxies_parse("10.0.0.0/33", &p, err, sizeof err));
	cr_assert(!sk_proxies_parse("10.0.0/8", &p, err, sizeof err));
	cr_assert(!sk_proxies_parse("example.org", &p, err, sizeof err));
	cr_assert(!sk_proxies_parse("10.0.0.0/", &p, err, sizeof err));
	cr_assert(!sk_proxies_parse("::1/129", &p, err, sizeof err));
	cr_assert(sk_proxies_parse("10.0.0.0/8, 127.0.0.5 ,::1/128", &p, err, sizeof err));
	cr_assert_eq(p.n, 3);
	cr_assert(sk_proxies_parse("", &p, err, sizeof err));
	cr_assert_eq(p.n, 0);
}

Test(forwarded, contains)
{
	struct sk_proxies p = proxies("10.1.0.0/16,127.0.0.5/32,fd00::/8");
	cr_assert(sk_proxies_contains(&p, "10.1.255.3"));
	cr_assert(!sk_proxies_contains(&p, "10.2.0.1"));
	cr_assert(sk_proxies_contains(&p, "::ffff:127.0.0.5"));
	cr_assert(!sk_proxies_contains(&p, "127.0.0.6"));
	cr_assert(sk_proxies_contains(&p, "fd12::1"));
	cr_assert(!sk_proxies_contains(&p, "fe80::1"));
}

Test(forwarded, untrusted_peer_keeps_its_address)
{
	cr_assert_str_eq(client("", "127.0.0.9", "203.0.113.7"), "127.0.0.9");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.9", "203.0.113.7"), "127.0.0.9");
}

Test(forwarded, trusted_peer_gives_the_right_most_untrusted)
{
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "203.0.113.7"), "203.0.113.7");
	/* a client that forged a first entry is still known by what the proxy appended */
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "1.2.3.4, 203.0.113.7"), "203.0.113.7");
	/* a chain of trusted proxies is skipped */
	cr_assert_str_eq(client("127.0.0.5/32,10.0.0.0/8", "127.0.0.5", "1.2.3.4,203.0.113.7, 10.0.0.2"),
			 "203.0.113.7");
	/* all trusted: the left-most */
	cr_assert_str_eq(client("10.0.0.0/8,127.0.0.5", "127.0.0.5", "10.0.0.3,10.0.0.2"), "10.0.0.3");
	cr_assert_str_eq(client("127.0.0.5", "::ffff:127.0.0.5", "2001:db8::1"), "2001:db8::1");
}

Test(forwarded, malformed_header_gives_the_peer)
{
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", ""), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "unknown"), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "203.0.113.7, "), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "203.0.113.7:443"), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32,10.0.0.0/8", "127.0.0.5", "1.2.3.4,, 10.0.0.1"), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32,10.0.0.0/8", "127.0.0.5", "1.2.3.4,junk, 10.0.0.1"), "127.0.0.5");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", ",,,"), "127.0.0.5");
}

Test(forwarded, what_the_client_wrote_left_of_its_address_is_not_read)
{
	/* garbage from the client cannot make it count as the proxy */
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", "junk, 203.0.113.7"), "203.0.113.7");
	cr_assert_str_eq(client("127.0.0.5/32,10.0.0.0/8", "127.0.0.5", "x:y,,, 203.0.113.7, 10.0.0.9"), "203.0.113.7");
	cr_assert_str_eq(client("127.0.0.5/32", "127.0.0.5", NULL), "127.0.0.5");
}
