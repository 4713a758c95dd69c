/*
 * Administration in the browser and the leader's find-a-resident (issue 9), attacked: every new
 * endpoint refused to a resident, a volunteer, a panelist, a leader of another ward, an administrator
 * of another ward, a revoked administrator and an anonymous caller, and each refusal changes nothing;
 * a ward's administrator granting in a ward they do not administer, naming an installation admin, or
 * making a set-up code for someone who also holds a role elsewhere (or for a fellow admin); a leader's
 * lookup crossing wards or showing a whole phone number.
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
	srv_start(&S, NULL, NULL);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(admin_attacks, .init = up, .fini = down, .timeout = 180);

#define S64(v) fmt_path("%lld", (long long)(v))

struct who {
	struct client c;
	int64_t id;
	char phone[16];
	bool anonymous;
};

/* An account of its own address with password TEST_PASSWORD and no role yet. */
static void who_new(struct who *w, int64_t ward, const char *name)
{
	memset(w, 0, sizeof *w);
	client_init(&w->c, &S);
	snprintf(w->c.source_ip, sizeof w->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	rand_phone(w->phone);
	w->id = make_account(&w->c, PG, ward, w->phone, name);
}

static void who_login(struct who *w)
{
	cr_assert_eq(login(&w->c, w->phone, TEST_PASSWORD), 201);
}

static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), ward ? S64(ward) : NULL, role, group ? S64(group) : NULL };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role, group_id) VALUES ($1, $2, $3, $4)", 4,
			p));
}

static long status_of(struct client *c, const char *method, const char *path, json_t *body)
{
	struct resp *r = body ? http_json(c, method, path, body) : http(c, method, path, NULL, NULL);
	long st = r->status;
	if (st >= 400)
		cr_assert(r->json && json_object_get(json_object_get(r->json, "error"), "code"),
			  "%s %s: not the error shape: %s", method, path, r->body);
	resp_free(r);
	return st;
}

/* The fixture: wards A and B, their people, and an account holding roles in both. */
static struct {
	int64_t wa, wb, ga1, ga2, gb;
	struct who inst, adminA, adminB, revoked, leaderA, leaderB, resident, volunteer, panelist, residentB, both,
		adminA2, anon;
} F;

static void fixture(void)
{
	F.wa = seed_ward(PG, &F.ga1);
	F.wb = seed_ward(PG, &F.gb);
	F.ga2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 2') RETURNING id", 1,
		       (const char *[]){ S64(F.wa) });
	struct {
		struct who *w;
		int64_t ward, group;
		const char *role, *name;
	} people[] = {
		{ &F.inst, 0, 0, "admin", "Quản trị hệ thống" },
		{ &F.adminA, F.wa, 0, "admin", "Quản trị A" },
		{ &F.adminB, F.wb, 0, "admin", "Quản trị B" },
		{ &F.revoked, F.wa, 0, "admin", "Quản trị cũ" },
		{ &F.leaderA, F.wa, 0, "leader", "Lãnh đạo A" },
		{ &F.leaderB, F.wb, 0, "leader", "Lãnh đạo B" },
		{ &F.resident, F.wa, F.ga1, "resident", "Nguyễn Thị Lành" },
		{ &F.volunteer, F.wa, 0, "volunteer", "Tình nguyện A" },
		{ &F.panelist, F.wa, 0, "panelist", "Thẩm định A" },
		{ &F.residentB, F.wb, F.gb, "resident", "Trần Văn Lành" },
		{ &F.both, F.wa, 0, "panelist", "Hai phường" },
		{ &F.adminA2, F.wa, 0, "admin", "Quản trị A hai" },
	};
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		who_new(people[i].w, F.wa, people[i].name);
		grant(people[i].w->id, people[i].ward, people[i].group, people[i].role);
		who_login(people[i].w);
	}
	grant(F.both.id, F.wb, 0, "leader");
	/* The revoked admin keeps a live session: the role goes, the cookie stays. */
	PQclear(db_exec(PG, "DELETE FROM role_grants WHERE account_id = $1", 1, (const char *[]){ S64(F.revoked.id) }));
	memset(&F.anon, 0, sizeof F.anon);
	client_init(&F.anon.c, &S);
	F.anon.anonymous = true;
}

static void fixture_cleanup(void)
{
	struct who *all[] = { &F.inst, &F.adminA, &F.adminB, &F.revoked, &F.leaderA, &F.leaderB, &F.resident,
			      &F.volunteer, &F.panelist, &F.residentB, &F.both, &F.adminA2, &F.anon };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		client_cleanup(&all[i]->c);
}

/* The callers who must be refused everything of ward A's administration, and what each gets. */
struct refused {
	struct who *w;
	const char *name;
};

Test(admin_attacks, every_new_endpoint_refuses_the_wrong_caller_and_changes_nothing)
{
	fixture();
	struct refused callers[] = {
		{ &F.anon, "anonymous" },	  { &F.resident, "resident" },	 { &F.volunteer, "volunteer" },
		{ &F.panelist, "panelist" },	  { &F.leaderB, "other leader" }, { &F.adminB, "other ward's admin" },
		{ &F.revoked, "revoked admin" },
	};
	char new_phone[16];
	/* The audit rows of this fixture (other tests of the file run at the same time). */
	const char *ids = fmt_path("{%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld}", (long long)F.inst.id,
				   (long long)F.adminA.id, (long long)F.adminB.id, (long long)F.revoked.id,
				   (long long)F.leaderA.id, (long long)F.leaderB.id, (long long)F.resident.id,
				   (long long)F.volunteer.id, (long long)F.panelist.id, (long long)F.residentB.id,
				   (long long)F.both.id, (long long)F.adminA2.id);
	char ids_copy[512];
	snprintf(ids_copy, sizeof ids_copy, "%s", ids);
	/* B's admin may search accounts (200, B's only): that search is audited (people_searched), by design. */
	const char *mine_sql = "SELECT count(*) FROM audit_log WHERE action <> 'people_searched' AND (ward_id IN ($1, $2)"
			       " OR actor_account_id = ANY ($3::bigint[]) OR subject IN (SELECT 'account:' || unnest($3::bigint[])))";
	char wa_s[24], wb_s[24];
	snprintf(wa_s, sizeof wa_s, "%lld", (long long)F.wa);
	snprintf(wb_s, sizeof wb_s, "%lld", (long long)F.wb);
	const char *mine[] = { wa_s, wb_s, ids_copy };
	long long audit_before = db_int(PG, mine_sql, 3, mine);
	char *ward_name = db_text(PG, "SELECT name FROM wards WHERE id = $1", 1, (const char *[]){ S64(F.wa) });
	for (size_t i = 0; i < sizeof callers / sizeof callers[0]; i++) {
		struct client *c = &callers[i].w->c;
		bool anon = callers[i].w->anonymous, other_admin = callers[i].w == &F.adminB;
		long denied = anon ? 401 : 403;
		const char *who = callers[i].name;
		long st;

		st = status_of(c, "GET", "/api/v1/admin/wards", NULL);
		cr_assert_eq(st, anon ? 401 : other_admin ? 200 : 403, "%s: GET /admin/wards %ld", who, st);
		st = status_of(c, "PATCH", fmt_path("/api/v1/admin/wards/%lld", (long long)F.wa),
			       json_pack("{s:s}", "name", "Phường bị chiếm"));
		cr_assert_eq(st, denied, "%s: rename ward A %ld", who, st);
		st = status_of(c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)F.ga2),
			       json_pack("{s:b}", "retired", 1));
		cr_assert_eq(st, anon ? 401 : other_admin ? 404 : 403, "%s: retire A's group %ld", who, st);
		rand_phone(new_phone);
		st = status_of(c, "POST", "/api/v1/admin/accounts",
			       json_pack("{s:s,s:s,s:[{s:s,s:I}]}", "login", new_phone, "display_name", "Người lạ", "roles",
					 "role", "leader", "ward_id", (json_int_t)F.wa));
		cr_assert_eq(st, denied, "%s: create a leader of A %ld", who, st);
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1,
				    (const char *[]){ fmt_path("+84%s", new_phone + 1) }),
			     0, "%s: the account was created", who);
		st = status_of(c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)F.resident.id), NULL);
		cr_assert_eq(st, anon ? 401 : other_admin ? 404 : 403, "%s: A's resident %ld", who, st);
		st = status_of(c, "GET", "/api/v1/admin/accounts?q=L%C3%A0nh", NULL);
		cr_assert_eq(st, anon ? 401 : other_admin ? 200 : 403, "%s: search %ld", who, st);
		st = status_of(c, "GET", fmt_path("/api/v1/admin/audit.csv?ward_id=%lld", (long long)F.wa), NULL);
		cr_assert_eq(st, denied, "%s: A's audit CSV %ld", who, st);
		st = status_of(c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld&action=role_granted", (long long)F.wa),
			       NULL);
		cr_assert_eq(st, denied, "%s: A's audit, filtered %ld", who, st);
		st = status_of(c, "GET", "/api/v1/admin/audit.csv", NULL);
		cr_assert_eq(st, denied, "%s: the whole audit CSV %ld", who, st);
		st = status_of(c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=L%%C3%%A0nh", (long long)F.wa), NULL);
		cr_assert_eq(st, denied, "%s: A's residents %ld", who, st);
		st = status_of(c, "GET",
			       fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)F.wa, (long long)F.resident.id), NULL);
		cr_assert_eq(st, denied, "%s: A's resident %ld", who, st);
		st = status_of(c, "POST", "/api/v1/admin/roles",
			       json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)F.resident.id, "ward_id",
					 (json_int_t)F.wa, "role", "leader", "reason", "tự phong"));
		cr_assert_eq(st, denied, "%s: grant leader in A %ld", who, st);
		st = status_of(c, "DELETE", "/api/v1/admin/roles",
			       json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)F.leaderA.id, "ward_id",
					 (json_int_t)F.wa, "role", "leader", "reason", "gạt đi"));
		cr_assert_eq(st, denied, "%s: revoke A's leader %ld", who, st);
		st = status_of(c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)F.panelist.id), NULL);
		cr_assert_eq(st, denied, "%s: a code for A's panelist %ld", who, st);
	}
	/* Nothing changed: no account, no audit row, the ward's name and group, the leader's role. */
	cr_assert_eq(db_int(PG, mine_sql, 3, mine), audit_before, "a refused request wrote an audit row");
	char *now_name = db_text(PG, "SELECT name FROM wards WHERE id = $1", 1, (const char *[]){ S64(F.wa) });
	cr_assert_str_eq(now_name, ward_name);
	free(now_name);
	free(ward_name);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM residential_groups WHERE id = $1 AND retired_at IS NULL", 1,
			    (const char *[]){ S64(F.ga2) }),
		     1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1 AND role = 'leader'", 1,
			    (const char *[]){ S64(F.leaderA.id) }),
		     1);
	fixture_cleanup();
}

Test(admin_attacks, another_wards_admin_sees_none_of_this_ward)
{
	fixture();
	struct resp *r = http(&F.adminB.c, "GET", "/api/v1/admin/wards", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(r->json, "wards"), i, w)
		cr_assert_eq(json_integer_value(json_object_get(w, "id")), F.wb, "B's admin listed ward %s", r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "wards")), 1, "%s", r->body);
	resp_free(r);
	/* "Lành" is the name of a resident of A and of one of B: B's admin finds only B's. */
	r = http(&F.adminB.c, "GET", "/api/v1/admin/accounts?q=L%C3%A0nh", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_array_foreach(json_object_get(r->json, "accounts"), i, w)
		cr_assert_neq(json_integer_value(json_object_get(w, "id")), F.resident.id, "%s", r->body);
	cr_assert(strstr(r->body, "Trần Văn Lành") != NULL, "%s", r->body);
	resp_free(r);
	/* The account holding roles in both wards shows B's admin only B's role. */
	r = http(&F.adminB.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)F.both.id), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_array_foreach(json_object_get(json_object_get(r->json, "account"), "roles"), i, w)
		cr_assert_eq(json_integer_value(json_object_get(w, "ward_id")), F.wb, "%s", r->body);
	json_array_foreach(json_object_get(r->json, "recent_events"), i, w)
		cr_assert_eq(json_integer_value(json_object_get(w, "ward_id")), F.wb, "%s", r->body);
	resp_free(r);
	fixture_cleanup();
}

Test(admin_attacks, a_wards_admin_cannot_reach_beyond_the_ward)
{
	fixture();
	struct client *a = &F.adminA.c;
	/* A role in a ward they do not administer, or an installation admin. */
	cr_assert_eq(status_of(a, "POST", "/api/v1/admin/roles",
			       json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)F.resident.id, "ward_id",
					 (json_int_t)F.wb, "role", "leader", "reason", "thử")),
		     403);
	cr_assert_eq(status_of(a, "POST", "/api/v1/admin/roles",
			       json_pack("{s:I,s:s,s:s}", "account_id", (json_int_t)F.resident.id, "role", "admin", "reason",
					 "thử")),
		     403);
	char phone[16];
	rand_phone(phone);
	cr_assert_eq(status_of(a, "POST", "/api/v1/admin/accounts",
			       json_pack("{s:s,s:s,s:[{s:s,s:I},{s:s,s:I}]}", "login", phone, "display_name", "Hai nơi",
					 "roles", "role", "panelist", "ward_id", (json_int_t)F.wa, "role", "leader",
					 "ward_id", (json_int_t)F.wb)),
		     403);
	cr_assert_eq(status_of(a, "POST", "/api/v1/admin/accounts",
			       json_pack("{s:s,s:s,s:[{s:s,s:n}]}", "login", phone, "display_name", "Quản trị mới", "roles",
					 "role", "admin", "ward_id")),
		     403);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1,
			    (const char *[]){ fmt_path("+84%s", phone + 1) }),
		     0);
	/* A set-up code takes over an account: not for one who also leads ward B, not for a fellow admin
	 * who has a password, not for an installation admin; yes for A's own panelist. */
	/* Staff of A who are beyond A's admin say so with a code of their own; B's resident is nobody's here. */
	const int64_t beyond[] = { F.both.id, F.adminA2.id, F.inst.id };
	for (size_t i = 0; i < sizeof beyond / sizeof *beyond; i++) {
		struct resp *r = http(a, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)beyond[i]), NULL, NULL);
		cr_assert_eq(r->status, 403, "%zu: %ld %s", i, r->status, r->body);
		cr_assert_str_eq(err_code(r), "reset_needs_installation_admin", "%zu: %s", i, r->body);
		resp_free(r);
	}
	struct resp *rb = http(a, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)F.residentB.id), NULL, NULL);
	cr_assert_eq(rb->status, 403, "%ld %s", rb->status, rb->body);
	cr_assert_str_eq(err_code(rb), "forbidden", "%s", rb->body);
	resp_free(rb);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id IN ($1, $2, $3, $4)", 4,
			    (const char *[]){ S64(F.both.id), S64(F.adminA2.id), S64(F.inst.id), S64(F.residentB.id) }),
		     0);
	cr_assert_eq(status_of(a, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)F.panelist.id), NULL),
		     201);
	/* ... and that one is audited, by whom and for whom. */
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE actor_account_id = $1 AND subject = 'account:' || $2"
			    " AND action IN ('setup_code_issued', 'password_reset_code_issued')",
			    2, (const char *[]){ S64(F.adminA.id), S64(F.panelist.id) }),
		     1);
	/* Audit rows of another ward, whole or as CSV, and renaming it. */
	cr_assert_eq(status_of(a, "GET", fmt_path("/api/v1/admin/audit.csv?ward_id=%lld", (long long)F.wb), NULL), 403);
	cr_assert_eq(status_of(a, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld", (long long)F.wb), NULL), 403);
	cr_assert_eq(status_of(a, "PATCH", fmt_path("/api/v1/admin/wards/%lld", (long long)F.wb),
			       json_pack("{s:s}", "name", "Phường của tôi")),
		     403);
	cr_assert_eq(status_of(a, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)F.gb),
			       json_pack("{s:s}", "name", "Tổ của tôi")),
		     404);
	/* The person audit of someone of both wards: only ward A's rows. */
	struct resp *r = http(a, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)F.both.id), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(json_object_get(r->json, "account"), "roles"), i, e)
		cr_assert_eq(json_integer_value(json_object_get(e, "ward_id")), F.wa, "%s", r->body);
	resp_free(r);
	fixture_cleanup();
}

Test(admin_attacks, a_leaders_lookup_stays_in_the_ward_and_masks_the_phone)
{
	fixture();
	/* Both residents are named "…Lành"; A's leader finds A's only. */
	struct resp *r = http(&F.leaderA.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=lanh", (long long)F.wa), NULL,
			      NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *list = json_object_get(r->json, "residents");
	cr_assert_eq(json_array_size(list), 1, "%s", r->body);
	json_t *one = json_array_get(list, 0);
	cr_assert_eq(json_integer_value(json_object_get(one, "id")), F.resident.id);
	cr_assert_str_eq(json_string_value(json_object_get(one, "login_masked")), fmt_path("*******%s", F.resident.phone + 7));
	cr_assert(strstr(r->body, F.resident.phone + 1) == NULL, "the whole number shows: %s", r->body);
	resp_free(r);
	/* By B's resident's phone number: nothing. By path, B's resident in A's ward: 404. */
	r = http(&F.leaderA.c, "GET",
		 fmt_path("/api/v1/wards/%lld/residents?q=%s", (long long)F.wa, F.residentB.phone), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "residents")), 0, "%s", r->body);
	resp_free(r);
	cr_assert_eq(status_of(&F.leaderA.c, "GET",
			       fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)F.wa, (long long)F.residentB.id), NULL),
		     404);
	cr_assert_eq(status_of(&F.leaderA.c, "GET",
			       fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)F.wb, (long long)F.residentB.id), NULL),
		     403);
	/* A's panelist is not a resident: not found, and no code. */
	cr_assert_eq(status_of(&F.leaderA.c, "GET",
			       fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)F.wa, (long long)F.panelist.id), NULL),
		     404);
	/* A's resident: shown masked, with may_issue_setup_code, and the code works. */
	r = http(&F.leaderA.c, "GET",
		 fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)F.wa, (long long)F.resident.id), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_true(json_object_get(json_object_get(r->json, "resident"), "may_issue_setup_code")), "%s", r->body);
	cr_assert(strstr(r->body, F.resident.phone + 1) == NULL, "%s", r->body);
	resp_free(r);
	cr_assert_eq(status_of(&F.leaderA.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)F.resident.id),
			       NULL),
		     201);
	/* An administrator is not a leader: the lookup is the leader's. */
	cr_assert_eq(status_of(&F.adminA.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=lanh", (long long)F.wa), NULL),
		     403);
	fixture_cleanup();
}
