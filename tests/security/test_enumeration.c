/*
 * Follow-ups of issue 8: learning about people by trying, and the rules that were left open. Each test
 * replays an attack or a gap against the running server and asserts that it now fails and changes
 * nothing:
 *   - a volunteer trying number after number in "find a resident" to learn the ward's residents
 *     (a budget per volunteer and hour, shared by every server process: 429 too_many_lookups);
 *   - a leader's or administrator's searches of people leaving no trace (now audited, without the
 *     query itself);
 *   - wrong passwords tried before a set-up still counting against the new password;
 *   - the rules text of an open call changed without a recorded revision;
 *   - a draft in a residential group retired meanwhile being submitted (409 group_retired).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
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

TestSuite(enumeration, .init = up, .fini = down, .timeout = 180);

#define S64(v) fmt_path("%lld", (long long)(v))

struct person {
	struct client c;
	int64_t id;
	char phone[16];
};

/* A client with a loopback address of its own, so that other tests' failed logins do not count. */
static void client_own_ip(struct client *c, struct srv *s)
{
	client_init(c, s);
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
}

/* A resident of ward in group, registered through the API, logged in. */
static void resident_new(struct person *p, int64_t ward, int64_t group)
{
	client_own_ip(&p->c, &S);
	rand_phone(p->phone);
	p->id = register_account(&p->c, p->phone, TEST_PASSWORD, ward, group);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

/* An account holding role in ward (0: installation-wide) and no other, logged in. */
static void staff_new(struct person *p, int64_t ward, const char *role, const char *name)
{
	client_own_ip(&p->c, &S);
	rand_phone(p->phone);
	p->id = make_account(&p->c, PG, ward ? ward : seed_ward(PG, NULL), p->phone, name);
	grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

static struct resp *find_resident(struct client *c, int64_t ward, const char *phone, int64_t group)
{
	return http_json(c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)ward),
			 json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Tư", "group_id", (json_int_t)group));
}

static long audit_count(const char *action, int64_t actor)
{
	return db_int(PG, "SELECT count(*) FROM audit_log WHERE action = $1 AND actor_account_id = $2", 2,
		      (const char *[]){ action, S64(actor) });
}

Test(enumeration, a_volunteer_cannot_try_numbers_beyond_the_hourly_budget)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, v2, r;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	staff_new(&v2, ward, "volunteer", "Tình nguyện viên hai");
	resident_new(&r, ward, group);
	int64_t t0 = (int64_t)time(NULL);
	v.c.now = t0;
	/* The default budget: 30 lookups an hour, whatever they find. */
	for (int i = 0; i < 30; i++) {
		struct resp *x = find_resident(&v.c, ward, r.phone, group);
		cr_assert_eq(x->status, 200, "lookup %d: %ld %s", i + 1, x->status, x->body);
		resp_free(x);
	}
	cr_assert_eq(audit_count("resident_found_by_volunteer", v.id), 30);
	/* The 31st, for a known number or a new one: 429, Retry-After, nothing found, made or audited. */
	char fresh[16];
	rand_phone(fresh);
	const char *numbers[] = { r.phone, fresh };
	for (int i = 0; i < 2; i++) {
		struct resp *x = find_resident(&v.c, ward, numbers[i], group);
		cr_assert_eq(x->status, 429, "%ld %s", x->status, x->body);
		cr_assert_str_eq(err_code(x), "too_many_lookups", "%s", x->body);
		char retry[32];
		cr_assert(resp_header(x, "Retry-After", retry, sizeof retry), "no Retry-After");
		cr_assert(atol(retry) >= 3590 && atol(retry) <= 3600, "Retry-After %s", retry);
		cr_assert_null(strstr(x->body, "\"initials\""), "%s", x->body);
		resp_free(x);
	}
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1,
			    (const char *[]){ fmt_path("+84%s", fresh + 1) }),
		     0, "an account was made past the budget");
	cr_assert_eq(audit_count("resident_found_by_volunteer", v.id), 30);
	cr_assert_eq(audit_count("resident_created_by_volunteer", v.id), 0);
	/* The count is in the database: a second server process refuses too. */
	struct srv S2;
	srv_start(&S2, NULL, NULL);
	v.c.srv = &S2;
	struct resp *x = find_resident(&v.c, ward, r.phone, group);
	cr_assert_eq(x->status, 429, "another process: %ld %s", x->status, x->body);
	resp_free(x);
	v.c.srv = &S;
	srv_stop(&S2);
	/* Another volunteer has a budget of their own; the first one's comes back after the hour. */
	x = find_resident(&v2.c, ward, r.phone, group);
	cr_assert_eq(x->status, 200, "%ld %s", x->status, x->body);
	resp_free(x);
	v.c.now = t0 + 3601;
	cr_assert_eq(login(&v.c, v.phone, TEST_PASSWORD), 201); /* the session went idle meanwhile */
	x = find_resident(&v.c, ward, r.phone, group);
	cr_assert_eq(x->status, 200, "after the hour: %ld %s", x->status, x->body);
	resp_free(x);
	client_cleanup(&v.c);
	client_cleanup(&v2.c);
	client_cleanup(&r.c);
}

struct lookup_burst {
	struct client c;
	int64_t ward, group;
	const char *phone;
	int ok, refused, other;
};

static void *lookup_twice(void *arg)
{
	struct lookup_burst *b = arg;
	for (int i = 0; i < 2; i++) {
		struct resp *x = find_resident(&b->c, b->ward, b->phone, b->group);
		if (x->status == 200)
			b->ok++;
		else if (x->status == 429 && !strcmp(err_code(x), "too_many_lookups"))
			b->refused++;
		else
			b->other++;
		resp_free(x);
	}
	return NULL;
}

Test(enumeration, concurrent_lookups_cannot_share_the_last_one)
{
	/* A server with --resident-lookups 5; eight sessions of one volunteer, two lookups each, at once. */
	struct srv s5;
	const char *env[] = { "SANGKIEN_RESIDENT_LOOKUPS=5", NULL };
	srv_start(&s5, NULL, env);
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, r;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	resident_new(&r, ward, group);
	struct lookup_burst b[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		memset(&b[i], 0, sizeof b[i]);
		client_own_ip(&b[i].c, &s5);
		cr_assert_eq(login(&b[i].c, v.phone, TEST_PASSWORD), 201);
		b[i].ward = ward;
		b[i].group = group;
		b[i].phone = r.phone;
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, lookup_twice, &b[i]), 0);
	int ok = 0, refused = 0, other = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += b[i].ok;
		refused += b[i].refused;
		other += b[i].other;
		client_cleanup(&b[i].c);
	}
	srv_stop(&s5);
	cr_assert_eq(other, 0);
	cr_assert_eq(ok, 5, "%d lookups answered with a budget of 5 (%d refused)", ok, refused);
	cr_assert_eq(refused, 11);
	cr_assert_eq(audit_count("resident_found_by_volunteer", v.id), 5);
	client_cleanup(&v.c);
	client_cleanup(&r.c);
}

Test(enumeration, searches_of_people_are_audited_without_the_query)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person l, a, inst, r;
	staff_new(&l, ward, "leader", "Trưởng khu phố");
	staff_new(&a, ward, "admin", "Quản trị phường");
	staff_new(&inst, 0, "admin", "Quản trị hệ thống");
	resident_new(&r, ward, group);
	/* The leader's "find a resident" by phone, then by name; viewing one resident. */
	struct resp *x = http(&l.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=%s", (long long)ward, r.phone), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	cr_assert_eq(json_array_size(json_object_get(x->json, "residents")), 1, "%s", x->body);
	resp_free(x);
	x = http(&l.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=Nguy%%E1%%BB%%85n", (long long)ward), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	resp_free(x);
	x = http(&l.c, "GET", fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)ward, (long long)r.id), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	resp_free(x);
	/* The administrators' account search. */
	x = http(&a.c, "GET", fmt_path("/api/v1/admin/accounts?q=%s", r.phone + 3), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	resp_free(x);
	x = http(&inst.c, "GET", "/api/v1/admin/accounts?q=someone%40example.org", NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	resp_free(x);
	/* A lookup of one exact login is a search too, found or not. */
	x = http(&a.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", r.phone), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	resp_free(x);
	x = http(&a.c, "GET", "/api/v1/admin/accounts?login=0999999999", NULL, NULL);
	cr_assert_eq(x->status, 404, "%s", x->body);
	resp_free(x);

	cr_assert_eq(audit_count("people_searched", l.id), 2);
	cr_assert_eq(audit_count("resident_viewed", l.id), 1);
	cr_assert_eq(audit_count("people_searched", a.id), 3);
	cr_assert_eq(audit_count("people_searched", inst.id), 1);
	const char *kinds_sql = "SELECT string_agg(subject || ':' || coalesce(ward_id::text, '-') || ':' || (detail->>'query_kind')"
				" || ':' || (detail->>'results'), ',' ORDER BY id) FROM audit_log"
				" WHERE action = 'people_searched' AND actor_account_id IN ($1, $2, $3)";
	char *kinds = db_text(PG, kinds_sql, 3, (const char *[]){ S64(l.id), S64(a.id), S64(inst.id) });
	char want[512];
	snprintf(want, sizeof want,
		 "residents:%lld:phone:1,residents:%lld:name:0,accounts:%lld:phone:1,accounts:-:email:0,"
		 "accounts:%lld:login:1,accounts:%lld:login:0",
		 (long long)ward, (long long)ward, (long long)ward, (long long)ward, (long long)ward);
	cr_assert_str_eq(kinds, want);
	free(kinds);
	/* Neither the number, nor its digits, nor the name or email typed is in the log; the hash is keyed. */
	char digits[16];
	snprintf(digits, sizeof digits, "%s", r.phone + 1);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'people_searched' AND actor_account_id IN ($1, $2, $3)"
			    " AND (detail::text LIKE '%' || $4 || '%' OR detail::text ILIKE '%nguy%' OR detail::text LIKE '%example%'"
			    "  OR coalesce(subject, '') LIKE '%' || $4 || '%'"
			    "  OR length(detail->>'query_hash') <> 64)",
			    4, (const char *[]){ S64(l.id), S64(a.id), S64(inst.id), digits + 3 }),
		     0);
	client_cleanup(&l.c);
	client_cleanup(&a.c);
	client_cleanup(&inst.c);
	client_cleanup(&r.c);
}

static long redeem(struct client *c, const char *login_, const char *code, const char *password)
{
	struct resp *r = http_json(c, "POST", "/api/v1/accounts/password-setup",
				   json_pack("{s:s,s:s,s:s}", "login", login_, "code", code, "password", password));
	long st = r->status;
	resp_free(r);
	return st;
}

Test(enumeration, a_set_up_forgets_the_wrong_passwords_tried_before)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person l, r;
	staff_new(&l, ward, "leader", "Trưởng khu phố");
	resident_new(&r, ward, group);
	/* The owner forgets the password: four wrong tries from the phone (address X). */
	struct client x;
	client_own_ip(&x, &S);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(login(&x, r.phone, "không phải mật khẩu"), 401);
	/* The leader makes a set-up code; the owner sets a new password from X. */
	struct resp *c = http(&l.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)r.id), NULL, NULL);
	cr_assert_eq(c->status, 201, "%s", c->body);
	char code[16];
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(json_object_get(c->json, "setup_code"), "code")));
	resp_free(c);
	const char *fresh = "mật khẩu mới của chủ 2026";
	cr_assert_eq(redeem(&x, r.phone, code, fresh), 204);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM auth_failures WHERE login_key = auth_login_key($1)", 1,
			    (const char *[]){ fmt_path("+84%s", r.phone + 1) }),
		     0, "the failures before the set-up are still counted");
	/* One slip with the new password, then the right one: let in (before, 4 + 1 blocked X). */
	cr_assert_eq(login(&x, r.phone, "mật khẩu mới của chủ"), 401);
	cr_assert_eq(login(&x, r.phone, fresh), 201);
	client_cleanup(&x);
	client_cleanup(&l.c);
	client_cleanup(&r.c);
}

Test(enumeration, an_open_calls_rules_change_only_by_a_recorded_revision)
{
	int64_t group, ward = seed_ward(PG, &group);
	/* A call that has opened, written directly (the API's own paths are covered by api-campaign_lifecycle). */
	int64_t cid = db_int(PG,
			     "INSERT INTO campaigns (ward_id, title, description, rules, opens_at, closes_at, state, config_digest)"
			     " VALUES ($1, 'Chuyển đổi số', 'Đề xuất', 'Mỗi hộ một đề xuất.', now() - interval '1 day',"
			     " now() + interval '1 day', 'open', repeat('0', 64)) RETURNING id",
			     1, (const char *[]){ S64(ward) });
	/* A change with no revision, as any path that forgot one would make it: refused. */
	PGresult *res = PQexecParams(PG, "UPDATE campaigns SET rules = 'Mỗi hộ ba đề xuất.' WHERE id = $1", 1, NULL,
				     (const char *[]){ S64(cid) }, NULL, NULL, 0);
	cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "the rules of an open call changed silently");
	cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23514");
	PQclear(res);
	/* With its revision first, in the same transaction: allowed, and public. */
	db_exec(PG, "BEGIN", 0, NULL);
	db_exec(PG,
		"INSERT INTO campaign_revisions (ward_id, campaign_id, fields, old_text, new_text, edited_at)"
		" VALUES ($1, $2, '{rules}', '{\"rules\": \"Mỗi hộ một đề xuất.\"}', '{\"rules\": \"Mỗi hộ hai đề xuất.\"}', now())",
		2, (const char *[]){ S64(ward), S64(cid) });
	db_exec(PG, "UPDATE campaigns SET rules = 'Mỗi hộ hai đề xuất.' WHERE id = $1", 1, (const char *[]){ S64(cid) });
	db_exec(PG, "COMMIT", 0, NULL);
	/* The same revision does not cover a second change. */
	res = PQexecParams(PG, "UPDATE campaigns SET rules = 'Mỗi hộ một đề xuất.' WHERE id = $1", 1, NULL,
			   (const char *[]){ S64(cid) }, NULL, NULL, 0);
	cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "a second change rode on the first revision");
	PQclear(res);
	char *rules = db_text(PG, "SELECT rules FROM campaigns WHERE id = $1", 1, (const char *[]){ S64(cid) });
	cr_assert_str_eq(rules, "Mỗi hộ hai đề xuất.");
	free(rules);
	struct client anon;
	client_init(&anon, &S);
	struct resp *x = http(&anon, "GET", fmt_path("/api/v1/campaigns/%lld", (long long)cid), NULL, NULL);
	cr_assert_eq(x->status, 200, "%s", x->body);
	cr_assert(strstr(x->body, "\"rules\"") != NULL && strstr(x->body, "\"revisions\"") != NULL, "%s", x->body);
	resp_free(x);
	client_cleanup(&anon);
}

Test(enumeration, a_draft_in_a_retired_group_is_not_submitted)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t group2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ chuyển đến') RETURNING id", 1,
				(const char *[]){ S64(ward) });
	struct person r;
	resident_new(&r, ward, group);
	int64_t cid = db_int(PG,
			     "INSERT INTO campaigns (ward_id, title, description, rules, opens_at, closes_at, state, config_digest)"
			     " VALUES ($1, 'Chuyển đổi số', 'Đề xuất', 'Quy chế', now() - interval '1 day',"
			     " now() + interval '1 day', 'open', repeat('0', 64)) RETURNING id",
			     1, (const char *[]){ S64(ward) });
	struct resp *x = http_json(
		&r.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
		json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:[s]}", "group_id", (json_int_t)group, "title",
			  "Wifi cho nhà văn hoá", "summary", "Lắp wifi", "problem", "Không có mạng", "model", "Mô hình",
			  "beneficiaries", "Cả tổ", "households", 40, "resources", "Hai tình nguyện viên", "cost_vnd",
			  (json_int_t)5000000, "tags", "số hoá"));
	cr_assert_eq(x->status, 201, "%s", x->body);
	int64_t pid = json_integer_value(json_object_get(json_object_get(x->json, "proposal"), "id"));
	resp_free(x);
	db_exec(PG, "UPDATE residential_groups SET retired_at = now() WHERE id = $1", 1, (const char *[]){ S64(group) });
	x = http(&r.c, "POST", fmt_path("/api/v1/proposals/%lld/submit", (long long)pid), NULL, NULL);
	cr_assert_eq(x->status, 409, "%ld %s", x->status, x->body);
	cr_assert_str_eq(err_code(x), "group_retired", "%s", x->body);
	resp_free(x);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND status = 'draft'", 1,
			    (const char *[]){ S64(pid) }),
		     1);
	/* Moved to a group in use, it goes in. */
	db_exec(PG, "UPDATE proposals SET group_id = $2 WHERE id = $1", 2, (const char *[]){ S64(pid), S64(group2) });
	x = http(&r.c, "POST", fmt_path("/api/v1/proposals/%lld/submit", (long long)pid), NULL, NULL);
	cr_assert_eq(x->status, 200, "%ld %s", x->status, x->body);
	resp_free(x);
	client_cleanup(&r.c);
}
