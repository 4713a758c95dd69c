/*
 * Issue 14, part 1: X-Forwarded-For is believed only from --trusted-proxy peers. A stranger who
 * connects directly (no proxy configured, or from outside the configured ones) and forges the
 * header, a new address on every attempt, still counts as its own address: it cannot get past the
 * per-address login limit, nor write another address into the audit log.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *PG;

#define WRONG "đoán bừa mật khẩu"

static void up(void)
{
	PG = db_connect(NULL);
}

static void down(void)
{
	PQfinish(PG);
}

TestSuite(proxy, .init = up, .fini = down, .timeout = 120);

/* Four failed logins for one login from source, each forging a new X-Forwarded-For; asserts 401, 401, 401, 429. */
static void stranger_rotates_forged_addresses(struct srv *s, const char *source)
{
	char phone[16];
	rand_phone(phone);
	struct client c;
	client_init(&c, s);
	snprintf(c.source_ip, sizeof c.source_ip, "%s", source);
	for (int i = 0; i < 4; i++) {
		char body[256], header[160];
		snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, WRONG);
		snprintf(header, sizeof header, "X-Forwarded-For: 203.0.113.%d, 127.0.0.5", 10 + i);
		const char *headers[] = { header, "X-Real-IP: 203.0.113.99", "Forwarded: for=203.0.113.98", NULL };
		struct resp *r = http(&c, "POST", "/api/v1/sessions", body, headers);
		cr_assert_eq(r->status, i < 3 ? 401 : 429, "attempt %d from %s: %ld (the forged address escaped the limit)", i,
			     source, r->status);
		resp_free(r);
	}
	client_cleanup(&c);
	const char *p[] = { fmt_path("+84%s", phone + 1), source };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE subject = $1 AND action IN ('login_failed', 'login_throttled')"
			    " AND ip IS DISTINCT FROM $2::inet",
			    2, p),
		     0, "the audit log names an address the stranger forged");
}

Test(proxy, no_proxy_configured_the_header_is_ignored)
{
	struct srv s;
	const char *env[] = { "SANGKIEN_LOGIN_MAX_PER_IP=3", NULL };
	srv_start(&s, NULL, env);
	stranger_rotates_forged_addresses(&s, "127.0.0.61");
	srv_stop(&s);
}

Test(proxy, a_peer_outside_the_trusted_ranges_is_not_believed)
{
	struct srv s;
	const char *env[] = { "SANGKIEN_LOGIN_MAX_PER_IP=3", "SANGKIEN_TRUSTED_PROXY=127.0.0.5/32", NULL };
	srv_start(&s, NULL, env);
	stranger_rotates_forged_addresses(&s, "127.0.0.62");
	srv_stop(&s);
}
