/* Accounts, sessions, CSRF, throttling, roles and the audit log, against the real daemon. */
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

TestSuite(accounts, .init = up, .fini = down, .timeout = 60);

static const char *jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

Test(accounts, register_normalises_phone_and_makes_a_resident)
{
	struct client c;
	client_init(&c, &S);
	int64_t group, ward = seed_ward(PG, &group);
	char phone[16], spaced[24], body[512];
	rand_phone(phone);
	snprintf(spaced, sizeof spaced, "%.3s %.3s %s", phone, phone + 3, phone + 6);
	/* "Nguyễn" typed decomposed must come back composed (NFC). */
	snprintf(body, sizeof body,
		 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"  Nguye\xcc\x82\xcc\x83n Thị Bình \","
		 "\"ward_id\":%lld,\"group_id\":%lld}",
		 spaced, TEST_PASSWORD, (long long)ward, (long long)group);
	struct resp *r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *a = json_object_get(r->json, "account");
	char expect_login[20];
	snprintf(expect_login, sizeof expect_login, "+84%s", phone + 1);
	cr_assert_str_eq(jstr(a, "login", NULL), expect_login);
	cr_assert_str_eq(jstr(a, "login_kind", NULL), "phone");
	cr_assert_str_eq(jstr(a, "display_name", NULL), "Nguyễn Thị Bình");
	json_t *roles = json_object_get(a, "roles");
	cr_assert_eq(json_array_size(roles), 1);
	cr_assert_str_eq(jstr(json_array_get(roles, 0), "role", NULL), "resident");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(roles, 0), "ward_id")), ward);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(roles, 0), "group_id")), group);
	cr_assert_null(strstr(r->body, "argon2"), "the hash must never be sent");
	resp_free(r);

	/* Stored argon2id, never the password. */
	const char *p[] = { expect_login };
	PGresult *q = db_exec(PG, "SELECT password_hash FROM accounts WHERE login = $1", 1, p);
	cr_assert(strncmp(PQgetvalue(q, 0, 0), "$argon2id$", 10) == 0);
	cr_assert_null(strstr(PQgetvalue(q, 0, 0), "mật khẩu"));
	PQclear(q);

	/* The same number in another form is the same login: 409. */
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 409);
	cr_assert_str_eq(err_code(r), "login_taken");
	resp_free(r);
	client_cleanup(&c);
}

Test(accounts, register_refuses_bad_ward_group_and_password)
{
	struct client c;
	client_init(&c, &S);
	int64_t group, ward = seed_ward(PG, &group);
	int64_t other_group, other_ward = seed_ward(PG, &other_group);
	(void)other_ward;
	char phone[16], body[512];
	rand_phone(phone);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld,\"group_id\":%lld}",
		 phone, TEST_PASSWORD, (long long)ward, (long long)other_group);
	struct resp *r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 400, "group of another ward: %ld", r->status);
	cr_assert_str_eq(jstr(json_object_get(r->json, "error"), "field", NULL), "group_id");
	resp_free(r);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":999999999}",
		 phone, TEST_PASSWORD);
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 400);
	cr_assert_str_eq(jstr(json_object_get(r->json, "error"), "field", NULL), "ward_id");
	resp_free(r);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"ngắn123\",\"display_name\":\"A\",\"ward_id\":%lld}",
		 phone, (long long)ward);
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 400);
	cr_assert_str_eq(jstr(json_object_get(r->json, "error"), "field", NULL), "password");
	resp_free(r);
	/* Nothing was created by any of these. */
	char norm[20];
	snprintf(norm, sizeof norm, "+84%s", phone + 1);
	const char *p[] = { norm };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p), 0);
	client_cleanup(&c);
}

Test(accounts, login_me_logout_cycle_with_fresh_tokens)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char email[64];
	snprintf(email, sizeof email, "Thu.%ld@Example.VN", random());
	register_account(&c, email, TEST_PASSWORD, ward, 0);

	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 401);
	cr_assert_str_eq(err_code(r), "unauthenticated");
	resp_free(r);

	/* Login with the email in another case. */
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", email, TEST_PASSWORD);
	r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	char cookie1[256];
	cr_assert(resp_header(r, "Set-Cookie", cookie1, sizeof cookie1));
	cr_assert_not_null(strstr(cookie1, "HttpOnly"));
	cr_assert_not_null(strstr(cookie1, "SameSite=Lax"));
	cr_assert_null(strstr(cookie1, "Secure"), "not behind TLS by default");
	snprintf(c.csrf, sizeof c.csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	cr_assert_eq(strlen(c.csrf), 43);
	resp_free(r);

	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(jstr(r->json, "account", "display_name"), "Người thử");
	cr_assert_str_eq(jstr(r->json, "csrf_token", NULL), c.csrf);
	resp_free(r);

	/* A second login issues a different token. */
	char saved_csrf[64];
	snprintf(saved_csrf, sizeof saved_csrf, "%s", c.csrf);
	cr_assert_eq(login(&c, email, TEST_PASSWORD), 201);
	cr_assert_str_neq(c.csrf, saved_csrf);

	/* Logout ends the session on the server: the old cookie no longer works. */
	struct curl_slist *cookies = NULL;
	curl_easy_getinfo(c.curl, CURLINFO_COOKIELIST, &cookies);
	cr_assert_not_null(cookies);
	char saved_cookie[512];
	snprintf(saved_cookie, sizeof saved_cookie, "%s", cookies->data);
	curl_slist_free_all(cookies);
	r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 204);
	char cleared[256];
	cr_assert(resp_header(r, "Set-Cookie", cleared, sizeof cleared));
	cr_assert_not_null(strstr(cleared, "Max-Age=0"));
	resp_free(r);
	curl_easy_setopt(c.curl, CURLOPT_COOKIELIST, saved_cookie); /* replay the old cookie */
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 401, "a logged-out token must not work: %ld", r->status);
	resp_free(r);
	client_cleanup(&c);
}

Test(accounts, wrong_password_and_unknown_login_look_the_same)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16], other[16];
	rand_phone(phone);
	rand_phone(other);
	register_account(&c, phone, TEST_PASSWORD, ward, 0);
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"sai mật khẩu rồi\"}", phone);
	struct resp *a = http(&c, "POST", "/api/v1/sessions", body, NULL);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"sai mật khẩu rồi\"}", other);
	struct resp *b = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(a->status, 401);
	cr_assert_eq(b->status, 401);
	cr_assert_str_eq(err_code(a), "invalid_credentials");
	cr_assert_str_eq(a->body, b->body, "the two refusals must be identical");
	cr_assert_str_eq(jstr(json_object_get(a->json, "error"), "message", NULL),
			 jstr(json_object_get(b->json, "error"), "message", NULL));
	resp_free(a);
	resp_free(b);
	client_cleanup(&c);
}

Test(accounts, csrf_token_is_required_for_state_changes)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16];
	rand_phone(phone);
	register_account(&c, phone, TEST_PASSWORD, ward, 0);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	char good[64];
	snprintf(good, sizeof good, "%s", c.csrf);

	c.csrf[0] = '\0';
	struct resp *r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 403);
	cr_assert_str_eq(err_code(r), "csrf_failed");
	resp_free(r);

	snprintf(c.csrf, sizeof c.csrf, "%.42sX", good);
	r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);

	/* The session survived both refusals. */
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);

	/* Another session's token is not this session's token. */
	struct client d;
	client_init(&d, &S);
	cr_assert_eq(login(&d, phone, TEST_PASSWORD), 201);
	snprintf(c.csrf, sizeof c.csrf, "%s", d.csrf);
	r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);

	snprintf(c.csrf, sizeof c.csrf, "%s", good);
	r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 204);
	resp_free(r);
	client_cleanup(&c);
	client_cleanup(&d);
}

Test(accounts, sessions_expire_when_idle_and_absolutely)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16];
	rand_phone(phone);
	register_account(&c, phone, TEST_PASSWORD, ward, 0);
	int64_t t0 = (int64_t)time(NULL) + 86400 * 3; /* the test clock, days ahead of real time */

	/* Idle expiry: 30 minutes by default. */
	c.now = t0;
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	c.now = t0 + 1799;
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "used within 30 min");
	resp_free(r);
	c.now = t0 + 1799 + 1799;
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "each use extends the idle window");
	resp_free(r);
	c.now = t0 + 1799 + 1799 + 1801;
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 401, "idle for more than 30 min");
	resp_free(r);

	/* Absolute expiry: 12 hours however active. */
	c.now = t0 + 100000;
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	int64_t t;
	for (t = c.now + 1500; t < c.now + 43200 - 1500; t += 1500) {
		int64_t keep = c.now;
		c.now = t;
		r = http(&c, "GET", "/api/v1/me", NULL, NULL);
		cr_assert_eq(r->status, 200, "active session at +%lld s", (long long)(t - keep));
		resp_free(r);
		c.now = keep;
	}
	int64_t start = c.now;
	c.now = start + 43200 + 1;
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 401, "past 12 h");
	resp_free(r);
	client_cleanup(&c);
}

Test(accounts, failed_logins_are_throttled_per_account)
{
	srv_stop(&S);
	const char *env[] = { "SANGKIEN_LOGIN_MAX_PER_ACCOUNT=3", NULL };
	srv_start(&S, NULL, env);
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16], body[256];
	rand_phone(phone);
	register_account(&c, phone, TEST_PASSWORD, ward, 0);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"không đúng đâu\"}", phone);
	for (int i = 0; i < 3; i++) {
		struct resp *r = http(&c, "POST", "/api/v1/sessions", body, NULL);
		cr_assert_eq(r->status, 401, "attempt %d", i + 1);
		resp_free(r);
	}
	struct resp *r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 429);
	cr_assert_str_eq(err_code(r), "too_many_requests");
	char retry[32];
	cr_assert(resp_header(r, "Retry-After", retry, sizeof retry));
	cr_assert(atol(retry) > 0 && atol(retry) <= 900, "Retry-After %s", retry);
	resp_free(r);
	/* Even the right password waits now, from this address (the pair's hard limit)... */
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 429);
	/* ...but not from another one, a few seconds later (the login's delay across addresses is
	 * short: a stranger's failures cannot lock the owner out; tests/security/test_lockout.c). */
	struct client d;
	client_init(&d, &S);
	snprintf(d.source_ip, sizeof d.source_ip, "127.0.%ld.%ld", 1 + random() % 250, 2 + random() % 250);
	d.now = (int64_t)time(NULL) + 5;
	cr_assert_eq(login(&d, phone, TEST_PASSWORD), 201);
	client_cleanup(&d);
	/* After the window, the right password works again from the first address too. */
	c.now = (int64_t)time(NULL) + 901;
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	client_cleanup(&c);
}

Test(accounts, failed_logins_are_throttled_per_address)
{
	srv_stop(&S);
	const char *env[] = { "SANGKIEN_LOGIN_MAX_PER_IP=4", NULL };
	srv_start(&S, NULL, env);
	struct client c;
	client_init(&c, &S);
	/* A loopback address of its own, so that other tests' failures do not count. */
	snprintf(c.source_ip, sizeof c.source_ip, "127.0.%ld.%ld", 1 + random() % 250, 2 + random() % 250);
	int64_t ward = seed_ward(PG, NULL);
	char good[16];
	rand_phone(good);
	register_account(&c, good, TEST_PASSWORD, ward, 0);
	for (int i = 0; i < 4; i++) {
		char phone[16], body[256];
		rand_phone(phone); /* a different account each time */
		snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"đoán bừa một lần\"}", phone);
		struct resp *r = http(&c, "POST", "/api/v1/sessions", body, NULL);
		cr_assert_eq(r->status, 401, "attempt %d from %s: %ld %s", i + 1, c.source_ip, r->status, r->body);
		resp_free(r);
	}
	cr_assert_eq(login(&c, good, TEST_PASSWORD), 429, "the address is throttled");
	/* Another address is not. */
	struct client d;
	client_init(&d, &S);
	snprintf(d.source_ip, sizeof d.source_ip, "127.0.%ld.%ld", 1 + random() % 250, 2 + random() % 250);
	cr_assert_eq(login(&d, good, TEST_PASSWORD), 201);
	client_cleanup(&c);
	client_cleanup(&d);
}

/* Makes an installation admin through the database and logs in as them. */
static int64_t admin_client(struct client *c, int64_t ward)
{
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(c, phone, TEST_PASSWORD, ward, 0);
	grant_role(PG, id, 0, "admin");
	cr_assert_eq(login(c, phone, TEST_PASSWORD), 201);
	return id;
}

Test(accounts, admin_endpoints_check_role_and_ward)
{
	int64_t ward_a = seed_ward(PG, NULL), ward_b = seed_ward(PG, NULL);
	struct client anon, resident, ward_admin, root;
	client_init(&anon, &S);
	client_init(&resident, &S);
	client_init(&ward_admin, &S);
	client_init(&root, &S);
	char p1[16], p2[16];
	rand_phone(p1);
	rand_phone(p2);
	int64_t resident_id = register_account(&resident, p1, TEST_PASSWORD, ward_a, 0);
	cr_assert_eq(login(&resident, p1, TEST_PASSWORD), 201);
	int64_t wa_id = register_account(&ward_admin, p2, TEST_PASSWORD, ward_a, 0);
	grant_role(PG, wa_id, ward_a, "admin");
	cr_assert_eq(login(&ward_admin, p2, TEST_PASSWORD), 201);
	admin_client(&root, ward_b);

	char code[12], body[256];
	rand_code(code);
	snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"Phường Thạch Thang\"}", code);
	struct resp *r = http(&anon, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 401);
	resp_free(r);
	r = http(&resident, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 403);
	cr_assert_str_eq(err_code(r), "forbidden");
	resp_free(r);
	r = http(&ward_admin, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 403, "a ward's admin cannot create wards");
	resp_free(r);
	r = http(&root, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	r = http(&root, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 409);
	cr_assert_str_eq(err_code(r), "ward_code_taken");
	resp_free(r);

	/* Groups: a ward's admin in their own ward only. */
	char path[128];
	snprintf(path, sizeof path, "/api/v1/admin/wards/%lld/groups", (long long)ward_a);
	r = http(&ward_admin, "POST", path, "{\"name\":\"Tổ dân phố 12\"}", NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	r = http(&resident, "POST", path, "{\"name\":\"Tổ dân phố 13\"}", NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);
	snprintf(path, sizeof path, "/api/v1/admin/wards/%lld/groups", (long long)ward_b);
	r = http(&ward_admin, "POST", path, "{\"name\":\"Tổ dân phố 12\"}", NULL);
	cr_assert_eq(r->status, 403, "another ward");
	resp_free(r);

	/* Roles: grant leader in own ward; not in another; not installation-wide. */
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"ward_id\":%lld,\"role\":\"leader\"}", (long long)resident_id,
		 (long long)ward_a);
	r = http(&resident, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 403, "a resident cannot grant roles");
	resp_free(r);
	r = http(&ward_admin, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	r = http(&ward_admin, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 409);
	resp_free(r);
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"ward_id\":%lld,\"role\":\"leader\"}", (long long)resident_id,
		 (long long)ward_b);
	r = http(&ward_admin, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"role\":\"admin\"}", (long long)resident_id);
	r = http(&ward_admin, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 403, "only an installation admin names another");
	resp_free(r);
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"ward_id\":%lld,\"role\":\"mayor\"}", (long long)resident_id,
		 (long long)ward_a);
	r = http(&ward_admin, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 400);
	resp_free(r);

	/* The resident now holds leader in ward A (seen on their next request). */
	r = http(&resident, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_not_null(strstr(r->body, "\"leader\""), "%s", r->body);
	resp_free(r);

	/* Revoke. */
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"ward_id\":%lld,\"role\":\"leader\"}", (long long)resident_id,
		 (long long)ward_a);
	r = http(&ward_admin, "DELETE", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 204);
	resp_free(r);
	r = http(&ward_admin, "DELETE", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 404);
	resp_free(r);

	/* The audit log recorded who did what, from where; only admins read it. */
	snprintf(path, sizeof path, "/api/v1/admin/audit?ward_id=%lld", (long long)ward_a);
	r = http(&resident, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);
	r = http(&ward_admin, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 200);
	json_t *events = json_object_get(r->json, "events");
	bool granted = false, revoked = false, group = false;
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		const char *action = json_string_value(json_object_get(e, "action"));
		if (json_integer_value(json_object_get(e, "actor_account_id")) != wa_id)
			continue;
		cr_assert_str_eq(json_string_value(json_object_get(e, "ip")), "127.0.0.1");
		granted |= !strcmp(action, "role_granted");
		revoked |= !strcmp(action, "role_revoked");
		group |= !strcmp(action, "group_created");
	}
	cr_assert(granted && revoked && group, "%s", r->body);
	resp_free(r);
	r = http(&ward_admin, "GET", "/api/v1/admin/audit", NULL, NULL);
	cr_assert_eq(r->status, 403, "the whole log is for installation admins");
	resp_free(r);

	/* The audit log cannot be changed, even directly in the database. */
	PGresult *q = PQexec(PG, "UPDATE audit_log SET action = 'tampered' WHERE id = (SELECT max(id) FROM audit_log)");
	cr_assert_eq(PQresultStatus(q), PGRES_FATAL_ERROR);
	PQclear(q);
	q = PQexec(PG, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)");
	cr_assert_eq(PQresultStatus(q), PGRES_FATAL_ERROR);
	PQclear(q);

	client_cleanup(&anon);
	client_cleanup(&resident);
	client_cleanup(&ward_admin);
	client_cleanup(&root);
}

Test(accounts, logins_and_failures_are_audited)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16], norm[20];
	rand_phone(phone);
	snprintf(norm, sizeof norm, "+84%s", phone + 1);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, 0);
	cr_assert_eq(login(&c, phone, "không phải mật khẩu"), 401);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	const char *p[] = { norm };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND subject = $1 AND ip = '127.0.0.1'",
			    1, p), 1);
	char subject[32];
	snprintf(subject, sizeof subject, "account:%lld", (long long)id);
	const char *q[] = { subject };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'login' AND subject = $1", 1, q), 1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'account_created' AND subject = $1", 1, q), 1);
	client_cleanup(&c);
}

Test(accounts, wards_are_public_with_their_groups)
{
	struct client c;
	client_init(&c, &S);
	int64_t group, ward = seed_ward(PG, &group);
	struct resp *r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
	cr_assert_eq(r->status, 200);
	size_t i;
	json_t *w;
	bool found = false;
	json_array_foreach(json_object_get(r->json, "wards"), i, w) {
		if (json_integer_value(json_object_get(w, "id")) != ward)
			continue;
		found = true;
		json_t *g = json_array_get(json_object_get(w, "groups"), 0);
		cr_assert_eq(json_integer_value(json_object_get(g, "id")), group);
		cr_assert_str_eq(json_string_value(json_object_get(g, "name")), "Tổ dân phố 1");
	}
	cr_assert(found);
	resp_free(r);
	client_cleanup(&c);
}

/* The epoch second of the newest live session's last_seen_at for account id. */
static long long last_seen(int64_t account)
{
	char a[24];
	snprintf(a, sizeof a, "%lld", (long long)account);
	const char *p[] = { a };
	return db_int(PG,
		      "SELECT extract(epoch FROM last_seen_at)::bigint FROM sessions"
		      " WHERE account_id = $1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
		      1, p);
}

static long get_status(struct client *c, const char *path)
{
	struct resp *r = http(c, "GET", path, NULL, NULL);
	long status = r->status;
	resp_free(r);
	return status;
}

Test(accounts, last_seen_moves_at_most_once_a_minute)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, 0);
	int64_t t0 = (int64_t)time(NULL) + 86400 * 5; /* the test clock, days ahead of real time */
	c.now = t0;
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	cr_assert_eq(last_seen(id), t0);

	/* Requests within a minute of the mark read only: the mark stays. */
	c.now = t0 + 30;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 200);
	cr_assert_eq(last_seen(id), t0, "a use 30 s later must not write");
	c.now = t0 + 60;
	cr_assert_eq(get_status(&c, "/api/v1/me/proposals"), 200);
	cr_assert_eq(last_seen(id), t0, "a use exactly 60 s later must not write");

	/* Past a minute, any authenticated request moves it, once. */
	c.now = t0 + 61;
	cr_assert_eq(get_status(&c, "/api/v1/me/proposals"), 200);
	cr_assert_eq(last_seen(id), t0 + 61);
	c.now = t0 + 100;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 200);
	cr_assert_eq(last_seen(id), t0 + 61);
	c.now = t0 + 122;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 200);
	cr_assert_eq(last_seen(id), t0 + 122);

	/* The idle window counts from the moved mark. */
	c.now = t0 + 122 + 1801;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 401);
	cr_assert_eq(last_seen(id), t0 + 122, "an expired session is not marked used");
	client_cleanup(&c);
}

/*
 * With the shortest idle limit (60 s) the mark moves once it is half the limit old, so a session used
 * every 50 s never expires between two marks (with a fixed one-minute mark it ended at the second use).
 */
Test(accounts, a_session_in_use_outlives_the_shortest_idle_limit)
{
	srv_stop(&S);
	const char *env[] = { "SANGKIEN_SESSION_IDLE=60", NULL };
	srv_start(&S, NULL, env);
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, 0);
	int64_t t0 = (int64_t)time(NULL) + 86400 * 6;
	c.now = t0;
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	c.now = t0 + 20;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 200);
	cr_assert_eq(last_seen(id), t0, "a use 20 s later, under half the limit, must not write");
	for (int i = 1; i <= 4; i++) {
		c.now = t0 + 50 * i;
		cr_assert_eq(get_status(&c, "/api/v1/me"), 200, "a use %d s after login, 50 s after the last, was refused",
			     50 * i);
		cr_assert_eq(last_seen(id), t0 + 50 * i);
	}
	c.now = t0 + 200 + 61;
	cr_assert_eq(get_status(&c, "/api/v1/me"), 401, "61 s without use must end it");
	client_cleanup(&c);
}

/* Installation-wide admin first, then by ward, then by role; every field from the rows. */
Test(accounts, me_sends_the_account_rows_byte_for_byte)
{
	struct client c;
	client_init(&c, &S);
	/* Names that need escaping in JSON, and Vietnamese. */
	char code_a[12], code_b[12], a[24], b[24];
	rand_code(code_a);
	rand_code(code_b);
	const char *wa[] = { code_a, "Phường \"Số 1\" \\ Hải Châu" };
	int64_t ward_a = db_int(PG, "INSERT INTO wards (code, name) VALUES ($1, $2) RETURNING id", 2, wa);
	const char *wb[] = { code_b, "Xã Hòa Vang" };
	int64_t ward_b = db_int(PG, "INSERT INTO wards (code, name) VALUES ($1, $2) RETURNING id", 2, wb);
	snprintf(a, sizeof a, "%lld", (long long)ward_a);
	snprintf(b, sizeof b, "%lld", (long long)ward_b);
	const char *g[] = { a, "Tổ\t\"7\"" };
	int64_t group = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, $2) RETURNING id", 2, g);
	char phone[16];
	rand_phone(phone);
	int64_t id = make_account(&c, PG, ward_a, phone, "Lê \"Tí\" \\ Bé\tnhỏ");
	char ids[24], gs[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(gs, sizeof gs, "%lld", (long long)group);
	const char *rg[] = { ids, a, gs };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role, group_id) VALUES ($1, $2, 'resident', $3)",
			3, rg));
	grant_role(PG, id, ward_b, "volunteer");
	grant_role(PG, id, ward_a, "leader");
	grant_role(PG, id, 0, "admin");

	/* The login reply (parsed and re-encoded by the server) and /me (sent as the database built
	 * it) must both be exactly this. */
	const char *q[] = { ids };
	char *created = db_text(PG,
				"SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
				" FROM accounts WHERE id = $1",
				1, q);
	char login_[24];
	snprintf(login_, sizeof login_, "+84%s", phone + 1);
	json_t *roles = json_pack(
		"[{s:s,s:n,s:n,s:n,s:n,s:n},{s:s,s:I,s:s,s:s,s:n,s:n},{s:s,s:I,s:s,s:s,s:I,s:s},{s:s,s:I,s:s,s:s,s:n,s:n}]",
		"role", "admin", "ward_id", "ward_name", "ward_code", "group_id", "group_name",
		"role", "leader", "ward_id", (json_int_t)ward_a, "ward_name", wa[1], "ward_code", code_a, "group_id",
		"group_name",
		"role", "resident", "ward_id", (json_int_t)ward_a, "ward_name", wa[1], "ward_code", code_a, "group_id",
		(json_int_t)group, "group_name", g[1],
		"role", "volunteer", "ward_id", (json_int_t)ward_b, "ward_name", wb[1], "ward_code", code_b, "group_id",
		"group_name");
	json_t *account = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)id, "login", login_, "login_kind",
				    "phone", "display_name", "Lê \"Tí\" \\ Bé\tnhỏ", "created_at", created, "roles", roles);
	free(created);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *expected = json_pack("{s:O,s:s,s:i}", "account", account, "csrf_token", c.csrf, "unread_notifications", 0);
	char *text = json_dumps(expected, JSON_COMPACT);
	cr_assert_str_eq(r->body, text);
	free(text);
	json_decref(expected);
	resp_free(r);

	client_forget_session(&c);
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", phone, TEST_PASSWORD);
	r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert(json_equal(json_object_get(r->json, "account"), account), "%s", r->body);
	resp_free(r);
	json_decref(account);
	client_cleanup(&c);
}

Test(accounts, role_and_name_changes_are_seen_on_the_next_request)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char phone[16], path[96];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, 0);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	snprintf(path, sizeof path, "/api/v1/admin/accounts?login=%s", phone);
	cr_assert_eq(get_status(&c, path), 403);

	/* Granted in the database (as another server process would): the very next request has it. */
	grant_role(PG, id, 0, "admin");
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	json_t *roles = json_object_get(json_object_get(r->json, "account"), "roles");
	cr_assert_eq(json_array_size(roles), 2, "%s", r->body);
	cr_assert_str_eq(jstr(json_array_get(roles, 0), "role", NULL), "admin");
	cr_assert(json_is_null(json_object_get(json_array_get(roles, 0), "ward_id")));
	resp_free(r);
	cr_assert_eq(get_status(&c, path), 200);

	/* Revoked, and the ward renamed: both seen at once. */
	char ids[24], w[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(w, sizeof w, "%lld", (long long)ward);
	const char *p[] = { ids };
	PQclear(db_exec(PG, "DELETE FROM role_grants WHERE account_id = $1 AND role = 'admin'", 1, p));
	const char *q[] = { w };
	PQclear(db_exec(PG, "UPDATE wards SET name = 'Phường đổi tên' WHERE id = $1", 1, q));
	cr_assert_eq(get_status(&c, path), 403);
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	roles = json_object_get(json_object_get(r->json, "account"), "roles");
	cr_assert_eq(json_array_size(roles), 1, "%s", r->body);
	cr_assert_str_eq(jstr(json_array_get(roles, 0), "ward_name", NULL), "Phường đổi tên");
	resp_free(r);

	/* A session ended in the database (a logout through another server process) ends here too. */
	PQclear(db_exec(PG, "UPDATE sessions SET ended_at = now() WHERE account_id = $1", 1, p));
	cr_assert_eq(get_status(&c, "/api/v1/me"), 401);
	cr_assert_eq(get_status(&c, "/api/v1/me/proposals"), 401);
	client_cleanup(&c);
}
