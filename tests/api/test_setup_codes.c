/*
 * Password set-up codes against the real daemon: who may issue one, that it works once, expires, is
 * throttled like a failed login, revokes the one before, ends the account's sessions, refuses short
 * passwords, and never appears in the server's log.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

TestSuite(setup_codes, .init = up, .fini = down, .timeout = 120);

#define S64(v) fmt_path("%lld", (long long)(v))
#define NEW_PASSWORD "mật khẩu mới của bà Tư"

/* A client with a loopback address of its own, so that other tests' failed logins do not count. */
static void client_own_ip(struct client *c)
{
	client_init(c, &S);
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
}

struct person {
	struct client c;
	int64_t id;
	char phone[16];
};

/* Registers an account in ward (resident), grants role there when not NULL, logs it in. */
static void person_new(struct person *p, int64_t ward, int64_t group, const char *role)
{
	client_own_ip(&p->c);
	rand_phone(p->phone);
	p->id = register_account(&p->c, p->phone, TEST_PASSWORD, ward, group);
	if (role)
		grant_role(PG, p->id, !strcmp(role, "admin") ? 0 : ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

/* The volunteer creates a resident (no password) in the assisted flow; returns its id and phone. */
static int64_t assisted_resident(struct person *v, int64_t ward, int64_t group, char phone[16])
{
	rand_phone(phone);
	struct resp *r = http_json(&v->c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)ward),
				   json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Tư", "group_id",
					     (json_int_t)group));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	return id;
}

static struct resp *issue(struct client *c, int64_t account)
{
	return http(c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)account), NULL, NULL);
}

/* Issues a code as c, asserting 201; copies "1234 5678" into code and returns expires_at as text. */
static void issue_ok(struct client *c, int64_t account, char code[16], char expires[32])
{
	struct resp *r = issue(c, account);
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *sc = json_object_get(r->json, "setup_code");
	snprintf(code, 16, "%s", json_string_value(json_object_get(sc, "code")));
	if (expires)
		snprintf(expires, 32, "%s", json_string_value(json_object_get(sc, "expires_at")));
	cr_assert_eq(json_integer_value(json_object_get(sc, "account_id")), account);
	resp_free(r);
	cr_assert_eq(strlen(code), 9, "code %s", code);
	for (int i = 0; i < 9; i++)
		cr_assert(i == 4 ? code[i] == ' ' : isdigit((unsigned char)code[i]), "code %s", code);
}

static struct resp *redeem(struct client *c, const char *login_, const char *code, const char *password)
{
	return http_json(c, "POST", "/api/v1/accounts/password-setup",
			 json_pack("{s:s,s:s,s:s}", "login", login_, "code", code, "password", password));
}

static long redeem_status(struct client *c, const char *login_, const char *code, const char *password)
{
	struct resp *r = redeem(c, login_, code, password);
	long st = r->status;
	if (st == 401)
		cr_assert_str_eq(err_code(r), "invalid_setup_code", "%s", r->body);
	resp_free(r);
	return st;
}

static void iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

Test(setup_codes, volunteer_issues_a_code_that_sets_the_password_once)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v;
	person_new(&v, ward, group, "volunteer");
	char phone[16], code[16], expires[32], want[32];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	int64_t t0 = (int64_t)time(NULL);
	v.c.now = t0;
	issue_ok(&v.c, resident, code, expires);
	iso(t0 + 259200, want);
	cr_assert_str_eq(expires, want, "72 h by default");

	/* Stored as an argon2id hash only, audited without the code. */
	const char *p[] = { S64(resident) };
	char *hash = db_text(PG, "SELECT code_hash FROM setup_codes WHERE account_id = $1 AND used_at IS NULL", 1, p);
	cr_assert(hash && !strncmp(hash, "$argon2id$", 10), "%s", hash ? hash : "(none)");
	char digits[9];
	snprintf(digits, sizeof digits, "%.4s%.4s", code, code + 5);
	cr_assert_null(strstr(hash, digits));
	free(hash);
	const char *q[] = { S64(resident), S64(v.id) };
	char *detail = db_text(PG,
			       "SELECT detail::text FROM audit_log WHERE action = 'setup_code_issued'"
			       " AND subject = 'account:' || $1 AND actor_account_id = $2",
			       2, q);
	cr_assert_not_null(detail, "the issue is audited");
	cr_assert_null(strstr(detail, digits), "%s", detail);
	free(detail);

	/* The resident cannot log in yet; with the code (typed without the space, login as +84…) they set one. */
	struct client r;
	client_own_ip(&r);
	cr_assert_eq(login(&r, phone, NEW_PASSWORD), 401);
	char intl[20];
	snprintf(intl, sizeof intl, "+84%s", phone + 1);
	cr_assert_eq(redeem_status(&r, intl, digits, NEW_PASSWORD), 204);
	cr_assert_eq(login(&r, phone, NEW_PASSWORD), 201);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'password_set_with_code' AND subject = 'account:' || $1", 1, p), 1);

	/* Once only. */
	struct client s;
	client_own_ip(&s);
	cr_assert_eq(redeem_status(&s, phone, code, "một mật khẩu khác nữa"), 401);
	cr_assert_eq(login(&s, phone, NEW_PASSWORD), 201, "the password stays");
	client_cleanup(&r);
	client_cleanup(&s);
	client_cleanup(&v.c);
}

Test(setup_codes, who_may_issue_one)
{
	int64_t group, ward = seed_ward(PG, &group), group2, ward2 = seed_ward(PG, &group2);
	struct person v, v_other, v_far, leader, leader_far, admin, b;
	person_new(&v, ward, group, "volunteer");
	person_new(&v_other, ward, group, "volunteer"); /* same ward, never helped this resident */
	person_new(&v_far, ward2, group2, "volunteer");
	person_new(&leader, ward, group, "leader");
	person_new(&leader_far, ward2, group2, "leader");
	person_new(&admin, ward2, group2, "admin");
	person_new(&b, ward, group, NULL); /* another resident */
	char phone[16], code[16];
	int64_t resident = assisted_resident(&v, ward, group, phone);

	issue_ok(&v.c, resident, code, NULL);
	issue_ok(&leader.c, resident, code, NULL);
	issue_ok(&admin.c, resident, code, NULL);
	struct person *refused[] = { &b, &v_other, &v_far, &leader_far };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		struct resp *r = issue(&refused[i]->c, resident);
		cr_assert_eq(r->status, 403, "caller %zu: %ld %s", i, r->status, r->body);
		cr_assert_str_eq(err_code(r), "forbidden");
		resp_free(r);
	}
	/* Anonymous, and without the CSRF token. */
	struct client anon;
	client_own_ip(&anon);
	struct resp *r = issue(&anon, resident);
	cr_assert_eq(r->status, 401);
	resp_free(r);
	char csrf[64];
	snprintf(csrf, sizeof csrf, "%s", leader.c.csrf);
	leader.c.csrf[0] = '\0';
	r = issue(&leader.c, resident);
	cr_assert_eq(r->status, 403);
	cr_assert_str_eq(err_code(r), "csrf_failed");
	resp_free(r);
	snprintf(leader.c.csrf, sizeof leader.c.csrf, "%s", csrf);
	/* Not for an account with more than a resident's role (the leader cannot take over the volunteer). */
	r = issue(&leader.c, v_other.id);
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	/* No such account. */
	r = issue(&admin.c, 9000000000000LL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	resp_free(r);
	/* Refusals wrote no code: the admin's is the one live. */
	const char *p[] = { S64(resident), S64(admin.id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND issued_by = $2", 2, p), 1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1", 1, p), 3);
	struct person *all[] = { &v, &v_other, &v_far, &leader, &leader_far, &admin, &b };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		client_cleanup(&all[i]->c);
	client_cleanup(&anon);
}

Test(setup_codes, a_code_expires)
{
	srv_stop(&S);
	const char *env[] = { "SANGKIEN_SETUP_CODE_TTL=3600", NULL };
	srv_start(&S, NULL, env);
	int64_t group, ward = seed_ward(PG, &group);
	struct person v;
	person_new(&v, ward, group, "volunteer");
	char phone[16], code[16], expires[32], want[32];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	int64_t t0 = (int64_t)time(NULL);
	v.c.now = t0;
	issue_ok(&v.c, resident, code, expires);
	iso(t0 + 3600, want);
	cr_assert_str_eq(expires, want, "--setup-code-ttl is honoured");
	struct client r;
	client_own_ip(&r);
	r.now = t0 + 3600;
	cr_assert_eq(redeem_status(&r, phone, code, NEW_PASSWORD), 401, "expired at its expiry");
	r.now = t0 + 3599;
	cr_assert_eq(redeem_status(&r, phone, code, NEW_PASSWORD), 204, "valid a second before");
	client_cleanup(&r);
	client_cleanup(&v.c);
}

Test(setup_codes, ttl_out_of_range_stops_the_program)
{
	const char *bin = getenv("SANGKIEN_BIN");
	cr_assert_not_null(bin);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "SANGKIEN_SETUP_CODE_TTL=899 '%s' migrate >/dev/null 2>&1", bin);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "899 s: status %d", st);
	snprintf(cmd, sizeof cmd, "'%s' --setup-code-ttl=2592001 migrate >/dev/null 2>&1", bin);
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "30 days + 1 s: status %d", st);
	snprintf(cmd, sizeof cmd, "'%s' --help 2>&1 | grep -q -- '--setup-code-ttl'", bin);
	cr_assert_eq(system(cmd), 0, "--help lists it");
}

Test(setup_codes, wrong_codes_are_throttled_like_failed_logins)
{
	srv_stop(&S);
	const char *env[] = { "SANGKIEN_LOGIN_MAX_PER_ACCOUNT=3", NULL };
	srv_start(&S, NULL, env);
	int64_t group, ward = seed_ward(PG, &group);
	struct person v;
	person_new(&v, ward, group, "volunteer");
	char phone[16], code[16];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	int64_t t0 = (int64_t)time(NULL);
	v.c.now = t0;
	issue_ok(&v.c, resident, code, NULL);
	char wrong[16];
	snprintf(wrong, sizeof wrong, "%08d", (atoi(code) * 10000 + atoi(code + 5) + 1) % 100000000);
	struct client r;
	client_own_ip(&r);
	r.now = t0;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(redeem_status(&r, phone, wrong, NEW_PASSWORD), 401, "attempt %d", i + 1);
	struct resp *x = redeem(&r, phone, code, NEW_PASSWORD);
	cr_assert_eq(x->status, 429, "even the right code waits: %s", x->body);
	cr_assert_str_eq(err_code(x), "too_many_requests");
	char retry[32];
	cr_assert(resp_header(x, "Retry-After", retry, sizeof retry));
	cr_assert(atol(retry) > 0 && atol(retry) <= 900, "Retry-After %s", retry);
	resp_free(x);
	/* The wrong codes count against logins too (one throttle). */
	cr_assert_eq(login(&r, phone, NEW_PASSWORD), 429);
	const char *p[] = { S64(resident) };
	cr_assert_null(db_text(PG, "SELECT password_hash FROM accounts WHERE id = $1", 1, p), "nothing changed");
	r.now = (int64_t)time(NULL) + 901; /* the failures are stamped with the real clock */
	cr_assert_eq(redeem_status(&r, phone, code, NEW_PASSWORD), 204, "after the window");
	client_cleanup(&r);
	client_cleanup(&v.c);
}

Test(setup_codes, a_new_code_revokes_the_old_and_success_ends_every_session)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, leader;
	person_new(&v, ward, group, "volunteer");
	person_new(&leader, ward, group, "leader");
	char phone[16], code1[16], code2[16], code3[16];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	issue_ok(&v.c, resident, code1, NULL);
	issue_ok(&v.c, resident, code2, NULL);
	struct client r1, r2;
	client_own_ip(&r1);
	client_own_ip(&r2);
	cr_assert_eq(redeem_status(&r1, phone, code1, NEW_PASSWORD), 401, "revoked by the second");
	cr_assert_eq(redeem_status(&r1, phone, code2, NEW_PASSWORD), 204);
	cr_assert_eq(login(&r1, phone, NEW_PASSWORD), 201);
	cr_assert_eq(login(&r2, phone, NEW_PASSWORD), 201);
	struct resp *x = http(&r1, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(x->status, 200);
	resp_free(x);
	/* Forgotten (or stolen) password: a new code, from a leader now that the account has a password
	 * (the volunteer who made the account no longer may), ends both sessions. */
	struct resp *refused = issue(&v.c, resident);
	cr_assert_eq(refused->status, 403, "%s", refused->body);
	resp_free(refused);
	issue_ok(&leader.c, resident, code3, NULL);
	struct client r3;
	client_own_ip(&r3);
	cr_assert_eq(redeem_status(&r3, phone, code3, "mật khẩu thứ ba đây"), 204);
	x = http(&r1, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(x->status, 401, "session 1 ended");
	resp_free(x);
	x = http(&r2, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(x->status, 401, "session 2 ended");
	resp_free(x);
	cr_assert_eq(login(&r3, phone, NEW_PASSWORD), 401, "the old password is gone");
	cr_assert_eq(login(&r3, phone, "mật khẩu thứ ba đây"), 201);
	client_cleanup(&r1);
	client_cleanup(&r2);
	client_cleanup(&r3);
	client_cleanup(&v.c);
	client_cleanup(&leader.c);
}

Test(setup_codes, bad_input_is_refused_and_changes_nothing)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v;
	person_new(&v, ward, group, "volunteer");
	char phone[16], code[16];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	issue_ok(&v.c, resident, code, NULL);
	struct client r;
	client_own_ip(&r);
	struct resp *x = redeem(&r, phone, code, "ngắn quá");
	cr_assert_eq(x->status, 400, "%s", x->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(x->json, "error"), "field")), "password");
	resp_free(x);
	x = redeem(&r, phone, "12ab5678", NEW_PASSWORD);
	cr_assert_eq(x->status, 400, "%s", x->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(x->json, "error"), "field")), "code");
	resp_free(x);
	x = http(&r, "POST", "/api/v1/accounts/password-setup", "{\"login\":\"0901234567\"}", NULL);
	cr_assert_eq(x->status, 400, "%s", x->body);
	resp_free(x);
	/* An unknown login answers as a wrong code does. */
	char other[16];
	rand_phone(other);
	cr_assert_eq(redeem_status(&r, other, code, NEW_PASSWORD), 401);
	const char *p[] = { S64(resident) };
	cr_assert_null(db_text(PG, "SELECT password_hash FROM accounts WHERE id = $1", 1, p));
	cr_assert_eq(redeem_status(&r, phone, code, NEW_PASSWORD), 204, "the code still works");
	client_cleanup(&r);
	client_cleanup(&v.c);
}

Test(setup_codes, the_code_never_appears_in_the_log)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v;
	person_new(&v, ward, group, "volunteer");
	char phone[16], code[16], code2[16], digits[9], digits2[9];
	int64_t resident = assisted_resident(&v, ward, group, phone);
	issue_ok(&v.c, resident, code, NULL);
	issue_ok(&v.c, resident, code2, NULL);
	snprintf(digits, sizeof digits, "%.4s%.4s", code, code + 5);
	snprintf(digits2, sizeof digits2, "%.4s%.4s", code2, code2 + 5);
	struct client r;
	client_own_ip(&r);
	cr_assert_eq(redeem_status(&r, phone, code, NEW_PASSWORD), 401); /* the revoked one */
	cr_assert_eq(redeem_status(&r, phone, digits2, NEW_PASSWORD), 204);
	client_cleanup(&r);
	client_cleanup(&v.c);
	cr_assert_eq(srv_stop(&S), 0);
	char *log = srv_log(&S);
	cr_assert_not_null(strstr(log, "setup-code"), "the requests are logged:\n%s", log);
	cr_assert_not_null(strstr(log, "password-setup"), "%s", log);
	const char *secrets[] = { code, code2, digits, digits2, NEW_PASSWORD, "$argon2" };
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		cr_assert_null(strstr(log, secrets[i]), "the log contains %s:\n%s", secrets[i], log);
	free(log);
	srv_start(&S, NULL, NULL); /* for the suite's fini */
}

/* Personal data: the export lists the codes issued for and by a person, never their hashes; deleting
 * the account revokes a code still live, which then sets nothing. */
Test(setup_codes, codes_are_in_the_data_export_and_revoked_by_account_deletion)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person a, l;
	person_new(&a, ward, group, NULL);
	person_new(&l, ward, group, "leader");
	char code[16];
	issue_ok(&l.c, a.id, code, NULL);

	struct resp *r = http(&a.c, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *codes = json_object_get(r->json, "setup_codes");
	cr_assert_eq(json_array_size(codes), 1, "%s", r->body);
	json_t *c0 = json_array_get(codes, 0);
	cr_assert_eq(json_integer_value(json_object_get(c0, "issued_by")), l.id);
	cr_assert(json_is_null(json_object_get(c0, "used_at")));
	cr_assert_null(strstr(r->body, "argon2"), "no hash in the export");
	char digits[9];
	snprintf(digits, sizeof digits, "%.4s%.4s", code, code + 5);
	cr_assert_null(strstr(r->body, digits), "no code in the export");
	resp_free(r);

	r = http(&l.c, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *issued = json_object_get(r->json, "setup_codes_issued");
	cr_assert_eq(json_array_size(issued), 1, "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(issued, 0), "account_id")), a.id);
	resp_free(r);

	r = http_json(&a.c, "DELETE", "/api/v1/me", json_pack("{s:s}", "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 204, "%s", r->body);
	resp_free(r);
	const char *p[] = { S64(a.id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1 AND used_at IS NULL"
				" AND revoked_at IS NULL", 1, p), 0, "the live code is revoked");
	struct client s;
	client_own_ip(&s);
	cr_assert_eq(redeem_status(&s, a.phone, code, NEW_PASSWORD), 401);
	client_cleanup(&s);
	client_cleanup(&a.c);
	client_cleanup(&l.c);
}
