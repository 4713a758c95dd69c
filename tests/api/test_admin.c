/*
 * Administration through the API (issue 9): wards and residential groups (list, create, rename, retire:
 * a retired group takes no new resident or proposal but keeps its history), accounts (search by name,
 * phone or email; create with roles and a set-up code that works; roles and recent audit of one),
 * role grants and revokes with a reason in the audit row, the audit log's filters, pages and CSV, and
 * a leader's find-a-resident with the resident's proposals.
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

TestSuite(admin, .init = up, .fini = down, .timeout = 180);

#define S64(v) fmt_path("%lld", (long long)(v))

static json_t *jget(json_t *o, const char *k)
{
	return json_object_get(o, k);
}

static int64_t jint(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

struct who {
	struct client c;
	int64_t id;
	char phone[16];
};

/* An account of its own address, holding role in ward (0: installation-wide), logged in. */
static void who_new(struct who *w, int64_t ward, const char *role, const char *name)
{
	memset(w, 0, sizeof *w);
	client_init(&w->c, &S);
	snprintf(w->c.source_ip, sizeof w->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	rand_phone(w->phone);
	w->id = make_account(&w->c, PG, ward, w->phone, name);
	grant_role(PG, w->id, !strcmp(role, "admin") ? 0 : ward, role);
	cr_assert_eq(login(&w->c, w->phone, TEST_PASSWORD), 201);
}

static struct resp *must(struct resp *r, long status)
{
	cr_assert_eq(r->status, status, "expected %ld, got %ld: %s", status, r->status, r->body);
	return r;
}

Test(admin, wards_and_groups_are_listed_created_renamed_and_retired)
{
	struct who inst;
	int64_t g0;
	int64_t w0 = seed_ward(PG, &g0);
	who_new(&inst, w0, "admin", "Quản trị");
	char code[12];
	rand_code(code);
	struct resp *r = must(http_json(&inst.c, "POST", "/api/v1/admin/wards",
					json_pack("{s:s,s:s}", "code", code, "name", "Phường Mới")),
			      201);
	int64_t ward = jint(jget(r->json, "ward"), "id");
	resp_free(r);
	int64_t groups[2];
	const char *names[2] = { "Tổ 1", "Tổ 2" };
	for (int i = 0; i < 2; i++) {
		r = must(http_json(&inst.c, "POST", fmt_path("/api/v1/admin/wards/%lld/groups", (long long)ward),
				   json_pack("{s:s}", "name", names[i])),
			 201);
		groups[i] = jint(jget(r->json, "group"), "id");
		resp_free(r);
	}
	/* Rename the ward and group 1; a taken name is refused. */
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/wards/%lld", (long long)ward),
			   json_pack("{s:s}", "name", "Phường Hòa Bình")),
		 200);
	resp_free(r);
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)groups[0]),
			   json_pack("{s:s}", "name", "Tổ dân phố Một")),
		 200);
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "group"), "name")), "Tổ dân phố Một");
	resp_free(r);
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)groups[1]),
			   json_pack("{s:s}", "name", "Tổ dân phố Một")),
		 409);
	cr_assert_str_eq(err_code(r), "group_name_taken");
	resp_free(r);
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)groups[1]), json_object()),
		 400);
	resp_free(r);
	r = must(http_json(&inst.c, "PATCH", "/api/v1/admin/groups/999999999", json_pack("{s:b}", "retired", 1)), 404);
	resp_free(r);

	/* A resident registers in group 2; then group 2 is retired. */
	struct client anon;
	client_init(&anon, &S);
	char p1[16];
	rand_phone(p1);
	int64_t res1 = register_account(&anon, p1, TEST_PASSWORD, ward, groups[1]);
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)groups[1]),
			   json_pack("{s:b}", "retired", 1)),
		 200);
	cr_assert(json_is_string(jget(jget(r->json, "group"), "retired_at")), "%s", r->body);
	resp_free(r);
	/* No new resident in it (registration), not offered by the public list, still on old records. */
	char p2[16];
	rand_phone(p2);
	r = must(http_json(&anon, "POST", "/api/v1/accounts",
			   json_pack("{s:s,s:s,s:s,s:I,s:I}", "login", p2, "password", TEST_PASSWORD, "display_name", "Mới",
				     "ward_id", (json_int_t)ward, "group_id", (json_int_t)groups[1])),
		 400);
	cr_assert_str_eq(err_code(r), "invalid_field");
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "group_id");
	resp_free(r);
	/* Nor a new grant in it written directly. */
	PGresult *q = PQexecParams(PG,
				   "INSERT INTO role_grants (account_id, ward_id, role, group_id) VALUES ($1, $2, 'resident', $3)",
				   3, NULL, (const char *[]){ S64(inst.id), S64(ward), S64(groups[1]) }, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(q), PGRES_FATAL_ERROR);
	cr_assert_str_eq(PQresultErrorField(q, PG_DIAG_SQLSTATE), "23514");
	PQclear(q);
	r = must(http(&anon, "GET", "/api/v1/wards", NULL, NULL), 200);
	cr_assert(strstr(r->body, "Tổ 2") == NULL, "a retired group is offered: %s", r->body);
	cr_assert(strstr(r->body, "Phường Hòa Bình") != NULL, "%s", r->body);
	resp_free(r);
	r = must(http(&inst.c, "GET", "/api/v1/admin/accounts/" "0", NULL, NULL), 404);
	resp_free(r);
	r = must(http(&inst.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)res1), NULL, NULL), 200);
	cr_assert(strstr(r->body, "Tổ 2") != NULL, "the old resident keeps the group: %s", r->body);
	resp_free(r);
	/* The administrators' list shows it, retired, last. */
	r = must(http(&inst.c, "GET", "/api/v1/admin/wards", NULL, NULL), 200);
	size_t i;
	json_t *w, *found = NULL;
	json_array_foreach(jget(r->json, "wards"), i, w) if (jint(w, "id") == ward) found = w;
	cr_assert_not_null(found, "%s", r->body);
	json_t *last = json_array_get(jget(found, "groups"), 1);
	cr_assert_eq(jint(last, "id"), groups[1]);
	cr_assert(json_is_string(jget(last, "retired_at")));
	cr_assert_eq(jint(last, "residents"), 1);
	resp_free(r);
	/* Restored, it takes residents again; every change is in the ward's audit log. */
	r = must(http_json(&inst.c, "PATCH", fmt_path("/api/v1/admin/groups/%lld", (long long)groups[1]),
			   json_pack("{s:b}", "retired", 0)),
		 200);
	resp_free(r);
	register_account(&anon, p2, TEST_PASSWORD, ward, groups[1]);
	const char *actions[] = { "ward_renamed", "group_renamed", "group_retired", "group_restored" };
	for (size_t k = 0; k < 4; k++)
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE ward_id = $1 AND action = $2", 2,
				    (const char *[]){ S64(ward), actions[k] }),
			     1, "%s", actions[k]);
	client_cleanup(&anon);
	client_cleanup(&inst.c);
}

/* A call of ward, open for proposals now, made by its leader through the API. */
static int64_t open_call(struct who *leader, int64_t ward)
{
	char opens[40], closes[40];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&(time_t){ t - 3600 }, &tm);
	strftime(opens, sizeof opens, "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&(time_t){ t + 86400 * 10 }, &tm);
	strftime(closes, sizeof closes, "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct resp *r = must(http_json(&leader->c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
					json_pack("{s:s,s:s,s:s}", "title", "Đợt một", "opens_at", opens, "closes_at", closes)),
			      201);
	int64_t cid = jint(jget(r->json, "campaign"), "id");
	resp_free(r);
	r = must(http_json(&leader->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
			   json_pack("{s:s}", "to", "open")),
		 200);
	resp_free(r);
	return cid;
}

Test(admin, a_retired_group_takes_no_new_proposal)
{
	int64_t g;
	int64_t ward = seed_ward(PG, &g);
	struct who leader, resident;
	who_new(&leader, ward, "leader", "Lãnh đạo");
	who_new(&resident, ward, "resident", "Cư dân");
	int64_t retired = db_int(PG,
				 "INSERT INTO residential_groups (ward_id, name, retired_at) VALUES ($1, 'Tổ cũ', now())"
				 " RETURNING id",
				 1, (const char *[]){ S64(ward) });
	int64_t cid = open_call(&leader, ward);
	struct resp *r;
	r = must(http_json(&resident.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
			   json_pack("{s:s,s:I}", "title", "Ý tưởng", "group_id", (json_int_t)retired)),
		 400);
	cr_assert_str_eq(err_code(r), "invalid_field");
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE campaign_id = $1", 1, (const char *[]){ S64(cid) }),
		     0);
	r = must(http_json(&resident.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
			   json_pack("{s:s,s:I}", "title", "Ý tưởng", "group_id", (json_int_t)g)),
		 201);
	resp_free(r);
	client_cleanup(&leader.c);
	client_cleanup(&resident.c);
}

/* Redeems code for login with a new password, then logs in with it. */
static void redeem_and_login(const char *login_, const char *code)
{
	struct client c;
	client_init(&c, &S);
	snprintf(c.source_ip, sizeof c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	struct resp *r = must(http_json(&c, "POST", "/api/v1/accounts/password-setup",
					json_pack("{s:s,s:s,s:s}", "login", login_, "code", code, "password",
						  "mật khẩu mới rất dài")),
			      204);
	resp_free(r);
	cr_assert_eq(login(&c, login_, "mật khẩu mới rất dài"), 201);
	client_cleanup(&c);
}

Test(admin, a_wards_admin_creates_accounts_with_roles_and_a_setup_code)
{
	int64_t g;
	int64_t ward = seed_ward(PG, &g);
	struct who admin;
	who_new(&admin, ward, "resident", "Quản trị phường");
	grant_role(PG, admin.id, ward, "admin");
	char phone[16];
	rand_phone(phone);
	struct resp *r = must(http_json(&admin.c, "POST", "/api/v1/admin/accounts",
					json_pack("{s:s,s:s,s:[{s:s,s:I},{s:s,s:I,s:I}]}", "login", phone, "display_name",
						  "Chuyên gia Lê", "roles", "role", "panelist", "ward_id", (json_int_t)ward,
						  "role", "resident", "ward_id", (json_int_t)ward, "group_id", (json_int_t)g)),
			      201);
	int64_t id = jint(jget(r->json, "account"), "id");
	json_t *sc = jget(r->json, "setup_code");
	char code[16];
	snprintf(code, sizeof code, "%s", json_string_value(jget(sc, "code")));
	cr_assert_eq(strlen(code), 9, "%s", r->body);
	cr_assert(json_is_string(jget(sc, "expires_at")));
	cr_assert_eq(json_array_size(jget(jget(r->json, "account"), "roles")), 2, "%s", r->body);
	resp_free(r);
	/* The code is never stored or logged in clear; the creation and the code are audited. */
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE subject = $1 AND action IN"
				" ('account_created', 'setup_code_issued') AND actor_account_id = $2",
			    2, (const char *[]){ fmt_path("account:%lld", (long long)id), S64(admin.id) }),
		     2);
	char *logtext = srv_log(&S);
	char digits[9];
	snprintf(digits, sizeof digits, "%.4s%.4s", code, code + 5);
	cr_assert(strstr(logtext, digits) == NULL && strstr(logtext, code) == NULL);
	free(logtext);
	redeem_and_login(phone, code);
	/* Taken login, unknown role, a role twice, a group for a panelist, a retired group. */
	r = must(http_json(&admin.c, "POST", "/api/v1/admin/accounts",
			   json_pack("{s:s,s:s,s:[{s:s,s:I}]}", "login", phone, "display_name", "Lại", "roles", "role",
				     "panelist", "ward_id", (json_int_t)ward)),
		 409);
	cr_assert_str_eq(err_code(r), "login_taken");
	resp_free(r);
	char other[16];
	rand_phone(other);
	json_t *bad[] = {
		json_pack("[{s:s,s:I}]", "role", "mayor", "ward_id", (json_int_t)ward),
		json_pack("[{s:s,s:I},{s:s,s:I}]", "role", "leader", "ward_id", (json_int_t)ward, "role", "leader", "ward_id",
			  (json_int_t)ward),
		json_pack("[{s:s,s:I,s:I}]", "role", "panelist", "ward_id", (json_int_t)ward, "group_id", (json_int_t)g),
		json_pack("[{s:s}]", "role", "leader"),
		json_pack("[]"),
		json_pack("[{s:s,s:I,s:s}]", "role", "leader", "ward_id", (json_int_t)ward, "extra", "x"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = must(http_json(&admin.c, "POST", "/api/v1/admin/accounts",
				   json_pack("{s:s,s:s,s:o}", "login", other, "display_name", "Sai", "roles", bad[i])),
			 400);
		cr_assert_str_eq(err_code(r), "invalid_field");
		resp_free(r);
	}
	int64_t retired = db_int(PG,
				 "INSERT INTO residential_groups (ward_id, name, retired_at) VALUES ($1, 'Tổ đã giải thể', now())"
				 " RETURNING id",
				 1, (const char *[]){ S64(ward) });
	r = must(http_json(&admin.c, "POST", "/api/v1/admin/accounts",
			   json_pack("{s:s,s:s,s:[{s:s,s:I,s:I}]}", "login", other, "display_name", "Sai", "roles", "role",
				     "resident", "ward_id", (json_int_t)ward, "group_id", (json_int_t)retired)),
		 400);
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1,
			    (const char *[]){ fmt_path("+84%s", other + 1) }),
		     0);
	/* Search by name (without diacritics), by part of the phone, by email. */
	r = must(http(&admin.c, "GET", "/api/v1/admin/accounts?q=chuyen%20gia%20le", NULL, NULL), 200);
	cr_assert_eq(json_array_size(jget(r->json, "accounts")), 1, "%s", r->body);
	resp_free(r);
	r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/accounts?q=%s", phone + 3), NULL, NULL), 200);
	cr_assert(strstr(r->body, "Chuyên gia Lê") != NULL, "%s", r->body);
	resp_free(r);
	r = must(http(&admin.c, "GET", "/api/v1/admin/accounts?q=a", NULL, NULL), 400);
	resp_free(r);
	/* Its roles and recent audit. */
	r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)id), NULL, NULL), 200);
	cr_assert(strstr(r->body, "setup_code_issued") && strstr(r->body, "account_created"), "%s", r->body);
	resp_free(r);
	/* An installation admin creates an installation admin (no ward). */
	struct who inst;
	who_new(&inst, ward, "admin", "Quản trị hệ thống");
	char email[64];
	snprintf(email, sizeof email, "qt%s@example.vn", phone + 4);
	r = must(http_json(&inst.c, "POST", "/api/v1/admin/accounts",
			   json_pack("{s:s,s:s,s:[{s:s,s:n}]}", "login", email, "display_name", "Quản trị hai", "roles", "role",
				     "admin", "ward_id")),
		 201);
	snprintf(code, sizeof code, "%s", json_string_value(jget(jget(r->json, "setup_code"), "code")));
	resp_free(r);
	redeem_and_login(email, code);
	r = must(http(&inst.c, "GET", fmt_path("/api/v1/admin/accounts?q=QT%.6s", phone + 4), NULL, NULL), 200);
	cr_assert(strstr(r->body, email) != NULL, "%s", r->body);
	resp_free(r);
	client_cleanup(&admin.c);
	client_cleanup(&inst.c);
}

Test(admin, roles_change_with_a_reason_and_the_audit_log_filters_pages_and_exports)
{
	int64_t g;
	int64_t ward = seed_ward(PG, &g);
	struct who admin, person;
	/* A name that a spreadsheet would run as a formula. */
	who_new(&admin, ward, "resident", "=1+1 Quản trị");
	grant_role(PG, admin.id, ward, "admin");
	who_new(&person, ward, "resident", "Người được giao");
	struct resp *r = must(http_json(&admin.c, "POST", "/api/v1/admin/roles",
					json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)person.id, "ward_id",
						  (json_int_t)ward, "role", "volunteer", "reason", "=Tập huấn xong, đợt 2")),
			      201);
	resp_free(r);
	r = must(http_json(&admin.c, "DELETE", "/api/v1/admin/roles",
			   json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)person.id, "ward_id", (json_int_t)ward,
				     "role", "volunteer", "reason", "Chuyển đi nơi khác")),
		 204);
	resp_free(r);
	r = must(http_json(&admin.c, "POST", "/api/v1/admin/roles",
			   json_pack("{s:I,s:I,s:s,s:s}", "account_id", (json_int_t)person.id, "ward_id", (json_int_t)ward,
				     "role", "panelist", "reason", "")),
		 400);
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE subject = $1 AND action = 'role_revoked'"
				" AND detail->>'reason' = 'Chuyển đi nơi khác' AND detail->>'role' = 'volunteer'",
			    1, (const char *[]){ fmt_path("account:%lld", (long long)person.id) }),
		     1);
	/* Filter by person and action. */
	r = must(http(&admin.c, "GET",
		      fmt_path("/api/v1/admin/audit?ward_id=%lld&account_id=%lld&action=role_granted", (long long)ward,
			       (long long)person.id),
		      NULL, NULL),
		 200);
	json_t *events = jget(r->json, "events");
	cr_assert_eq(json_array_size(events), 1, "%s", r->body);
	cr_assert_str_eq(json_string_value(jget(jget(json_array_get(events, 0), "detail"), "reason")),
			 "=Tập huấn xong, đợt 2");
	cr_assert_str_eq(json_string_value(jget(json_array_get(events, 0), "actor_name")), "=1+1 Quản trị");
	resp_free(r);
	/* By date: today (Vietnam) has them, a day in 2020 nothing; bad dates are refused. */
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	char today[16];
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld&from=%s&to=%s", (long long)ward, today, today),
		      NULL, NULL),
		 200);
	cr_assert_geq(json_array_size(jget(r->json, "events")), 2, "%s", r->body);
	resp_free(r);
	r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld&to=2020-01-01", (long long)ward), NULL,
		      NULL),
		 200);
	cr_assert_eq(json_array_size(jget(r->json, "events")), 0, "%s", r->body);
	resp_free(r);
	const char *bad[] = { "from=2026-02-30", "to=01-12-2026", "from=2026-12-02&to=2026-12-01", "action=DROP%20TABLE",
			      "account_id=x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld&%s", (long long)ward, bad[i]), NULL,
			      NULL),
			 400);
		cr_assert_str_eq(err_code(r), "invalid_field", "%s", bad[i]);
		resp_free(r);
	}
	/* Pages of one: next_before walks back through every row once. */
	long long total = db_int(PG, "SELECT count(*) FROM audit_log WHERE ward_id = $1", 1, (const char *[]){ S64(ward) });
	long long seen = 0, before = 0, last = 0;
	for (int guard = 0; guard < 100; guard++) {
		r = must(http(&admin.c, "GET",
			      before ? fmt_path("/api/v1/admin/audit?ward_id=%lld&limit=1&before=%lld", (long long)ward, before)
				     : fmt_path("/api/v1/admin/audit?ward_id=%lld&limit=1", (long long)ward),
			      NULL, NULL),
			 200);
		json_t *ev = jget(r->json, "events");
		if (json_array_size(ev) == 1) {
			long long id = jint(json_array_get(ev, 0), "id");
			cr_assert(last == 0 || id < last);
			last = id;
			seen++;
		}
		json_t *next = jget(r->json, "next_before");
		before = json_is_integer(next) ? json_integer_value(next) : 0;
		resp_free(r);
		if (before == 0)
			break;
	}
	cr_assert_eq(seen, total);
	/* The CSV: the same rows, a formula in a reason made harmless. */
	r = must(http(&admin.c, "GET", fmt_path("/api/v1/admin/audit.csv?ward_id=%lld&account_id=%lld", (long long)ward,
						(long long)person.id),
		      NULL, NULL),
		 200);
	char type[128];
	cr_assert(resp_header(r, "Content-Type", type, sizeof type) && strstr(type, "text/csv"));
	cr_assert(strstr(r->body, "role_granted") && strstr(r->body, "role_revoked"), "%s", r->body);
	cr_assert(strstr(r->body, "Tập huấn xong") != NULL, "%s", r->body);
	cr_assert(strstr(r->body, "\"'=1+1 Quản trị\"") != NULL, "%s", r->body);
	cr_assert(strstr(r->body, ",=") == NULL && strstr(r->body, ",\"=") == NULL, "%s", r->body);
	resp_free(r);
	client_cleanup(&admin.c);
	client_cleanup(&person.c);
}

Test(admin, a_leader_finds_a_resident_sees_the_proposals_and_makes_a_code)
{
	int64_t g;
	int64_t ward = seed_ward(PG, &g);
	struct who leader, resident;
	who_new(&leader, ward, "leader", "Lãnh đạo");
	who_new(&resident, ward, "resident", "Phạm Thị Hoa");
	PQclear(db_exec(PG, "UPDATE role_grants SET group_id = $2 WHERE account_id = $1", 2,
			(const char *[]){ S64(resident.id), S64(g) }));
	int64_t cid = open_call(&leader, ward);
	struct resp *r = must(http_json(&resident.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
					json_pack("{s:s,s:I}", "title", "Loa phát thanh thông minh", "group_id", (json_int_t)g)),
			      201);
	resp_free(r);
	r = must(http(&leader.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=hoa", (long long)ward), NULL, NULL), 200);
	json_t *list = jget(r->json, "residents");
	cr_assert_eq(json_array_size(list), 1, "%s", r->body);
	json_t *one = json_array_get(list, 0);
	cr_assert_str_eq(json_string_value(jget(one, "display_name")), "Phạm Thị Hoa");
	cr_assert_str_eq(json_string_value(jget(one, "group_name")), "Tổ dân phố 1");
	cr_assert_eq(jint(one, "proposals"), 1);
	resp_free(r);
	r = must(http(&leader.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=%s", (long long)ward, resident.phone + 6),
		      NULL, NULL),
		 200);
	cr_assert_eq(json_array_size(jget(r->json, "residents")), 1, "%s", r->body);
	resp_free(r);
	r = must(http(&leader.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=", (long long)ward), NULL, NULL), 400);
	resp_free(r);
	r = must(http(&leader.c, "GET",
		      fmt_path("/api/v1/wards/%lld/residents/%lld", (long long)ward, (long long)resident.id), NULL, NULL),
		 200);
	json_t *res = jget(r->json, "resident");
	cr_assert_str_eq(json_string_value(jget(json_array_get(jget(res, "proposals"), 0), "title")),
			 "Loa phát thanh thông minh");
	cr_assert(json_is_true(jget(res, "may_issue_setup_code")));
	resp_free(r);
	r = must(http(&leader.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)resident.id), NULL, NULL),
		 201);
	resp_free(r);
	client_cleanup(&leader.c);
	client_cleanup(&resident.c);
}
