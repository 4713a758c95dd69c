/*
 * The leader's appraisal workspace (issue 9) against the real daemon and the real PostgreSQL:
 * GET /campaigns/{id}/assignments shows the ward's leader who reviews which proposal, how far each
 * review is (not started, draft, submitted, revised) and the conflicts, never a score; a review
 * moved with /assignments/move shows there at once; and nobody else reads it: a resident, a
 * volunteer, a panelist (on this panel or not), another ward's leader, a leader whose role was
 * revoked after logging in, or someone not signed in. Times run on the test clock (client.now).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdint.h>
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

TestSuite(workspace, .init = up, .fini = down, .timeout = 120);

#define S64(v) fmt_path("%lld", (long long)(v))

static json_t *jget(json_t *o, const char *k)
{
	return json_object_get(o, k);
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "(not a string)";
}

#define EXPECT(call, st, code)                                                                               \
	do {                                                                                                 \
		struct resp *r_ = (call);                                                                    \
		cr_assert_eq(r_->status, (st), "%s:%d: expected %d, got %ld %s", __FILE__, __LINE__, (st),   \
			     r_->status, r_->body ? r_->body : "");                                          \
		if ((code) != NULL)                                                                          \
			cr_assert_str_eq(err_code(r_), (const char *)(code), "%s:%d: %s", __FILE__, __LINE__,  \
					 r_->body);                                                          \
		resp_free(r_);                                                                               \
	} while (0)

static void iso(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct who {
	struct client c;
	int64_t id;
	char phone[16];
	char name[80];
};

/* A fresh account in ward with a loopback address of its own (other tests' failed logins do not count). */
static void who_new(struct who *w, int64_t ward, const char *name)
{
	memset(w, 0, sizeof *w);
	client_init(&w->c, &S);
	snprintf(w->c.source_ip, sizeof w->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	snprintf(w->name, sizeof w->name, "%s", name);
	for (int tries = 0;; tries++) {
		rand_phone(w->phone);
		const char *p[] = { fmt_path("+84%s", w->phone + 1) };
		if (db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p) == 0 || tries == 20)
			break;
	}
	w->id = make_account(&w->c, PG, ward, w->phone, w->name);
}

static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), S64(ward), group ? S64(group) : NULL, role };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, $4)", 4,
			p));
}

/*
 * A ward whose call is in appraisal, with the panel P1 (group 1), P2 (group 2), P3 (no group),
 * each proposal assigned to every panelist without a conflict; then P4 joins the panel with
 * nothing assigned. Proposals: pA by A (group 1), pB by B (group 2), pP3 by P3 (group 1). So pA is
 * reviewed by P2 and P3, pB by P1 and P3, pP3 by P2 only. V volunteers, L2 leads another ward.
 */
struct fx {
	int64_t T0, ward, g1, g2, ward2, k1, crit[3];
	struct who L, L2, A, B, V, P1, P2, P3, P4;
	int64_t pA, pB, pP3;
};

static struct who *everyone(struct fx *f, int i)
{
	struct who *all[] = { &f->L, &f->L2, &f->A, &f->B, &f->V, &f->P1, &f->P2, &f->P3, &f->P4 };
	return i < 9 ? all[i] : NULL;
}

static void fx_now(struct fx *f, int64_t t)
{
	for (int i = 0; everyone(f, i); i++)
		everyone(f, i)->c.now = t;
}

static void fx_free(struct fx *f)
{
	for (int i = 0; everyone(f, i); i++)
		client_cleanup(&everyone(f, i)->c);
}

static int64_t propose(struct who *w, int64_t cid, int64_t group, const char *title)
{
	json_t *b = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
			      "summary", "Tóm tắt mô hình", "problem", "Bà con khó theo dõi thông báo của tổ", "model",
			      "Nhóm Zalo và bảng tin số cho tổ", "beneficiaries", "Các hộ trong tổ", "households", 80,
			      "resources", "Hai tình nguyện viên", "cost_vnd", (json_int_t)5000000, "submit", 1);
	struct resp *r = http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), b);
	cr_assert_eq(r->status, 201, "propose as %s: %ld %s", w->name, r->status, r->body);
	int64_t id = jint(jget(r->json, "proposal"), "id");
	resp_free(r);
	return id;
}

static struct resp *transition(struct who *w, int64_t cid, const char *to)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
			 json_pack("{s:s}", "to", to));
}

static struct resp *put_panel(struct who *w, int64_t cid, json_t *ids)
{
	return http_json(&w->c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)cid),
			 json_pack("{s:o}", "panelist_ids", ids));
}

static void fx_build(struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->T0 = (int64_t)time(NULL) + 86400 * 20;
	f->T0 -= f->T0 % 60;
	f->ward = seed_ward(PG, &f->g1);
	const char *pw[] = { S64(f->ward) };
	f->g2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 2') RETURNING id", 1,
		       pw);
	f->ward2 = seed_ward(PG, NULL);
	who_new(&f->L, f->ward, "Lãnh đạo phường");
	who_new(&f->L2, f->ward2, "Lãnh đạo phường khác");
	who_new(&f->A, f->ward, "Cư dân A tổ 1");
	who_new(&f->B, f->ward, "Cư dân B tổ 2");
	who_new(&f->V, f->ward, "Tình nguyện viên V");
	who_new(&f->P1, f->ward, "Thẩm định viên 1");
	who_new(&f->P2, f->ward, "Thẩm định viên 2");
	who_new(&f->P3, f->ward, "Thẩm định viên 3");
	who_new(&f->P4, f->ward, "Thẩm định viên 4");
	grant(f->L.id, f->ward, 0, "leader");
	grant(f->L2.id, f->ward2, 0, "leader");
	grant(f->A.id, f->ward, f->g1, "resident");
	grant(f->B.id, f->ward, f->g2, "resident");
	grant(f->V.id, f->ward, 0, "volunteer");
	grant(f->P1.id, f->ward, f->g1, "resident");
	grant(f->P1.id, f->ward, 0, "panelist");
	grant(f->P2.id, f->ward, f->g2, "resident");
	grant(f->P2.id, f->ward, 0, "panelist");
	grant(f->P3.id, f->ward, 0, "resident");
	grant(f->P3.id, f->ward, 0, "panelist");
	grant(f->P4.id, f->ward, 0, "panelist");
	fx_now(f, f->T0);
	for (int i = 0; everyone(f, i); i++)
		cr_assert_eq(login(&everyone(f, i)->c, everyone(f, i)->phone, TEST_PASSWORD), 201, "login %s",
			     everyone(f, i)->name);

	char o[40], c[40];
	iso(f->T0, o);
	iso(f->T0 + 600, c);
	struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f->ward),
				   json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến chuyển đổi số 2026", "opens_at", o,
					     "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *k = jget(r->json, "campaign");
	f->k1 = jint(k, "id");
	for (int i = 0; i < 3; i++)
		f->crit[i] = jint(json_array_get(jget(k, "criteria"), (size_t)i), "id");
	resp_free(r);
	EXPECT(transition(&f->L, f->k1, "open"), 200, NULL);
	fx_now(f, f->T0 + 60);
	f->pA = propose(&f->A, f->k1, f->g1, "Bảng tin số tổ 1");
	f->pB = propose(&f->B, f->k1, f->g2, "Sổ liên lạc điện tử tổ 2");
	f->pP3 = propose(&f->P3, f->k1, f->g1, "Bản đồ số điểm thu gom rác");
	fx_now(f, f->T0 + 900);
	EXPECT(transition(&f->L, f->k1, "closed"), 200, NULL);
	EXPECT(transition(&f->L, f->k1, "appraisal"), 200, NULL);
	EXPECT(put_panel(&f->L, f->k1, json_pack("[I,I,I]", (json_int_t)f->P1.id, (json_int_t)f->P2.id,
						 (json_int_t)f->P3.id)),
	       200, NULL);
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f->k1),
			 json_pack("{s:s}", "mode", "all")),
	       200, NULL);
	EXPECT(put_panel(&f->L, f->k1, json_pack("[I,I,I,I]", (json_int_t)f->P1.id, (json_int_t)f->P2.id,
						 (json_int_t)f->P3.id, (json_int_t)f->P4.id)),
	       200, NULL);
}

static struct resp *put_review(struct fx *f, struct who *w, int64_t pid, int version, bool submit, const char *reason)
{
	json_t *b = json_pack("{s:i,s:b,s:s,s:[{s:I,s:i},{s:I,s:i},{s:I,s:i}]}", "version", version, "submit", submit,
			      "overall_comment", "Mô hình tốt, nên làm thử.", "scores", "criterion_id",
			      (json_int_t)f->crit[0], "score", 7, "criterion_id", (json_int_t)f->crit[1], "score", 8,
			      "criterion_id", (json_int_t)f->crit[2], "score", 9);
	if (reason)
		json_object_set_new(b, "reason", json_string(reason));
	return http_json(&w->c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)pid), b);
}

static struct resp *get_assignments(struct client *c, int64_t cid)
{
	return http(c, "GET", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)cid), NULL, NULL);
}

/* The proposal pid of an assignments reply. */
static json_t *proposal_in(json_t *v, int64_t pid)
{
	size_t i;
	json_t *e;
	json_array_foreach(jget(v, "proposals"), i, e) if (jint(e, "proposal_id") == pid) return e;
	cr_assert_fail("proposal %lld is not in the reply", (long long)pid);
	return NULL;
}

/* "name=state,name=state" of a proposal's reviewers, in the reply's order (by name). */
static const char *reviewers_text(json_t *p, const char *key, const char *what)
{
	static char out[512];
	out[0] = 0;
	size_t i;
	json_t *e;
	json_array_foreach(jget(p, key), i, e) {
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s=%s", i ? "," : "", jstr(e, "display_name"), jstr(e, what));
	}
	return out;
}

Test(workspace, assignments_show_who_reviews_what_and_how_far_without_scores)
{
	static struct fx f;
	fx_build(&f);

	/* P2 drafts pA; P3 submits pA; P3 submits pB and then revises it; P1 has not started pB. */
	EXPECT(put_review(&f, &f.P2, f.pA, 0, false, NULL), 200, NULL);
	EXPECT(put_review(&f, &f.P3, f.pA, 0, true, NULL), 200, NULL);
	struct resp *r = put_review(&f, &f.P3, f.pB, 0, true, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	int v = (int)jint(jget(r->json, "review"), "version");
	resp_free(r);
	EXPECT(put_review(&f, &f.P3, f.pB, v, true, "Chấm lại tiêu chí 1 sau khi xem thực tế"), 200, NULL);

	r = get_assignments(&f.L.c, f.k1);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *a = r->json;
	cr_assert_eq(json_array_size(jget(a, "proposals")), 3, "%s", r->body);
	cr_assert_eq(json_array_size(jget(a, "panelists")), 4, "%s", r->body);

	json_t *pa = proposal_in(a, f.pA);
	cr_assert_str_eq(jstr(pa, "title"), "Bảng tin số tổ 1");
	cr_assert(json_is_string(jget(pa, "tracking_code")), "%s", r->body);
	cr_assert_str_eq(reviewers_text(pa, "reviewers", "state"), "Thẩm định viên 2=draft,Thẩm định viên 3=submitted");
	cr_assert_str_eq(reviewers_text(pa, "conflicts", "kind"), "Thẩm định viên 1=same_group");
	json_t *pb = proposal_in(a, f.pB);
	cr_assert_str_eq(reviewers_text(pb, "reviewers", "state"),
			 "Thẩm định viên 1=not_started,Thẩm định viên 3=revised");
	cr_assert_str_eq(reviewers_text(pb, "conflicts", "kind"), "Thẩm định viên 2=same_group");
	json_t *pp = proposal_in(a, f.pP3);
	cr_assert_str_eq(reviewers_text(pp, "reviewers", "state"), "Thẩm định viên 2=not_started");
	cr_assert_str_eq(reviewers_text(pp, "conflicts", "kind"), "Thẩm định viên 1=same_group,Thẩm định viên 3=author");
	json_t *r0 = json_array_get(jget(pa, "reviewers"), 0);
	cr_assert_eq(jint(r0, "panelist_id"), f.P2.id);
	cr_assert_eq(json_object_size(r0), 3, "a reviewer is id, name and state only: %s", r->body);
	/* No score, comment or reason reaches the leader through this view. */
	cr_assert_null(strstr(r->body, "score"), "%s", r->body);
	cr_assert_null(strstr(r->body, "comment"), "%s", r->body);
	cr_assert_null(strstr(r->body, "Chấm lại"), "%s", r->body);
	resp_free(r);

	/* Moving P1's unstarted review of pB to P4 shows in the table at once. */
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments/move", (long long)f.k1),
			 json_pack("{s:I,s:I,s:I}", "proposal_id", (json_int_t)f.pB, "from_panelist_id",
				   (json_int_t)f.P1.id, "to_panelist_id", (json_int_t)f.P4.id)),
	       200, NULL);
	r = get_assignments(&f.L.c, f.k1);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(reviewers_text(proposal_in(r->json, f.pB), "reviewers", "state"),
			 "Thẩm định viên 3=revised,Thẩm định viên 4=not_started");
	resp_free(r);
	fx_free(&f);
}

Test(workspace, assignments_are_the_leader_of_the_ward_s_only)
{
	static struct fx f;
	fx_build(&f);
	const char *p[] = { S64(f.k1) };
	char *snap = db_text(PG,
			     "SELECT string_agg(proposal_id || ':' || panelist_id, ',' ORDER BY proposal_id, panelist_id)"
			     " FROM assignments WHERE campaign_id = $1",
			     1, p);

	EXPECT(get_assignments(&f.A.c, f.k1), 403, "forbidden");  /* a resident who proposed */
	EXPECT(get_assignments(&f.V.c, f.k1), 403, "forbidden");  /* a volunteer of the ward */
	EXPECT(get_assignments(&f.P1.c, f.k1), 403, "forbidden"); /* a panelist on this panel */
	EXPECT(get_assignments(&f.P4.c, f.k1), 403, "forbidden"); /* a panelist of the ward */
	EXPECT(get_assignments(&f.L2.c, f.k1), 403, "forbidden"); /* another ward's leader */
	struct client anon;
	client_init(&anon, &S);
	EXPECT(get_assignments(&anon, f.k1), 401, NULL);
	client_cleanup(&anon);
	EXPECT(get_assignments(&f.L.c, 0), 404, "not_found");
	EXPECT(get_assignments(&f.L.c, f.k1 + 1000000), 404, "not_found");
	EXPECT(http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f.k1), "{}", NULL), 400,
	       "unexpected_body");

	/* The role counts when the request comes, not when the session began. */
	EXPECT(get_assignments(&f.L.c, f.k1), 200, NULL);
	const char *q[] = { S64(f.L.id), S64(f.ward) };
	PQclear(db_exec(PG, "DELETE FROM role_grants WHERE account_id = $1 AND ward_id = $2 AND role = 'leader'", 2, q));
	EXPECT(get_assignments(&f.L.c, f.k1), 403, "forbidden");

	char *after = db_text(PG,
			      "SELECT string_agg(proposal_id || ':' || panelist_id, ',' ORDER BY proposal_id, panelist_id)"
			      " FROM assignments WHERE campaign_id = $1",
			      1, p);
	cr_assert_str_eq(after, snap, "reading changes nothing");
	free(after);
	free(snap);
	fx_free(&f);
}
