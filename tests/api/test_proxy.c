/*
 * Issue 14, part 1: behind a reverse proxy (--trusted-proxy), the client address comes from
 * X-Forwarded-For, and only on connections from the listed proxies. Here the "proxy" is a client
 * bound to 127.0.0.5 (trusted) and strangers connect from other 127.x addresses. Before this, every
 * client behind the proxy had the proxy's address: one user's failed logins throttled all of them,
 * and the audit log named the proxy.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct srv S;
static PGconn *PG;

static void up(void)
{
	const char *env[] = { "SANGKIEN_TRUSTED_PROXY=127.0.0.5/32, 10.0.0.0/8", "SANGKIEN_LOGIN_MAX_PER_IP=3", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(proxy, .init = up, .fini = down, .timeout = 120);

#define WRONG "đoán bừa mật khẩu"

/* A failed login for a fresh login from source (127.x), with X-Forwarded-For xff (NULL: none); returns the audit row's ip. */
static char *audited_ip(const char *source, const char *xff)
{
	struct client c;
	client_init(&c, &S);
	snprintf(c.source_ip, sizeof c.source_ip, "%s", source);
	char phone[16], body[256], header[256];
	rand_phone(phone);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, WRONG);
	snprintf(header, sizeof header, "X-Forwarded-For: %s", xff ? xff : "");
	const char *headers[] = { header, NULL };
	struct resp *r = http(&c, "POST", "/api/v1/sessions", body, xff ? headers : NULL);
	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	resp_free(r);
	client_cleanup(&c);
	const char *p[] = { fmt_path("+84%s", phone + 1) };
	return db_text(PG, "SELECT host(ip) FROM audit_log WHERE action = 'login_failed' AND subject = $1", 1, p);
}

static void assert_ip(const char *source, const char *xff, const char *want)
{
	char *ip = audited_ip(source, xff);
	cr_assert(ip != NULL, "no audit row");
	cr_assert_str_eq(ip, want, "from %s with X-Forwarded-For '%s': audited %s, expected %s", source, xff ? xff : "(none)",
			 ip, want);
	free(ip);
}

Test(proxy, a_trusted_proxy_gives_the_client_address)
{
	assert_ip("127.0.0.5", "198.51.100.7", "198.51.100.7");
}

Test(proxy, an_untrusted_peer_is_its_own_address)
{
	assert_ip("127.0.0.9", "198.51.100.8", "127.0.0.9");
	assert_ip("127.0.0.9", NULL, "127.0.0.9");
}

Test(proxy, chains_take_the_right_most_untrusted_address)
{
	/* the client forged a first entry; the proxy appended the real one */
	assert_ip("127.0.0.5", "203.0.113.66, 198.51.100.9", "198.51.100.9");
	/* two proxies: 10.0.0.0/8 is trusted too */
	assert_ip("127.0.0.5", "203.0.113.66,198.51.100.10, 10.1.2.3", "198.51.100.10");
}

Test(proxy, a_malformed_header_gives_the_proxy_address)
{
	assert_ip("127.0.0.5", "not-an-address", "127.0.0.5");
	assert_ip("127.0.0.5", "198.51.100.11:5555", "127.0.0.5");
	assert_ip("127.0.0.5", "198.51.100.12, ", "127.0.0.5");
	/* what the client wrote left of its own address does not matter */
	assert_ip("127.0.0.5", "garbage, 198.51.100.13", "198.51.100.13");
}

/* One login attempt from behind the proxy as client address xff; returns the status. */
static long login_via_proxy(const char *xff, const char *phone, const char *password)
{
	struct client c;
	client_init(&c, &S);
	snprintf(c.source_ip, sizeof c.source_ip, "127.0.0.5");
	char body[256], header[128];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, password);
	snprintf(header, sizeof header, "X-Forwarded-For: %s", xff);
	const char *headers[] = { header, NULL };
	struct resp *r = http(&c, "POST", "/api/v1/sessions", body, headers);
	long st = r->status;
	resp_free(r);
	client_cleanup(&c);
	return st;
}

Test(proxy, per_address_login_limits_count_each_forwarded_client)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct client c;
	client_init(&c, &S);
	char phone[16], other[16], third[16];
	rand_phone(phone);
	rand_phone(other);
	rand_phone(third);
	make_account(&c, PG, ward, phone, "Người dùng");
	make_account(&c, PG, ward, other, "Người khác");
	make_account(&c, PG, ward, third, "Người thứ ba");
	client_cleanup(&c);
	/* --login-max-per-ip 3: the fourth failure from 198.51.100.20 is refused … */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(login_via_proxy("198.51.100.20", other, WRONG), 401);
	cr_assert_eq(login_via_proxy("198.51.100.20", other, WRONG), 429);
	/* … but another resident behind the same proxy is not throttled by it. */
	cr_assert_eq(login_via_proxy("198.51.100.21", phone, TEST_PASSWORD), 201,
		     "a second client behind the proxy was throttled by the first one's failures");
	/* and a stranger's forged header from outside the proxy counts on the stranger's own address */
	struct client s;
	client_init(&s, &S);
	snprintf(s.source_ip, sizeof s.source_ip, "127.0.0.44");
	for (int i = 0; i < 4; i++) {
		char body[256], header[128];
		snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", third, WRONG);
		snprintf(header, sizeof header, "X-Forwarded-For: 198.51.100.%d", 100 + i);
		const char *headers[] = { header, NULL };
		struct resp *r = http(&s, "POST", "/api/v1/sessions", body, headers);
		cr_assert_eq(r->status, i < 3 ? 401 : 429, "attempt %d: %ld", i, r->status);
		resp_free(r);
	}
	client_cleanup(&s);
}
