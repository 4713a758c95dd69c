/*
 * Issue 8, part 3: a stranger locking the owner out of an account with wrong passwords.
 *
 * Before: five wrong passwords for a login from anywhere made even the right password answer 429
 * for 15 minutes (renewable at will), a leader's re-typed password on /publish was refused the
 * same way, and failures were counted on the database's clock while the window moved with the
 * request's, so with the test clock far ahead nothing was ever counted. Now the failures are
 * counted per (login, address) pair and per address with hard limits that hold for that address
 * only, per login across addresses with a capped delay that doubles, per known device (the
 * sk_device cookie of a successful login) on its own, and the re-typed password on its own counter.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct srv S;
static PGconn *PG;

static void up(void)
{
	srv_start(&S, NULL, NULL);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(lockout, .init = up, .fini = down, .timeout = 150);

#define WRONG "đoán bừa mật khẩu"

/* A loopback address of its own ("127.a.b.c"), so that other tests' failures do not count. */
static void own_ip(struct client *c)
{
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
}

static void client_at(struct client *c, int64_t now)
{
	client_init(c, &S);
	own_ip(c);
	c->now = now;
}

/* POST /api/v1/sessions; returns the status and copies Retry-After (0 when absent) into *retry. */
static long try_login(struct client *c, const char *phone, const char *password, long *retry)
{
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, password);
	struct resp *r = http(c, "POST", "/api/v1/sessions", body, NULL);
	long st = r->status;
	char ra[32] = "0";
	if (st == 429) {
		cr_assert_str_eq(err_code(r), "too_many_requests", "%s", r->body);
		cr_assert(resp_header(r, "Retry-After", ra, sizeof ra), "429 without Retry-After");
	}
	if (retry)
		*retry = atol(ra);
	if (st == 201)
		snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	resp_free(r);
	return st;
}

/* A new account (resident of a new ward) with TEST_PASSWORD; its phone "09…" into phone. */
static int64_t owner_new(char phone[16], int64_t *ward)
{
	struct client c;
	client_init(&c, &S);
	int64_t w = seed_ward(PG, NULL);
	rand_phone(phone);
	int64_t id = make_account(&c, PG, w, phone, "Chủ tài khoản");
	client_cleanup(&c);
	if (ward)
		*ward = w;
	return id;
}

Test(lockout, strangers_from_several_addresses_only_slow_the_owner_down)
{
	int64_t t0 = (int64_t)time(NULL) + 3600;
	char phone[16];
	owner_new(phone, NULL);
	/* Six wrong passwords from three addresses, ten seconds apart. */
	struct client s[3];
	for (int i = 0; i < 3; i++)
		client_at(&s[i], t0);
	int64_t t = t0;
	for (int k = 0; k < 6; k++, t += 10) {
		s[k % 3].now = t;
		cr_assert_eq(try_login(&s[k % 3], phone, WRONG, NULL), 401, "stranger's attempt %d", k + 1);
	}
	int64_t last = t - 10;
	/* The stranger keeps trying at once: refused, and the refusals do not count. */
	for (int k = 0; k < 3; k++) {
		long retry;
		s[k].now = last;
		cr_assert_eq(try_login(&s[k], phone, WRONG, &retry), 429);
		cr_assert(retry >= 1 && retry <= 2, "delay after 6 failures: %ld", retry);
	}
	/* The owner, from another address, the same second: a short wait (before: 429 for 15 minutes). */
	struct client o;
	client_at(&o, last);
	long retry;
	cr_assert_eq(try_login(&o, phone, TEST_PASSWORD, &retry), 429);
	cr_assert(retry >= 1 && retry <= 2, "the owner waits %ld s", retry);
	o.now = last + retry;
	cr_assert_eq(try_login(&o, phone, TEST_PASSWORD, NULL), 201, "the owner logs in after %ld s", retry);
	/* The stored failures name the login only as a keyed hash. */
	const char *p[] = { fmt_path("+84%s", phone + 1) };
	cr_assert_geq(db_int(PG, "SELECT count(*) FROM auth_failures WHERE login_key = auth_login_key($1)", 1, p), 6);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM auth_failures WHERE position(convert_to($1, 'UTF8') IN login_key) > 0"
			    " OR login_key = convert_to($1, 'UTF8')",
			    1, p),
		     0);
	for (int i = 0; i < 3; i++)
		client_cleanup(&s[i]);
	client_cleanup(&o);
}

Test(lockout, the_pair_and_the_address_limits_hold_for_that_address_only)
{
	int64_t t0 = (int64_t)time(NULL) + 7200;
	char phone[16];
	owner_new(phone, NULL);
	struct client s;
	client_at(&s, t0);
	for (int k = 0; k < 5; k++) {
		s.now = t0 + 60 * k; /* slower than the delay: only the pair limit stops it */
		cr_assert_eq(try_login(&s, phone, WRONG, NULL), 401, "attempt %d", k + 1);
	}
	long retry;
	s.now = t0 + 600;
	cr_assert_eq(try_login(&s, phone, TEST_PASSWORD, &retry), 429, "the guessing address is blocked");
	cr_assert(retry > 0 && retry <= 900, "Retry-After %ld", retry);
	/* The owner elsewhere is not (the last failure is minutes old: no delay left). */
	struct client o;
	client_at(&o, t0 + 600);
	cr_assert_eq(try_login(&o, phone, TEST_PASSWORD, NULL), 201);
	client_cleanup(&s);
	client_cleanup(&o);
}

Test(lockout, the_known_device_is_never_slowed_by_others)
{
	int64_t t0 = (int64_t)time(NULL) + 10800;
	char phone[16];
	owner_new(phone, NULL);
	/* The owner logs in once from home: the reply sets the known-device cookie. */
	struct client o;
	client_at(&o, t0);
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, TEST_PASSWORD);
	struct resp *r = http(&o, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert(strstr(r->headers, "sk_device=") != NULL, "no known-device cookie: %s", r->headers);
	cr_assert(strstr(r->headers, "HttpOnly") != NULL);
	snprintf(o.csrf, sizeof o.csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	resp_free(r);
	r = http(&o, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 204);
	resp_free(r);

	/* A stranger guesses as fast as the throttle lets it, 11 times: five from one address (its
	 * limit for this login), then from three others. */
	struct client s[4];
	for (int i = 0; i < 4; i++)
		client_at(&s[i], t0 + 10);
	int64_t t = t0 + 10;
	int failures = 0;
	for (int k = 0; k < 40 && failures < 11; k++) {
		long retry;
		struct client *c = failures < 5 ? &s[0] : &s[1 + failures % 3];
		c->now = t;
		long st = try_login(c, phone, WRONG, &retry);
		cr_assert(st == 401 || st == 429, "stranger got %ld", st);
		if (st == 401)
			failures++;
		else
			t += retry;
	}
	cr_assert_eq(failures, 11);
	/* A new client now waits (the delay has doubled six times since the fifth failure)... */
	struct client n;
	client_at(&n, t);
	long retry;
	cr_assert_eq(try_login(&n, phone, TEST_PASSWORD, &retry), 429);
	cr_assert(retry > 32 && retry <= 64, "Retry-After %ld", retry);
	/* ...but the owner's device logs in at once, even from the stranger's own (blocked) address. */
	snprintf(o.source_ip, sizeof o.source_ip, "%s", s[0].source_ip);
	o.now = t;
	cr_assert_eq(try_login(&s[0], phone, TEST_PASSWORD, NULL), 429, "the stranger's address is blocked");
	cr_assert_eq(try_login(&o, phone, TEST_PASSWORD, NULL), 201, "the known device is not");
	/* The device has a counter of its own: a stolen cookie does not guess without limit either. */
	for (int k = 0; k < 5; k++)
		cr_assert_eq(try_login(&o, phone, WRONG, NULL), 401, "device attempt %d", k + 1);
	cr_assert_eq(try_login(&o, phone, TEST_PASSWORD, NULL), 429, "the device's own limit");
	for (int i = 0; i < 4; i++)
		client_cleanup(&s[i]);
	client_cleanup(&o);
	client_cleanup(&n);
}

Test(lockout, failures_count_on_the_request_clock)
{
	/* The test clock 5000 s ahead: the window moves with it, and so must the count. */
	int64_t t0 = (int64_t)time(NULL) + 5000;
	char phone[16];
	owner_new(phone, NULL);
	struct client c;
	client_at(&c, t0);
	for (int k = 0; k < 5; k++) {
		c.now = t0 + 30 * k;
		cr_assert_eq(try_login(&c, phone, WRONG, NULL), 401, "attempt %d", k + 1);
	}
	c.now = t0 + 200;
	cr_assert_eq(try_login(&c, phone, WRONG, NULL), 429, "the sixth attempt from that address");
	/* Past the window on that clock, the address may try again. */
	c.now = t0 + 30 * 4 + 901;
	cr_assert_eq(try_login(&c, phone, TEST_PASSWORD, NULL), 201);
	client_cleanup(&c);
}

Test(lockout, the_retyped_password_has_its_own_counter)
{
	int64_t t0 = (int64_t)time(NULL) + 14400;
	char phone[16];
	int64_t ward;
	int64_t leader = owner_new(phone, &ward);
	grant_role(PG, leader, ward, "leader");
	struct client l;
	client_at(&l, t0);
	cr_assert_eq(try_login(&l, phone, TEST_PASSWORD, NULL), 201);
	/* A draft call: publishing it passes the password check, then finds nothing to publish. */
	struct resp *r = http_json(&l, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
				   json_pack("{s:s,s:s,s:s}", "title", "Đợt thử khoá tài khoản", "opens_at",
					     "2027-01-01T00:00:00Z", "closes_at", "2027-02-01T00:00:00Z"));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t cid = json_integer_value(json_object_get(json_object_get(r->json, "campaign"), "id"));
	resp_free(r);
	const char *publish = fmt_path("/api/v1/campaigns/%lld/publish", (long long)cid);

	/* A stranger fails ten times from two addresses. */
	struct client s[2];
	for (int i = 0; i < 2; i++)
		client_at(&s[i], t0 + 5);
	for (int k = 0; k < 10; k++) {
		s[k % 2].now = t0 + 5 + 100 * k;
		long st = try_login(&s[k % 2], phone, WRONG, NULL);
		cr_assert(st == 401 || st == 429);
	}
	/* The leader, signed in, re-types the right password: not refused (before: 429). */
	l.now = t0 + 1000;
	r = http_json(&l, "POST", publish, json_pack("{s:s}", "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 409, "publish after a stranger's failures: %ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "nothing_to_publish");
	resp_free(r);

	/* The leader's own wrong re-typed passwords: five, then 429 even for the right one. */
	for (int k = 0; k < 5; k++) {
		r = http_json(&l, "POST", publish, json_pack("{s:s}", "password", WRONG));
		cr_assert_eq(r->status, 401, "re-typed attempt %d: %s", k + 1, r->body);
		cr_assert_str_eq(err_code(r), "invalid_credentials");
		resp_free(r);
	}
	r = http_json(&l, "POST", publish, json_pack("{s:s}", "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 429, "%s", r->body);
	resp_free(r);
	/* That counter is not the login's: the leader still logs in from a new address. */
	struct client m;
	client_at(&m, t0 + 1000);
	cr_assert_eq(try_login(&m, phone, TEST_PASSWORD, NULL), 201);
	/* And it ends with the window. */
	l.now = t0 + 1000 + 901;
	r = http_json(&l, "POST", publish, json_pack("{s:s}", "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 409, "%s", r->body);
	resp_free(r);
	for (int i = 0; i < 2; i++)
		client_cleanup(&s[i]);
	client_cleanup(&l);
	client_cleanup(&m);
}

/* Logs in as c; returns the status and whether the reply set the known-device cookie. */
static long login_sets_device(struct client *c, const char *phone, bool *set)
{
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, TEST_PASSWORD);
	struct resp *r = http(c, "POST", "/api/v1/sessions", body, NULL);
	long st = r->status;
	*set = strstr(r->headers, "sk_device=") != NULL;
	if (st == 201)
		snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	resp_free(r);
	return st;
}

static void logout(struct client *c)
{
	struct resp *r = http(c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	resp_free(r);
}

Test(lockout, a_shared_phone_is_a_known_device_of_each_account_that_logged_in_on_it)
{
	/* A volunteer's phone (or a family's): two residents log in on it, one after the other. */
	int64_t t0 = (int64_t)time(NULL) + 18000;
	char a[16], b[16];
	owner_new(a, NULL);
	owner_new(b, NULL);
	struct client phone;
	client_at(&phone, t0);
	bool set;
	cr_assert_eq(login_sets_device(&phone, a, &set), 201);
	cr_assert(set, "the first login sets the cookie");
	logout(&phone);
	cr_assert_eq(login_sets_device(&phone, b, &set), 201);
	cr_assert(!set, "the second account joins the phone's cookie instead of replacing it");
	logout(&phone);
	/* A stranger blocks both logins at its own address (the pair limit). */
	struct client s;
	client_at(&s, t0 + 10);
	for (int k = 0; k < 10; k++) {
		s.now = t0 + 10 + 10 * k;
		cr_assert_eq(try_login(&s, k % 2 ? b : a, WRONG, NULL), 401, "attempt %d", k + 1);
	}
	s.now = t0 + 120;
	cr_assert_eq(try_login(&s, a, TEST_PASSWORD, NULL), 429);
	cr_assert_eq(try_login(&s, b, TEST_PASSWORD, NULL), 429);
	/* The shared phone, even behind the stranger's address, logs both in. */
	snprintf(phone.source_ip, sizeof phone.source_ip, "%s", s.source_ip);
	phone.now = t0 + 120;
	cr_assert_eq(login_sets_device(&phone, a, &set), 201, "A on the shared phone");
	cr_assert(!set);
	logout(&phone);
	cr_assert_eq(login_sets_device(&phone, b, &set), 201, "B on the shared phone");
	logout(&phone);
	client_cleanup(&s);
	client_cleanup(&phone);
}
