/*
 * Personal data (issue 8, part 6), replayed against the real daemon and checked in the database:
 * other people's addresses in the data export; what an account deletion leaves behind (phone
 * number, addresses, file names, contact details typed into proposals); blind review showing the
 * residential group; bidirectional controls and NUL in texts and file names; a database outage
 * leaving no line in the log; an administrator of one ward reading another ward's accounts.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

TestSuite(personal, .init = up, .fini = down, .timeout = 180);

#define S64(v) fmt_path("%lld", (long long)(v))

static json_t *jget(json_t *o, const char *k)
{
	return json_object_get(o, k);
}

static int64_t jint(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* ------------------------------------------------------------------------- */
/* People, a ward and a call                                                  */
/* ------------------------------------------------------------------------- */

struct who {
	struct client c;
	int64_t id;
	char phone[16]; /* as typed: 09xxxxxxxx */
	char login[24]; /* as stored: +849xxxxxxxx */
	char ip[32];    /* the loopback address this person's requests come from */
};

/* A client of its own address, 127.x.y.z, never 127.0.0.1 (the other tests' address). */
static void client_own_ip(struct client *c, char ip[32])
{
	client_init(c, &S);
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	snprintf(ip, 32, "%s", c->source_ip);
}

/* Holds role in ward (0: installation-wide), in group (0: none). */
static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), ward ? S64(ward) : NULL, role, group ? S64(group) : NULL };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role, group_id) VALUES ($1, $2, $3, $4)", 4, p));
}

/* An account (password TEST_PASSWORD) with a fresh phone number and no role, not logged in; ward is
 * where the harness registers its throwaway account for the password hash. */
static void who_new(struct who *w, int64_t ward, const char *name)
{
	memset(w, 0, sizeof *w);
	client_own_ip(&w->c, w->ip);
	for (int tries = 0;; tries++) {
		rand_phone(w->phone);
		const char *p[] = { fmt_path("+84%s", w->phone + 1) };
		if (db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p) == 0 || tries == 20)
			break;
	}
	snprintf(w->login, sizeof w->login, "+84%s", w->phone + 1);
	w->id = make_account(&w->c, PG, ward, w->phone, name);
}

static void who_login(struct who *w, int64_t now)
{
	w->c.now = now;
	cr_assert_eq(login(&w->c, w->phone, TEST_PASSWORD), 201, "login %s", w->login);
}

static void iso(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A call of ward made by leader L, open from T0 for ten minutes; extra fields (may be NULL) added. */
static int64_t call_open(struct who *L, int64_t ward, int64_t T0, json_t *extra)
{
	char o[40], c[40];
	iso(T0, o);
	iso(T0 + 600, c);
	json_t *body = json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến chuyển đổi số", "opens_at", o, "closes_at", c);
	if (extra)
		json_object_update(body, extra);
	json_decref(extra);
	L->c.now = T0;
	struct resp *r = http_json(&L->c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward), body);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = jint(jget(r->json, "campaign"), "id");
	resp_free(r);
	r = http_json(&L->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)id),
		      json_pack("{s:s}", "to", "open"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	return id;
}

static json_t *proposal_body(int64_t group, const char *title, const char *summary)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
			 "summary", summary, "problem", "Bà con khó theo dõi thông báo của tổ", "model",
			 "Nhóm Zalo và bảng tin số cho tổ", "beneficiaries", "Các hộ trong tổ", "households", 80,
			 "resources", "Hai tình nguyện viên", "cost_vnd", (json_int_t)5000000, "submit", 1);
}

static int64_t propose(struct who *w, int64_t cid, json_t *body)
{
	struct resp *r = http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), body);
	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	int64_t id = jint(jget(r->json, "proposal"), "id");
	resp_free(r);
	return id;
}

static const unsigned char PNG[] = { /* a real 1x1 PNG: IHDR, IDAT, IEND */
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
	0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0xf6,
	0x17, 0x38, 0x55, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};

static struct resp *attach(struct who *w, int64_t pid, const char *filename_header)
{
	const char *h[] = { "Content-Type: image/png", filename_header, NULL };
	return http_bytes(&w->c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), PNG, sizeof PNG,
			  h);
}

static int64_t future_t0(void)
{
	int64_t t = (int64_t)time(NULL) + 86400 * 20;
	return t - t % 60;
}

/* ------------------------------------------------------------------------- */
/* 1. The export shows the person's own addresses only                        */
/* ------------------------------------------------------------------------- */

Test(personal, export_shows_no_address_of_anyone_else)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t T0 = future_t0();
	struct who E, A, X;
	who_new(&E, ward, "Cư dân xuất dữ liệu");
	grant(E.id, ward, group, "resident");
	who_new(&A, ward, "Quản trị phường");
	grant(A.id, ward, 0, "admin");
	who_new(&X, ward, "Người lạ");
	/* A stranger tries E's number with a wrong password, from the stranger's address. */
	X.c.now = T0;
	cr_assert_eq(login(&X.c, E.phone, "không phải mật khẩu"), 401);
	who_login(&E, T0);
	who_login(&A, T0);
	/* The ward's administrator names E a volunteer, from the administrator's address. */
	struct resp *r = http_json(&A.c, "POST", "/api/v1/admin/roles",
				   json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)E.id, "ward_id", (json_int_t)ward,
					     "role", "volunteer"));
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);

	r = http(&E.c, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_not_null(strstr(r->body, fmt_path("\"%s\"", E.ip)), "E's own address stays in E's export: %s", r->body);
	cr_assert_null(strstr(r->body, fmt_path("\"%s\"", A.ip)), "the administrator's address is in E's export: %s",
		       r->body);
	cr_assert_null(strstr(r->body, fmt_path("\"%s\"", X.ip)), "the stranger's address is in E's export: %s", r->body);
	/* The events themselves are all there, only the others' addresses are not. */
	bool granted = false, failed = false;
	size_t i;
	json_t *e;
	json_array_foreach(jget(r->json, "audit_events"), i, e) {
		const char *action = json_string_value(jget(e, "action"));
		if (!strcmp(action, "role_granted")) {
			granted = true;
			cr_assert(json_is_null(jget(e, "ip")) && json_is_false(jget(e, "by_me")), "%s", r->body);
		}
		if (!strcmp(action, "login_failed")) {
			failed = true;
			cr_assert(json_is_null(jget(e, "ip")), "%s", r->body);
		}
		if (!strcmp(action, "login"))
			cr_assert_str_eq(json_string_value(jget(e, "ip")), E.ip);
	}
	cr_assert(granted && failed, "%s", r->body);
	resp_free(r);
	client_cleanup(&E.c);
	client_cleanup(&A.c);
	client_cleanup(&X.c);
}

/* ------------------------------------------------------------------------- */
/* 2. After DELETE /me                                                        */
/* ------------------------------------------------------------------------- */

Test(personal, deletion_leaves_no_phone_address_or_file_name_of_the_person)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t T0 = future_t0();
	struct who L, R, X;
	char name[64];
	snprintf(name, sizeof name, "Nguyễn Thị Hoà %ld", 1000 + random() % 9000);
	who_new(&L, ward, "Lãnh đạo phường");
	grant(L.id, ward, 0, "leader");
	who_new(&R, ward, name);
	grant(R.id, ward, group, "resident");
	who_new(&X, ward, "Người lạ");
	who_login(&L, T0);
	int64_t cid = call_open(&L, ward, T0, NULL);

	/* A wrong password first (subject: R's login, address: R's), then the real login. */
	R.c.now = T0 + 30;
	cr_assert_eq(login(&R.c, R.phone, "sai mật khẩu rồi"), 401);
	X.c.now = T0 + 30;
	cr_assert_eq(login(&X.c, R.phone, "cũng sai mật khẩu"), 401);
	who_login(&R, T0 + 60);

	/* Contact details typed into the proposal, as people do: the number in groups, the name. */
	const char *d = R.phone; /* 09xxxxxxxx */
	char spaced[32], dotted[32], title[160], summary[400];
	snprintf(spaced, sizeof spaced, "%.4s %.3s %.3s", d, d + 4, d + 7);
	snprintf(dotted, sizeof dotted, "+84 %.3s.%.3s.%.3s", d + 1, d + 4, d + 7);
	snprintf(title, sizeof title, "Bảng tin số của %s", name);
	snprintf(summary, sizeof summary, "Liên hệ: %s (%s), hoặc %s. Tóm tắt mô hình.", name, spaced, dotted);
	int64_t pid = propose(&R, cid, proposal_body(group, title, summary));
	/* An edit, so that the first text is kept as a revision too. */
	json_t *edit = proposal_body(group, title, summary);
	json_object_del(edit, "submit");
	json_object_set_new(edit, "resources", json_string(fmt_path("Gọi %s để mượn máy", d)));
	json_object_set_new(edit, "version", json_integer(1));
	struct resp *r = http_json(&R.c, "PATCH", fmt_path("/api/v1/proposals/%lld", (long long)pid), edit);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = attach(&R, pid, fmt_path("X-Filename: CCCD-%s-Nguyen-Thi-Hoa.png", d));
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);

	const char *pr[] = { S64(R.id) };
	long long rows_before = db_int(PG, "SELECT count(*) FROM audit_log WHERE actor_account_id = $1", 1, pr);
	r = http_json(&R.c, "DELETE", "/api/v1/me", json_pack("{s:s}", "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 204, "%s", r->body);
	resp_free(r);

	/* The audit log: no row names the number, none holds the person's address. */
	const char *pl[] = { R.login };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE subject = $1", 1, pl), 0,
		     "the phone number is still the subject of audit rows");
	const char *pi[] = { R.ip };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE ip = $1::inet", 1, pi), 0,
		     "the person's address is still on audit rows");
	const char *px[] = { X.ip };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE ip = $1::inet", 1, px), 0,
		     "the address that tried the person's login is still on audit rows");
	const char *sub[] = { fmt_path("account:%lld", (long long)R.id) };
	cr_assert_geq(db_int(PG, "SELECT count(*) FROM audit_log WHERE subject = $1 AND action = 'login_failed'", 1, sub),
		      2, "the failed logins are kept, about the account");
	/* Pseudonymised, not deleted: every row the person did is still there, plus the deletion. */
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE actor_account_id = $1", 1, pr), rows_before + 1);

	/* The attachment keeps its content under a neutral name. */
	const char *pp[] = { S64(pid) };
	char *fname = db_text(PG, "SELECT string_agg(filename, ',') FROM attachments WHERE proposal_id = $1", 1, pp);
	cr_assert_str_eq(fname, "tep-1.png");
	free(fname);

	/* The proposal stays with the call, its contact details do not (texts, search text, revisions). */
	const char *pn[] = { S64(pid), fmt_path("%%%s%%", d + 1), name };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM proposals WHERE id = $1 AND status = 'submitted' AND tracking_code IS NOT NULL",
			    1, pp),
		     1);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM proposals p WHERE p.id = $1 AND ("
			    " regexp_replace(concat_ws('|', title, summary, problem, model, beneficiaries, resources,"
			    "  array_to_string(tags, '|'), search_text), '[^0-9|]', '', 'g') LIKE $2"
			    " OR concat_ws('|', title, summary, resources) ILIKE '%' || $3 || '%'"
			    " OR search_text LIKE '%' || lower(unaccent($3)) || '%')",
			    3, pn),
		     0, "the proposal still holds the person's number or name");
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM proposal_revisions WHERE proposal_id = $1 AND ("
			    " regexp_replace(content::text, '[^0-9|]', '', 'g') LIKE $2 OR content::text ILIKE '%' || $3 || '%')",
			    3, pn),
		     0, "an earlier revision still holds the person's number or name");
	char *t = db_text(PG, "SELECT title FROM proposals WHERE id = $1", 1, pp);
	cr_assert_str_eq(t, "Bảng tin số của [đã xoá]");
	free(t);

	/* And the audit log still refuses any other change. */
	PGresult *q = PQexec(PG, "UPDATE audit_log SET ip = NULL WHERE id = (SELECT max(id) FROM audit_log)");
	cr_assert_eq(PQresultStatus(q), PGRES_FATAL_ERROR);
	PQclear(q);
	client_cleanup(&L.c);
	client_cleanup(&R.c);
	client_cleanup(&X.c);
}

/* ------------------------------------------------------------------------- */
/* 3. Blind review and the residential group                                  */
/* ------------------------------------------------------------------------- */

/* A call in appraisal, one proposal of group g1, one panelist (no conflict) assigned to it. */
static void blind_call(bool shows_group)
{
	int64_t g1, ward = seed_ward(PG, &g1);
	const char *pw[] = { S64(ward) };
	int64_t g2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 7') RETURNING id",
			    1, pw);
	int64_t T0 = future_t0();
	struct who L, A, P;
	who_new(&L, ward, "Lãnh đạo phường");
	grant(L.id, ward, 0, "leader");
	who_new(&A, ward, "Cư dân A");
	grant(A.id, ward, g1, "resident");
	who_new(&P, ward, "Thẩm định viên");
	grant(P.id, ward, g2, "resident");
	const char *pp[] = { S64(P.id), S64(ward) };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($1, $2, 'panelist')", 2, pp));
	who_login(&L, T0);
	int64_t cid = call_open(&L, ward, T0, shows_group ? json_pack("{s:b}", "blind_shows_group", 1) : NULL);
	who_login(&A, T0 + 60);
	int64_t pid = propose(&A, cid, proposal_body(g1, "Bảng tin số tổ 1", "Tóm tắt mô hình"));
	L.c.now = T0 + 900;
	struct resp *r = http_json(&L.c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
				   json_pack("{s:s}", "to", "closed"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http_json(&L.c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
		      json_pack("{s:s}", "to", "appraisal"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http_json(&L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)cid),
		      json_pack("{s:[I]}", "panelist_ids", (json_int_t)P.id));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http_json(&L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)cid),
		      json_pack("{s:s}", "mode", "all"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);

	who_login(&P, T0 + 900);
	r = http(&P.c, "GET", fmt_path("/api/v1/campaigns/%lld/worklist", (long long)cid), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_not_null(strstr(r->body, "Bảng tin số tổ 1"), "%s", r->body);
	cr_assert_null(strstr(r->body, "Cư dân A"), "blind: no author name: %s", r->body);
	bool saw = strstr(r->body, "Tổ dân phố") != NULL || strstr(r->body, "\"group_id\"") != NULL;
	if (shows_group)
		cr_assert(saw, "blind_shows_group: the panelist sees the group: %s", r->body);
	else
		cr_assert_not(saw, "a panelist in blind review sees the proposal's residential group (work list): %s", r->body);
	resp_free(r);
	r = http(&P.c, "GET", fmt_path("/api/v1/proposals/%lld/appraisal", (long long)pid), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	saw = strstr(r->body, "Tổ dân phố") != NULL || strstr(r->body, "\"group_id\"") != NULL;
	if (shows_group)
		cr_assert(saw, "blind_shows_group: the panelist sees the group: %s", r->body);
	else
		cr_assert_not(saw, "a panelist in blind review sees the proposal's residential group (appraisal): %s", r->body);
	resp_free(r);

	/* The setting is part of the frozen configuration: no change once the call opened. */
	r = http_json(&L.c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)cid),
		      json_pack("{s:b}", "blind_shows_group", !shows_group));
	cr_assert_eq(r->status, 409, "%s", r->body);
	cr_assert_str_eq(err_code(r), "campaign_frozen");
	resp_free(r);
	/* ... and in the sealed text only when on, so calls sealed before the setting keep their digest. */
	const char *pc[] = { S64(cid) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM campaigns WHERE id = $1 AND config_digest ="
			    " encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex')",
			    1, pc),
		     1);
	cr_assert_eq(db_int(PG, "SELECT position('blind_shows_group' IN campaign_config_text($1))", 1, pc) > 0,
		     shows_group);
	client_cleanup(&L.c);
	client_cleanup(&A.c);
	client_cleanup(&P.c);
}

Test(personal, blind_review_hides_the_residential_group_unless_the_call_shows_it)
{
	blind_call(false);
	blind_call(true);
}

/* ------------------------------------------------------------------------- */
/* 4. Bidirectional controls and NUL                                          */
/* ------------------------------------------------------------------------- */

Test(personal, bidi_controls_and_nul_are_refused_in_a_title_and_a_file_name)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t T0 = future_t0();
	struct who L, R;
	who_new(&L, ward, "Lãnh đạo phường");
	grant(L.id, ward, 0, "leader");
	who_new(&R, ward, "Cư dân");
	grant(R.id, ward, group, "resident");
	who_login(&L, T0);
	int64_t cid = call_open(&L, ward, T0, NULL);
	who_login(&R, T0 + 60);
	const char *pc[] = { S64(cid) };
	long long before = db_int(PG, "SELECT count(*) FROM proposals WHERE campaign_id = $1", 1, pc);

	/* U+202E RIGHT-TO-LEFT OVERRIDE: "Đề án <RLO>fdp.exe" shows as "Đề án exe.pdf". */
	struct resp *r = http_json(&R.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
				   proposal_body(group, "Đề án \xe2\x80\xae" "fdp.exe", "Tóm tắt"));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_field");
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "title", "%s", r->body);
	resp_free(r);
	/* The isolates and marks too, in a multi-line field. */
	r = http_json(&R.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
		      proposal_body(group, "Bảng tin", "Tóm \xe2\x81\xa7tắt\xe2\x81\xa9 \xe2\x80\x8f"));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "summary", "%s", r->body);
	resp_free(r);
	/* A NUL: the whole body is refused before any text is read. */
	const char *body = "{\"title\":\"B\\u0000\\u0000ng tin\",\"submit\":false}";
	r = http(&R.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), body, NULL);
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_json");
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE campaign_id = $1", 1, pc), before, "nothing stored");

	/* File names: %00 cut "anh.png%00.exe" to "anh.png"; U+202E turned "gnp.exe" into "exe.png". */
	int64_t pid = propose(&R, cid, proposal_body(group, "Bảng tin số", "Tóm tắt"));
	const char *bad[] = { "X-Filename: anh.png%00.exe", "X-Filename: anh%E2%80%AEgnp.exe", "X-Filename: a%E2%81%A6b.png",
			      "X-Filename: a%07b.png", "X-Filename: a%FFb.png" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = attach(&R, pid, bad[i]);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status, r->body);
		cr_assert_str_eq(err_code(r), "invalid_field", "%s", bad[i]);
		cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "X-Filename", "%s", r->body);
		resp_free(r);
	}
	const char *pp[] = { S64(pid) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, pp), 0, "nothing stored");
	/* A Vietnamese name, a path and no name still work as before. */
	r = attach(&R, pid, "X-Filename: ../%E1%BA%A3nh-ch%E1%BB%A5p.png");
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "attachment"), "filename")), "ảnh-chụp.png");
	resp_free(r);
	r = attach(&R, pid, "X-Other: 1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "attachment"), "filename")), "tep-dinh-kem");
	resp_free(r);
	client_cleanup(&L.c);
	client_cleanup(&R.c);
}

/* ------------------------------------------------------------------------- */
/* 5. A database outage: one line when it starts, one when it ends            */
/* ------------------------------------------------------------------------- */

/* url with its database name replaced by dbname (URI form only); false when it cannot tell. */
static bool url_for(const char *url, const char *dbname, char *out, size_t outsz)
{
	const char *scheme = strstr(url, "://");
	if (scheme == NULL)
		return false;
	const char *path = strchr(scheme + 3, '/');
	if (path == NULL)
		return false;
	const char *end = path + 1 + strcspn(path + 1, "?");
	snprintf(out, outsz, "%.*s/%s%s", (int)(path - url), url, dbname, end);
	return true;
}

static int count_lines(const char *log, const char *needle, char *last, size_t lastsz)
{
	int n = 0;
	for (const char *p = log; p && (p = strstr(p, needle)) != NULL; p++) {
		n++;
		const char *eol = strchr(p, '\n');
		snprintf(last, lastsz, "%.*s", eol ? (int)(eol - p) : (int)strlen(p), p);
	}
	return n;
}

Test(personal, a_database_outage_is_logged_once_when_it_starts_and_once_when_it_ends)
{
	char dbname[64], url[1024];
	snprintf(dbname, sizeof dbname, "sk_outage_%d_%ld", (int)getpid(), random() % 100000);
	if (!url_for(getenv("SANGKIEN_TEST_DATABASE_URL"), dbname, url, sizeof url))
		cr_skip_test("SANGKIEN_TEST_DATABASE_URL is not a URI");
	PGresult *q = PQexec(PG, fmt_path("CREATE DATABASE %s", dbname));
	cr_assert_eq(PQresultStatus(q), PGRES_COMMAND_OK, "%s", PQerrorMessage(PG));
	PQclear(q);
	struct srv D;
	srv_start(&D, url, NULL);
	struct client c;
	client_init(&c, &D);
	struct resp *r = http(&c, "GET", "/api/v1/health", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);

	/* The database goes away: no new connections, the open ones cut. */
	PQclear(db_exec(PG, fmt_path("ALTER DATABASE %s ALLOW_CONNECTIONS false", dbname), 0, NULL));
	const char *pd[] = { dbname };
	PQclear(db_exec(PG, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1", 1, pd));
	for (int i = 0; i < 5; i++) {
		r = http(&c, "GET", "/api/v1/health", NULL, NULL);
		cr_assert_eq(r->status, 503, "%s", r->body);
		cr_assert_str_eq(err_code(r), "database_unavailable");
		resp_free(r);
		/* A request that needs no database does not end the outage. */
		r = http(&c, "GET", "/api/v1/version", NULL, NULL);
		cr_assert_eq(r->status, 200, "%s", r->body);
		resp_free(r);
	}
	PQclear(db_exec(PG, fmt_path("ALTER DATABASE %s ALLOW_CONNECTIONS true", dbname), 0, NULL));
	r = http(&c, "GET", "/api/v1/health", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http(&c, "GET", "/api/v1/health", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	client_cleanup(&c);
	srv_stop(&D);
	char *log = srv_log(&D);
	q = PQexec(PG, fmt_path("DROP DATABASE %s WITH (FORCE)", dbname));
	PQclear(q);

	char started[512] = "", ended[512] = "";
	int n_start = count_lines(log, "database unavailable", started, sizeof started);
	int n_end = count_lines(log, "database available again", ended, sizeof ended);
	cr_assert_eq(n_start, 1, "one line when the outage starts, not one per request:\n%s", log);
	cr_assert_eq(n_end, 1, "one line when it ends:\n%s", log);
	cr_assert_not_null(strstr(ended, ": 5 requests were refused with 503"), "%s", ended);
	cr_assert(strstr(log, "database unavailable") < strstr(log, "database available again"));
	free(log);
}

/* ------------------------------------------------------------------------- */
/* 6. An administrator of one ward                                            */
/* ------------------------------------------------------------------------- */

Test(personal, a_ward_admin_reads_and_grants_only_in_their_own_wards)
{
	int64_t ga, gb, wa = seed_ward(PG, &ga), wb = seed_ward(PG, &gb);
	int64_t T0 = future_t0();
	struct who A, RA, RB, I;
	who_new(&A, wa, "Quản trị phường A");
	grant(A.id, wa, 0, "admin");
	who_new(&RA, wa, "Cư dân phường A");
	grant(RA.id, wa, ga, "resident");
	who_new(&RB, wb, "Cư dân phường B");
	grant(RB.id, wb, gb, "resident");
	who_new(&I, wa, "Quản trị hệ thống");
	grant(I.id, 0, 0, "admin");
	const char *pb[] = { S64(RA.id), S64(wb) };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($1, $2, 'leader')", 2, pb));
	who_login(&A, T0);
	who_login(&I, T0);

	/* Another ward's resident: as if there were no such account. */
	struct resp *r = http(&A.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", RB.phone), NULL, NULL);
	cr_assert_eq(r->status, 404, "a ward admin found another ward's resident: %s", r->body);
	cr_assert_str_eq(err_code(r), "not_found");
	cr_assert_null(strstr(r->body, RB.login), "%s", r->body);
	resp_free(r);
	/* Their own ward's resident, with the roles in their ward only (not the leader role in B). */
	r = http(&A.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", RA.phone), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *roles = jget(jget(r->json, "account"), "roles");
	cr_assert_eq(json_array_size(roles), 1, "%s", r->body);
	cr_assert_eq(jint(json_array_get(roles, 0), "ward_id"), wa, "%s", r->body);
	resp_free(r);
	/* The installation administrator finds everyone, with every role. */
	r = http(&I.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", RB.phone), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http(&I.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", RA.phone), NULL, NULL);
	cr_assert_eq(json_array_size(jget(jget(r->json, "account"), "roles")), 2, "%s", r->body);
	resp_free(r);

	/* Granting a role in their ward to another ward's resident would show that account's number
	 * (and, one id after another, every account's): refused as if it did not exist. */
	r = http_json(&A.c, "POST", "/api/v1/admin/roles",
		      json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)RB.id, "ward_id", (json_int_t)wa, "role",
				"volunteer"));
	cr_assert_eq(r->status, 404, "a ward admin granted a role to another ward's resident: %s", r->body);
	cr_assert_null(strstr(r->body, RB.login), "%s", r->body);
	resp_free(r);
	const char *prb[] = { S64(RB.id), S64(wa) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM role_grants WHERE account_id = $1 AND ward_id = $2", 2, prb), 0);
	/* In their own ward it works, and the reply shows the roles of that ward only. */
	r = http_json(&A.c, "POST", "/api/v1/admin/roles",
		      json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)RA.id, "ward_id", (json_int_t)wa, "role",
				"volunteer"));
	cr_assert_eq(r->status, 201, "%s", r->body);
	size_t i;
	json_t *g;
	json_array_foreach(jget(jget(r->json, "account"), "roles"), i, g)
		cr_assert_eq(jint(g, "ward_id"), wa, "%s", r->body);
	resp_free(r);
	/* Revoking in another ward, and reading its audit log, were and stay refused. */
	r = http_json(&A.c, "DELETE", "/api/v1/admin/roles",
		      json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)RA.id, "ward_id", (json_int_t)wb, "role",
				"leader"));
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	r = http(&A.c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld", (long long)wb), NULL, NULL);
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	r = http(&A.c, "GET", "/api/v1/admin/audit", NULL, NULL);
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	r = http(&A.c, "GET", fmt_path("/api/v1/admin/audit?ward_id=%lld", (long long)wa), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_array_foreach(jget(r->json, "events"), i, g)
		cr_assert_eq(jint(g, "ward_id"), wa, "%s", r->body);
	resp_free(r);
	client_cleanup(&A.c);
	client_cleanup(&RA.c);
	client_cleanup(&RB.c);
	client_cleanup(&I.c);
}

/* ------------------------------------------------------------------------- */
/* 1b. The export lists the rows issue 8 added about a person                */
/* ------------------------------------------------------------------------- */

/* Known-device cookies (when made and used, never the token) and the assisted-flow record of who made
 * the account; the volunteer's export lists the accounts they made. Fails before sql/025 (no such keys). */
Test(personal, export_lists_known_devices_and_the_assisted_flow_record)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t now = (int64_t)time(NULL) + 300;
	struct who V;
	who_new(&V, ward, "Tình nguyện viên Hoa");
	grant(V.id, ward, 0, "volunteer");
	who_login(&V, now);
	char phone[16];
	rand_phone(phone);
	struct resp *r = http_json(&V.c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)ward),
				   json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Chín", "group_id",
					     (json_int_t)group));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t resident = jint(jget(r->json, "account"), "id");
	resp_free(r);
	r = http(&V.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)resident), NULL, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	char code[16];
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(jget(r->json, "setup_code"), "code")));
	resp_free(r);

	struct client R;
	char rip[32];
	client_own_ip(&R, rip);
	R.now = now;
	r = http_json(&R, "POST", "/api/v1/accounts/password-setup",
		      json_pack("{s:s,s:s,s:s}", "login", phone, "code", code, "password", TEST_PASSWORD));
	cr_assert_eq(r->status, 204, "%s", r->body);
	resp_free(r);
	cr_assert_eq(login(&R, phone, TEST_PASSWORD), 201);
	r = http(&R, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *export = r->json; /* the export is the whole document */
	json_t *devices = json_object_get(export, "known_devices");
	cr_assert(json_is_array(devices) && json_array_size(devices) == 1, "known_devices: %s", r->body);
	json_t *d = json_array_get(devices, 0);
	cr_assert(json_is_string(json_object_get(d, "created_at")) && json_object_size(d) == 2,
		  "a device is when it was made and last used, nothing else: %s", r->body);
	json_t *made = json_object_get(export, "account_created_by_volunteer");
	cr_assert_eq(jint(made, "volunteer_id"), V.id, "%s", r->body);
	cr_assert(json_is_string(json_object_get(made, "first_password_at")), "%s", r->body);
	resp_free(r);

	r = http(&V.c, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	export = r->json;
	json_t *made_by_me = json_object_get(export, "accounts_created_as_volunteer");
	cr_assert(json_is_array(made_by_me) && json_array_size(made_by_me) == 1, "%s", r->body);
	cr_assert_eq(jint(json_array_get(made_by_me, 0), "account_id"), resident);
	resp_free(r);
	client_cleanup(&R);
	client_cleanup(&V.c);
}
