/*
 * Issue 8, parts 1 and 2: what a ward volunteer could do to accounts that are not theirs. Each test
 * replays one attack found against the running server and asserts that it now fails and changes
 * nothing:
 *   - taking over a registered resident (find them, record a "consent" on a one-line draft, make a
 *     set-up code, set a password of one's choosing);
 *   - taking over an account that ANOTHER volunteer made, or one whose owner already set a password;
 *   - consent used as a key to the resident's account;
 *   - "find a resident" reaching across wards (a resident and a leader of ward 2), revealing names,
 *     and adding a resident role or a residential group to an existing account;
 *   - creating a second account for a number registered elsewhere (409 registered_elsewhere).
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

TestSuite(volunteer, .init = up, .fini = down, .timeout = 120);

#define S64(v) fmt_path("%lld", (long long)(v))
#define ATTACKER_PASSWORD "mật khẩu của kẻ chiếm"

struct person {
	struct client c;
	int64_t id;
	char phone[16];
};

/* A client with a loopback address of its own, so that other tests' failed logins do not count. */
static void client_own_ip(struct client *c)
{
	client_init(c, &S);
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
}

/* Registers an account in ward (resident of group), grants role there when not NULL, logs it in. */
static void person_new(struct person *p, int64_t ward, int64_t group, const char *role)
{
	client_own_ip(&p->c);
	rand_phone(p->phone);
	p->id = register_account(&p->c, p->phone, TEST_PASSWORD, ward, group);
	if (role)
		grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

/* An account that is not a resident anywhere, holding role in ward, logged in. */
static void staff_new(struct person *p, int64_t ward, const char *role, const char *name)
{
	client_own_ip(&p->c);
	rand_phone(p->phone);
	p->id = make_account(&p->c, PG, ward, p->phone, name);
	grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

static struct resp *find_resident(struct client *c, int64_t ward, const char *phone, const char *name, int64_t group)
{
	return http_json(c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)ward),
			 json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", name, "group_id", (json_int_t)group));
}

/* A volunteer creates a new resident (no password) in the assisted flow; returns its id. */
static int64_t assisted_new(struct person *v, int64_t ward, int64_t group, char phone[16])
{
	rand_phone(phone);
	struct resp *r = find_resident(&v->c, ward, phone, "Bà Tư", group);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	return id;
}

static struct resp *issue(struct client *c, int64_t account)
{
	return http(c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)account), NULL, NULL);
}

/* Issues a code as c, asserting 201; copies "1234 5678" into code. */
static void issue_ok(struct client *c, int64_t account, char code[16])
{
	struct resp *r = issue(c, account);
	cr_assert_eq(r->status, 201, "%s", r->body);
	snprintf(code, 16, "%s",
		 json_string_value(json_object_get(json_object_get(r->json, "setup_code"), "code")));
	resp_free(r);
}

static void expect_forbidden(struct client *c, int64_t account, const char *what)
{
	struct resp *r = issue(c, account);
	cr_assert_eq(r->status, 403, "%s: %ld %s", what, r->status, r->body);
	cr_assert_str_eq(err_code(r), "forbidden", "%s: %s", what, r->body);
	resp_free(r);
}

static long redeem(const char *login_, const char *code, const char *password)
{
	struct client c;
	client_own_ip(&c);
	struct resp *r = http_json(&c, "POST", "/api/v1/accounts/password-setup",
				   json_pack("{s:s,s:s,s:s}", "login", login_, "code", code, "password", password));
	long st = r->status;
	resp_free(r);
	client_cleanup(&c);
	return st;
}

static long long live_codes(int64_t account)
{
	const char *p[] = { S64(account) };
	return db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
		      1, p);
}

static long long codes(int64_t account)
{
	const char *p[] = { S64(account) };
	return db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1", 1, p);
}

/* A call of ward, open now, made by leader. */
static int64_t open_call(struct client *leader, int64_t ward)
{
	char o[32], c[32];
	time_t t = time(NULL) - 3600, u = time(NULL) + 86400;
	struct tm tm;
	strftime(o, sizeof o, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	strftime(c, sizeof c, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&u, &tm));
	struct resp *r = http_json(leader, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
				   json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến số 2026", "opens_at", o, "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = json_integer_value(json_object_get(json_object_get(r->json, "campaign"), "id"));
	resp_free(r);
	r = http_json(leader, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)id),
		      json_pack("{s:s}", "to", "open"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	return id;
}

/* The attack's second step: a one-line draft for the resident "with consent". */
static void draft_with_consent(struct client *v, int64_t call, int64_t resident)
{
	struct resp *r = http_json(v, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)call),
				   json_pack("{s:s,s:I,s:{s:s,s:b}}", "title", "x", "on_behalf_of", (json_int_t)resident,
					     "consent", "text_version", "v1", "given", 1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
}

/* Part 1: find a registered resident, draft "with consent", make a code, set a password: refused. */
Test(volunteer, cannot_take_over_a_registered_resident)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, leader, victim;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	staff_new(&leader, ward, "leader", "Tổ trưởng");
	person_new(&victim, ward, group, NULL);
	int64_t call = open_call(&leader.c, ward);

	struct resp *r = find_resident(&v.c, ward, victim.phone, "Bất kỳ", group);
	cr_assert_eq(r->status, 200, "the resident is found: %s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "account"), "id")), victim.id);
	cr_assert(json_is_false(json_object_get(r->json, "may_issue_setup_code")), "%s", r->body);
	resp_free(r);
	draft_with_consent(&v.c, call, victim.id);
	expect_forbidden(&v.c, victim.id, "a registered resident, with a consent on record");
	cr_assert_eq(codes(victim.id), 0, "no code was made");

	/* The victim is untouched: same password, session alive. */
	r = http(&victim.c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "the victim's session lives: %s", r->body);
	resp_free(r);
	struct client again;
	client_own_ip(&again);
	cr_assert_eq(login(&again, victim.phone, TEST_PASSWORD), 201);
	client_cleanup(&again);
	client_cleanup(&v.c);
	client_cleanup(&leader.c);
	client_cleanup(&victim.c);
}

/* Part 1: an account made by another volunteer of the ward, even with a consent on record: refused. */
Test(volunteer, cannot_take_over_an_account_another_volunteer_made)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v1, v2, leader;
	staff_new(&v1, ward, "volunteer", "Tình nguyện viên Một");
	staff_new(&v2, ward, "volunteer", "Tình nguyện viên Hai");
	staff_new(&leader, ward, "leader", "Tổ trưởng");
	int64_t call = open_call(&leader.c, ward);
	char phone[16];
	int64_t resident = assisted_new(&v1, ward, group, phone);

	struct resp *r = find_resident(&v2.c, ward, phone, "Bà Tư", group);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_false(json_object_get(r->json, "may_issue_setup_code")), "%s", r->body);
	resp_free(r);
	expect_forbidden(&v2.c, resident, "another volunteer's resident");
	draft_with_consent(&v2.c, call, resident);
	expect_forbidden(&v2.c, resident, "another volunteer's resident, with a consent on record");
	cr_assert_eq(codes(resident), 0);
	/* Its maker still may, and the reply says so. */
	r = find_resident(&v1.c, ward, phone, "Bà Tư", group);
	cr_assert(json_is_true(json_object_get(r->json, "may_issue_setup_code")), "%s", r->body);
	resp_free(r);
	char code[16];
	issue_ok(&v1.c, resident, code);
	client_cleanup(&v1.c);
	client_cleanup(&v2.c);
	client_cleanup(&leader.c);
}

/*
 * Part 1: once the owner has set a password, the volunteer who made the account cannot make another
 * code, and a code they made earlier stops working. A leader still can (for a forgotten password),
 * and that issue and its redemption are audited under their own names.
 */
Test(volunteer, cannot_take_over_an_account_whose_owner_set_a_password)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, leader;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	staff_new(&leader, ward, "leader", "Tổ trưởng");
	char phone[16], code[16], late[16];
	int64_t resident = assisted_new(&v, ward, group, phone);
	issue_ok(&v.c, resident, code);
	cr_assert_eq(redeem(phone, code, TEST_PASSWORD), 204, "the owner sets a password");

	expect_forbidden(&v.c, resident, "the owner has a password");
	struct resp *r = find_resident(&v.c, ward, phone, "Bà Tư", group);
	cr_assert(json_is_false(json_object_get(r->json, "may_issue_setup_code")), "%s", r->body);
	resp_free(r);
	cr_assert_eq(live_codes(resident), 0);

	/* A volunteer's code made before the account got a password (here: set outside the flow). */
	char phone2[16];
	int64_t resident2 = assisted_new(&v, ward, group, phone2);
	issue_ok(&v.c, resident2, late);
	const char *hp[] = { S64(resident), S64(resident2) };
	PQclear(db_exec(PG, "UPDATE accounts SET password_hash = (SELECT password_hash FROM accounts WHERE id = $1)"
			    " WHERE id = $2", 2, hp));
	cr_assert_eq(redeem(phone2, late, ATTACKER_PASSWORD), 401, "a volunteer's code cannot replace a password");
	struct client owner;
	client_own_ip(&owner);
	cr_assert_eq(login(&owner, phone2, TEST_PASSWORD), 201, "the password stays");

	/* The leader's reset is audited as a reset, issue and redemption. */
	issue_ok(&leader.c, resident, code);
	const char *p[] = { fmt_path("account:%lld", (long long)resident), S64(leader.id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'password_reset_code_issued'"
				" AND subject = $1 AND actor_account_id = $2", 2, p), 1);
	cr_assert_eq(redeem(phone, code, "mật khẩu mới sau khi quên"), 204);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'password_reset_with_code' AND subject = $1",
			    1, p), 1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'password_set_with_code' AND subject = $1",
			    1, p), 1, "the first set-up stays a set-up");
	client_cleanup(&owner);
	client_cleanup(&v.c);
	client_cleanup(&leader.c);
}

/* Part 1: a consent on record is no key to the account, even for the volunteer who recorded it. */
Test(volunteer, consent_is_not_a_key)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person v, resident;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	person_new(&resident, ward, group, NULL);
	const char *p[] = { S64(ward), S64(resident.id), S64(v.id) };
	PQclear(db_exec(PG, "INSERT INTO consents (ward_id, resident_id, volunteer_id, text_version, consented_at)"
			    " VALUES ($1, $2, $3, 'v1', now())", 3, p));
	/* Even a resident without a password yet, found (not made) by this volunteer. */
	const char *q[] = { S64(resident.id) };
	PQclear(db_exec(PG, "UPDATE accounts SET password_hash = NULL WHERE id = $1", 1, q));
	expect_forbidden(&v.c, resident.id, "consent on record");
	cr_assert_eq(codes(resident.id), 0);
	client_cleanup(&v.c);
	client_cleanup(&resident.c);
}

/* Part 2: a resident and a leader of ward 2 are not found from ward 1, and get nothing in ward 1. */
Test(volunteer, lookup_does_not_cross_wards)
{
	int64_t group, ward = seed_ward(PG, &group), group2, ward2 = seed_ward(PG, &group2);
	struct person v, far_resident, far_leader, own_leader;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	person_new(&far_resident, ward2, group2, NULL);
	staff_new(&far_leader, ward2, "leader", "Chủ tịch Phường Hai");
	staff_new(&own_leader, ward, "leader", "Chủ tịch Phường Một"); /* not a resident of ward 1 either */
	struct person *targets[] = { &far_resident, &far_leader, &own_leader };
	char first_message[512] = "";
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const char *p[] = { S64(targets[i]->id) };
		long long grants = db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1", 1, p);
		struct resp *r = find_resident(&v.c, ward, targets[i]->phone, "Tên tự đặt", group);
		cr_assert_eq(r->status, 409, "target %zu: %ld %s", i, r->status, r->body);
		cr_assert_str_eq(err_code(r), "registered_elsewhere", "%s", r->body);
		cr_assert_null(strstr(r->body, "Phường Hai"), "%s", r->body);
		cr_assert_null(strstr(r->body, "Chủ tịch"), "%s", r->body);
		cr_assert_null(strstr(r->body, "leader"), "%s", r->body);
		const char *msg = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
		if (i == 0)
			snprintf(first_message, sizeof first_message, "%s", msg);
		else
			cr_assert_str_eq(msg, first_message, "the same answer for everyone elsewhere");
		resp_free(r);
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1", 1, p), grants,
			     "target %zu got a role", i);
		const char *q[] = { S64(targets[i]->id), S64(ward) };
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1 AND ward_id = $2"
					" AND role = 'resident'", 2, q), 0);
		expect_forbidden(&v.c, targets[i]->id, "someone of another ward");
	}
	client_cleanup(&v.c);
	client_cleanup(&far_resident.c);
	client_cleanup(&far_leader.c);
	client_cleanup(&own_leader.c);
}

/* Part 2: the lookup shows initials and the group, never the name or the login; it changes no group. */
Test(volunteer, lookup_reveals_initials_and_changes_no_group)
{
	int64_t group, ward = seed_ward(PG, &group);
	const char *gp[] = { S64(ward) };
	int64_t group_b = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ 7') RETURNING id", 1, gp);
	struct person v, resident;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	client_own_ip(&resident.c);
	rand_phone(resident.phone);
	resident.id = make_account(&resident.c, PG, ward, resident.phone, "Nguyễn Thị Lành");
	const char *p[] = { S64(resident.id), S64(ward), S64(group) };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role, group_id) VALUES ($1, $2, 'resident', $3)",
			3, p));
	char *group_name = db_text(PG, "SELECT name FROM residential_groups WHERE id = $1", 1, p + 2);

	struct resp *r = find_resident(&v.c, ward, resident.phone, "Tên khác hẳn", group_b);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *a = json_object_get(r->json, "account");
	cr_assert_eq(json_integer_value(json_object_get(a, "id")), resident.id);
	cr_assert_str_eq(json_string_value(json_object_get(a, "initials")), "N. T. L.", "%s", r->body);
	cr_assert_eq(json_integer_value(json_object_get(a, "group_id")), group, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(a, "group_name")), group_name, "%s", r->body);
	cr_assert(json_is_false(json_object_get(r->json, "created")));
	cr_assert_null(json_object_get(a, "display_name"), "%s", r->body);
	cr_assert_null(strstr(r->body, "Lành"), "%s", r->body);
	cr_assert_null(strstr(r->body, "Tên khác"), "%s", r->body);
	cr_assert_null(strstr(r->body, resident.phone + 1), "no login: %s", r->body);
	resp_free(r);
	free(group_name);
	const char *q[] = { S64(resident.id), S64(group) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1", 1, q), 1, "no role added");
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1 AND group_id = $2", 2, q), 1,
		     "the group did not change");
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE id = $1 AND display_name = 'Nguyễn Thị Lành'", 1, q),
		     1, "the name did not change");
	client_cleanup(&v.c);
	client_cleanup(&resident.c);
}

/* Part 2: no second account for a number registered elsewhere; nothing written but the audit row. */
Test(volunteer, registered_elsewhere_is_refused_and_audited)
{
	int64_t group, ward = seed_ward(PG, &group), group2, ward2 = seed_ward(PG, &group2);
	struct person v, far;
	staff_new(&v, ward, "volunteer", "Tình nguyện viên");
	person_new(&far, ward2, group2, NULL);
	const char *p[] = { fmt_path("+84%s", far.phone + 1) };
	char name[64];
	snprintf(name, sizeof name, "Người mới %s", far.phone);
	struct resp *r = find_resident(&v.c, ward, far.phone, name, group);
	cr_assert_eq(r->status, 409, "%s", r->body);
	cr_assert_str_eq(err_code(r), "registered_elsewhere");
	cr_assert(json_is_null(json_object_get(json_object_get(r->json, "error"), "field")) ||
			  !strcmp(json_string_value(json_object_get(json_object_get(r->json, "error"), "field")), "phone"),
		  "%s", r->body);
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p), 1);
	const char *n[] = { name };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE display_name = $1", 1, n), 0, "no account made");
	const char *q[] = { S64(v.id), fmt_path("account:%lld", (long long)far.id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'resident_lookup_refused'"
				" AND actor_account_id = $1 AND subject = $2", 2, q), 1);
	client_cleanup(&v.c);
	client_cleanup(&far.c);
}
