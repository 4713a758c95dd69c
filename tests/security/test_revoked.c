/*
 * Issue 8, part 4: a panelist, volunteer or leader who keeps working after the role is revoked.
 *
 * Before: after DELETE /admin/roles for a panelist, that person still got 200 on the work list, the
 * appraisal view and PUT /proposals/{id}/review, and could open the proposal's attachments (the
 * routes checked panel membership and assignments, not the role). Now each of them checks the role
 * held at the time of the request, in the same session. The volunteer's and the leader's routes are
 * checked the same way here (they already read the role per request).
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

TestSuite(revoked, .init = up, .fini = down, .timeout = 150);

#define S64(v) fmt_path("%lld", (long long)(v))

#define EXPECT(call, st)                                                                                      \
	do {                                                                                                  \
		struct resp *r_ = (call);                                                                     \
		cr_assert_eq(r_->status, (st), "%s:%d: expected %d, got %ld %s", __FILE__, __LINE__, (st),    \
			     r_->status, r_->body ? r_->body : "");                                           \
		resp_free(r_);                                                                                \
	} while (0)

struct person {
	struct client c;
	int64_t id;
	char phone[16];
};

/* An account in ward with role there (NULL: none; "admin" installation-wide), logged in at now. */
static void person_new(struct person *p, int64_t ward, const char *role, int64_t now)
{
	client_init(&p->c, &S);
	snprintf(p->c.source_ip, sizeof p->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	rand_phone(p->phone);
	p->id = make_account(&p->c, PG, ward, p->phone, "Người thử quyền");
	if (role)
		grant_role(PG, p->id, !strcmp(role, "admin") ? 0 : ward, role);
	p->c.now = now;
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

static void revoke(struct person *admin, int64_t account, int64_t ward, const char *role)
{
	EXPECT(http_json(&admin->c, "DELETE", "/api/v1/admin/roles",
			 json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)account, "ward_id", (json_int_t)ward, "role",
				   role)),
	       204);
}

static void iso(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const unsigned char PNG[] = { /* a real 1x1 PNG */
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
	0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0xf6,
	0x17, 0x38, 0x55, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82 };

/* A call in appraisal in a new ward: A's proposal (with an attachment) assigned to panelist P. */
struct fx {
	int64_t T0, T1, ward, group, cid, pid, att, crit[3];
	struct person admin, L, A, P;
};

static void fx_build(struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->T0 = (int64_t)time(NULL) + 86400 * 25;
	f->T0 -= f->T0 % 60;
	f->T1 = f->T0 + 900;
	f->ward = seed_ward(PG, &f->group);
	person_new(&f->admin, f->ward, "admin", f->T0);
	person_new(&f->L, f->ward, "leader", f->T0);
	person_new(&f->A, f->ward, NULL, f->T0);
	const char *g[] = { S64(f->A.id), S64(f->ward), S64(f->group) };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, 'resident')", 3,
			g));
	person_new(&f->P, f->ward, "panelist", f->T0);
	char o[40], c[40];
	iso(f->T0, o);
	iso(f->T0 + 600, c);
	struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/wards/%s/campaigns", S64(f->ward)),
				   json_pack("{s:s,s:s,s:s,s:b}", "title", "Đợt thử thu hồi quyền", "opens_at", o, "closes_at",
					     c, "blind_review", 0));
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *k = json_object_get(r->json, "campaign");
	f->cid = json_integer_value(json_object_get(k, "id"));
	for (int i = 0; i < 3; i++)
		f->crit[i] = json_integer_value(json_object_get(json_array_get(json_object_get(k, "criteria"), (size_t)i), "id"));
	resp_free(r);
	const char *cid = S64(f->cid);
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/transitions", cid), json_pack("{s:s}", "to", "open")),
	       200);
	f->A.c.now = f->T0 + 60;
	r = http_json(&f->A.c, "POST", fmt_path("/api/v1/campaigns/%s/proposals", cid),
		      json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)f->group, "title",
				"Bảng tin số của tổ", "summary", "Tóm tắt", "problem", "Thông báo chậm", "model",
				"Nhóm Zalo của tổ", "beneficiaries", "Các hộ trong tổ", "households", 60, "resources",
				"Một tình nguyện viên", "cost_vnd", (json_int_t)3000000, "submit", 1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	f->pid = json_integer_value(json_object_get(json_object_get(r->json, "proposal"), "id"));
	resp_free(r);
	const char *h[] = { "Content-Type: image/png", "X-Filename: ban-do.png", NULL };
	r = http_bytes(&f->A.c, "POST", fmt_path("/api/v1/proposals/%s/attachments", S64(f->pid)), PNG, sizeof PNG, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	f->att = json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id"));
	resp_free(r);
	f->L.c.now = f->P.c.now = f->admin.c.now = f->T1;
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/transitions", cid), json_pack("{s:s}", "to", "closed")),
	       200);
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/transitions", cid),
			 json_pack("{s:s}", "to", "appraisal")),
	       200);
	EXPECT(http_json(&f->L.c, "PUT", fmt_path("/api/v1/campaigns/%s/panel", cid),
			 json_pack("{s:[I]}", "panelist_ids", (json_int_t)f->P.id)),
	       200);
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/assignments", cid), json_pack("{s:s}", "mode", "all")),
	       200);
}

static void fx_free(struct fx *f)
{
	client_cleanup(&f->admin.c);
	client_cleanup(&f->L.c);
	client_cleanup(&f->A.c);
	client_cleanup(&f->P.c);
}

static struct resp *put_review(struct fx *f, int version)
{
	return http_json(&f->P.c, "PUT", fmt_path("/api/v1/proposals/%s/review", S64(f->pid)),
			 json_pack("{s:i,s:[{s:I,s:i},{s:I,s:i},{s:I,s:i}],s:s,s:b}", "version", version, "scores",
				   "criterion_id", (json_int_t)f->crit[0], "score", 5, "criterion_id", (json_int_t)f->crit[1],
				   "score", 6, "criterion_id", (json_int_t)f->crit[2], "score", 7, "overall_comment", "Khá",
				   "submit", 0));
}

Test(revoked, a_revoked_panelist_stops_at_once)
{
	static struct fx f;
	fx_build(&f);
	const char *worklist = fmt_path("/api/v1/campaigns/%s/worklist", S64(f.cid));
	const char *appraisal = fmt_path("/api/v1/proposals/%s/appraisal", S64(f.pid));
	const char *attachment = fmt_path("/api/v1/attachments/%s", S64(f.att));
	/* Working: the work list, the appraisal view, a draft review, the attachment. */
	EXPECT(http(&f.P.c, "GET", worklist, NULL, NULL), 200);
	EXPECT(http(&f.P.c, "GET", appraisal, NULL, NULL), 200);
	struct resp *r = put_review(&f, 0);
	cr_assert_eq(r->status, 200, "%s", r->body);
	int version = (int)json_integer_value(json_object_get(json_object_get(r->json, "review"), "version"));
	resp_free(r);
	EXPECT(http(&f.P.c, "GET", attachment, NULL, NULL), 200);

	revoke(&f.admin, f.P.id, f.ward, "panelist");
	/* The same session, the next request: refused everywhere, and nothing changes. */
	const char *p[] = { S64(f.pid), S64(f.P.id) };
	char *before = db_text(PG, "SELECT row_to_json(r)::text FROM reviews r WHERE proposal_id = $1 AND panelist_id = $2",
			       2, p);
	r = http(&f.P.c, "GET", worklist, NULL, NULL);
	cr_assert_eq(r->status, 403, "work list after the revocation: %ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "forbidden");
	resp_free(r);
	EXPECT(http(&f.P.c, "GET", appraisal, NULL, NULL), 403);
	EXPECT(put_review(&f, version), 403);
	EXPECT(http_json(&f.P.c, "POST", fmt_path("/api/v1/proposals/%s/conflict", S64(f.pid)),
			 json_pack("{s:s}", "reason", "Người quen")),
	       403);
	/* The attachment route is shared with authors and leaders: 404, as for anyone else. */
	EXPECT(http(&f.P.c, "GET", attachment, NULL, NULL), 404);
	char *after = db_text(PG, "SELECT row_to_json(r)::text FROM reviews r WHERE proposal_id = $1 AND panelist_id = $2",
			      2, p);
	cr_assert_str_eq(after, before, "the review changed after the revocation");
	free(before);
	free(after);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM panel_conflicts WHERE proposal_id = $1 AND panelist_id = $2", 2, p),
		     0);
	/* Granted again, the work is there again. */
	grant_role(PG, f.P.id, f.ward, "panelist");
	EXPECT(http(&f.P.c, "GET", worklist, NULL, NULL), 200);
	fx_free(&f);
}

Test(revoked, a_revoked_volunteer_stops_at_once)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t now = (int64_t)time(NULL) + 600;
	struct person admin, v;
	person_new(&admin, ward, "admin", now);
	person_new(&v, ward, "volunteer", now);
	char phone[16];
	rand_phone(phone);
	const char *assisted = fmt_path("/api/v1/wards/%s/assisted-residents", S64(ward));
	struct resp *r = http_json(&v.c, "POST", assisted,
				   json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Năm", "group_id",
					     (json_int_t)group));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t resident = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	const char *code = fmt_path("/api/v1/accounts/%s/setup-code", S64(resident));
	EXPECT(http(&v.c, "POST", code, NULL, NULL), 201);
	EXPECT(http(&v.c, "GET", "/api/v1/me/assisted", NULL, NULL), 200);

	revoke(&admin, v.id, ward, "volunteer");
	EXPECT(http(&v.c, "GET", "/api/v1/me/assisted", NULL, NULL), 403);
	EXPECT(http(&v.c, "POST", code, NULL, NULL), 403);
	rand_phone(phone);
	EXPECT(http_json(&v.c, "POST", assisted,
			 json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Ông Sáu", "group_id", (json_int_t)group)),
	       403);
	const char *p[] = { S64(resident) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM setup_codes WHERE account_id = $1", 1, p), 1,
		     "a code was issued after the revocation");
	client_cleanup(&admin.c);
	client_cleanup(&v.c);
}

Test(revoked, a_revoked_leader_stops_at_once)
{
	static struct fx f;
	fx_build(&f);
	const char *cid = S64(f.cid);
	const char *panel = fmt_path("/api/v1/campaigns/%s/panel", cid);
	EXPECT(http(&f.L.c, "GET", panel, NULL, NULL), 200);
	revoke(&f.admin, f.L.id, f.ward, "leader");
	EXPECT(http(&f.L.c, "GET", panel, NULL, NULL), 403);
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%s/panel/candidates", cid), NULL, NULL), 403);
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%s/progress", cid), NULL, NULL), 403);
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%s/proposals", cid), NULL, NULL), 403);
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%s/ranking", cid), NULL, NULL), 403);
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%s/decision", cid), NULL, NULL), 403);
	EXPECT(http_json(&f.L.c, "PUT", panel, json_pack("{s:[I]}", "panelist_ids", (json_int_t)f.P.id)), 403);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%s/panel/lock", cid),
			 json_pack("{s:b,s:s}", "allow_missing", 1, "note", "Khoá thử")),
	       403);
	EXPECT(http_json(&f.L.c, "PATCH", fmt_path("/api/v1/campaigns/%s", cid), json_pack("{s:s}", "description", "Mới")),
	       403);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%s/decision", cid), json_object()), 403);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%s/publish", cid),
			 json_pack("{s:s}", "password", TEST_PASSWORD)),
	       403);
	const char *p[] = { cid };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM decisions WHERE campaign_id = $1", 1, p), 0);
	char *state = db_text(PG, "SELECT state FROM campaigns WHERE id = $1", 1, p);
	cr_assert_str_eq(state, "appraisal");
	free(state);
	fx_free(&f);
}

/*
 * A volunteer who submitted a proposal for a resident acts on it only while holding the volunteer role
 * in its ward. Before sql/024, the write functions trusted proposals.helped_by alone: after the
 * revocation the volunteer still read, edited, submitted, withdrew and attached files to it, and
 * /me/assisted still listed it.
 */
Test(revoked, a_revoked_volunteer_loses_the_proposals_they_helped_with)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t now = (int64_t)time(NULL) + 86400 * 26;
	now -= now % 60;
	struct person admin, L, v;
	person_new(&admin, ward, "admin", now);
	person_new(&L, ward, "leader", now);
	person_new(&v, ward, "volunteer", now);
	char o[40], c[40], phone[16];
	iso(now, o);
	iso(now + 3600, c);
	struct resp *r = http_json(&L.c, "POST", fmt_path("/api/v1/wards/%s/campaigns", S64(ward)),
				   json_pack("{s:s,s:s,s:s}", "title", "Đợt thử người hỗ trợ", "opens_at", o, "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	const char *cid = S64(json_integer_value(json_object_get(json_object_get(r->json, "campaign"), "id")));
	resp_free(r);
	EXPECT(http_json(&L.c, "POST", fmt_path("/api/v1/campaigns/%s/transitions", cid), json_pack("{s:s}", "to", "open")),
	       200);
	rand_phone(phone);
	r = http_json(&v.c, "POST", fmt_path("/api/v1/wards/%s/assisted-residents", S64(ward)),
		      json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Bảy", "group_id", (json_int_t)group));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t resident = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	v.c.now = now + 60;
	r = http_json(&v.c, "POST", fmt_path("/api/v1/campaigns/%s/proposals", cid),
		      json_pack("{s:s,s:I,s:I,s:{s:s,s:b}}", "title", "Loa phát thanh thông minh", "group_id",
				(json_int_t)group, "on_behalf_of", (json_int_t)resident, "consent", "text_version", "v1",
				"given", 1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *prop = json_object_get(r->json, "proposal");
	const char *pid = S64(json_integer_value(json_object_get(prop, "id")));
	int version = (int)json_integer_value(json_object_get(prop, "version"));
	resp_free(r);
	const char *h[] = { "Content-Type: image/png", "X-Filename: loa.png", NULL };
	r = http_bytes(&v.c, "POST", fmt_path("/api/v1/proposals/%s/attachments", pid), PNG, sizeof PNG, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	const char *att = S64(json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id")));
	resp_free(r);
	EXPECT(http(&v.c, "GET", fmt_path("/api/v1/proposals/%s", pid), NULL, NULL), 200);

	revoke(&admin, v.id, ward, "volunteer");
	const char *p[] = { pid };
	char *before = db_text(PG, "SELECT row_to_json(p)::text FROM proposals p WHERE id = $1", 1, p);
	EXPECT(http(&v.c, "GET", fmt_path("/api/v1/proposals/%s", pid), NULL, NULL), 404);
	r = http_json(&v.c, "PATCH", fmt_path("/api/v1/proposals/%s", pid),
		      json_pack("{s:i,s:s}", "version", version, "title", "Đã sửa sau khi bị thu hồi quyền"));
	cr_assert(r->status == 403 || r->status == 404, "edit after the revocation: %ld %s", r->status, r->body);
	resp_free(r);
	EXPECT(http(&v.c, "POST", fmt_path("/api/v1/proposals/%s/submit", pid), NULL, NULL), 404);
	EXPECT(http(&v.c, "POST", fmt_path("/api/v1/proposals/%s/withdraw", pid), NULL, NULL), 404);
	EXPECT(http_bytes(&v.c, "POST", fmt_path("/api/v1/proposals/%s/attachments", pid), PNG, sizeof PNG, h), 404);
	EXPECT(http(&v.c, "GET", fmt_path("/api/v1/attachments/%s", att), NULL, NULL), 404);
	EXPECT(http(&v.c, "DELETE", fmt_path("/api/v1/attachments/%s", att), NULL, NULL), 404);
	char *after = db_text(PG, "SELECT row_to_json(p)::text FROM proposals p WHERE id = $1", 1, p);
	cr_assert_str_eq(after, before, "the proposal changed after the revocation");
	free(before);
	free(after);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, p), 1);

	/* A volunteer in another ward too: /me/assisted lists only the wards where the role is held now. */
	int64_t group2, ward2 = seed_ward(PG, &group2);
	grant_role(PG, v.id, ward2, "volunteer");
	r = http(&v.c, "GET", "/api/v1/me/assisted", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_array_size(json_object_get(r->json, "proposals")), 0, "%s", r->body);
	resp_free(r);

	/* The resident's own account is untouched, and granted again the volunteer can act again. */
	grant_role(PG, v.id, ward, "volunteer");
	EXPECT(http(&v.c, "GET", fmt_path("/api/v1/proposals/%s", pid), NULL, NULL), 200);
	client_cleanup(&admin.c);
	client_cleanup(&L.c);
	client_cleanup(&v.c);
}
