/*
 * The appraisal panel (issue 4) against the real daemon and the real PostgreSQL: who may sit on a
 * panel and when, automatic (author, helper, same residential group) and declared conflicts of
 * interest, seeded balanced assignment and single moves, scoring with versions and revision
 * reasons, two first submissions racing, what a panelist sees of the others' scores, the lock,
 * and the hash-chained score record (endpoint and `sangkien audit verify`) with the database
 * role's append-only rights. Every time rule runs on the test clock (client.now), never sleeping.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct srv S;
static PGconn *PG;

static void up(void)
{
	srv_start(&S, NULL, NULL);
	PG = db_connect(NULL);
}

static void fx_cleanup(void);

static void down(void)
{
	fx_cleanup();
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(panel, .init = up, .fini = down, .timeout = 90);
TestSuite(conflicts, .init = up, .fini = down, .timeout = 90);
TestSuite(assignment, .init = up, .fini = down, .timeout = 90);
TestSuite(scoring, .init = up, .fini = down, .timeout = 90);
TestSuite(lock, .init = up, .fini = down, .timeout = 90);
TestSuite(score_record, .init = up, .fini = down, .timeout = 90);

/* ------------------------------------------------------------------------- */
/* Small helpers                                                              */
/* ------------------------------------------------------------------------- */

/* A decimal string in one of fmt_path's rotating buffers. */
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

static const char *err_field(const struct resp *r)
{
	json_t *f = json_object_get(json_object_get(r->json, "error"), "field");
	return json_is_string(f) ? json_string_value(f) : "(none)";
}

/* Asserts the status (and the error code unless NULL) of a call and frees the reply. */
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

/* Asserts a 400 invalid_field naming fieldname. */
#define EXPECT_FIELD(call, fieldname)                                                                        \
	do {                                                                                                 \
		struct resp *r_ = (call);                                                                    \
		cr_assert_eq(r_->status, 400, "%s:%d: expected 400, got %ld %s", __FILE__, __LINE__,         \
			     r_->status, r_->body ? r_->body : "");                                          \
		cr_assert_str_eq(err_code(r_), "invalid_field", "%s:%d: %s", __FILE__, __LINE__, r_->body);  \
		cr_assert_str_eq(err_field(r_), (fieldname), "%s:%d: %s", __FILE__, __LINE__, r_->body);     \
		resp_free(r_);                                                                               \
	} while (0)

/* "2026-12-01T01:00:00Z" */
static void iso(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool id_in(json_t *list, const char *key, int64_t id)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) if (jint(e, key) == id) return true;
	return false;
}

/* ------------------------------------------------------------------------- */
/* The fixture: a ward, its call in appraisal, proposals, a panel             */
/* ------------------------------------------------------------------------- */

struct who {
	struct client c;
	int64_t id;
	char phone[16]; /* as typed: 09xxxxxxxx */
	char name[80];
};

static void who_new(struct who *w, int64_t ward, const char *name)
{
	memset(w, 0, sizeof *w);
	client_init(&w->c, &S);
	snprintf(w->name, sizeof w->name, "%s", name); /* first: name may be in fmt_path's buffers */
	/* A fresh number: the test database keeps the accounts of earlier runs and of parallel tests. */
	for (int tries = 0;; tries++) {
		rand_phone(w->phone);
		const char *p[] = { fmt_path("+84%s", w->phone + 1) };
		if (db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p) == 0 || tries == 20)
			break;
	}
	w->id = make_account(&w->c, PG, ward, w->phone, w->name);
}

static void who_login(struct who *w, int64_t now)
{
	w->c.now = now;
	cr_assert_eq(login(&w->c, w->phone, TEST_PASSWORD), 201, "login %s", w->name);
}

/* A second, independent session of the same person. */
static void who_second_session(struct client *c, const struct who *w)
{
	client_init(c, &S);
	c->now = w->c.now;
	cr_assert_eq(login(c, w->phone, TEST_PASSWORD), 201);
}

static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), S64(ward), group ? S64(group) : NULL, role };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, $4)", 4,
			p));
}

enum stage { ST_OPEN, ST_CLOSED, ST_APPRAISAL, ST_PANEL, ST_ASSIGNED };

struct fx_opts {
	enum stage upto;
	int extra; /* more proposals by A, in groups 1, 2, 1, 2, … */
};

struct fx {
	int64_t T0, T1;
	int64_t ward, g1, g2, ward2;
	/* L leads the ward, L2 another ward. A (group 1) and B (group 2) propose; volunteer V proposes for
	 * C (group 2) and sits on the panel; P1 lives in group 1, P2 in group 2; P3 proposes himself; P4
	 * holds the panelist role but is not named to the panel by the fixture. */
	struct who L, L2, A, B, C, V, P1, P2, P3, P4;
	int64_t k1, crit[3];
	int64_t pA, pB, pC, pP3;
	int64_t extra[8], extra_group[8];
	int nextra;
	int64_t attA;
	enum stage stage;
};

static struct who *everyone(struct fx *f, int i)
{
	struct who *all[] = { &f->L, &f->L2, &f->A, &f->B, &f->C, &f->V, &f->P1, &f->P2, &f->P3, &f->P4 };
	return i < 10 ? all[i] : NULL;
}

static void fx_now(struct fx *f, int64_t t)
{
	for (int i = 0; everyone(f, i); i++)
		everyone(f, i)->c.now = t;
}

static struct fx *CURRENT; /* the fixture being used, freed by down() when a test stops early */

static void fx_free(struct fx *f)
{
	for (int i = 0; everyone(f, i); i++)
		client_cleanup(&everyone(f, i)->c);
	if (CURRENT == f)
		CURRENT = NULL;
}

static void fx_cleanup(void)
{
	if (CURRENT)
		fx_free(CURRENT);
}

static json_t *proposal_body(int64_t group, const char *title)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
			 "summary", "Tóm tắt mô hình", "problem", "Bà con khó theo dõi thông báo của tổ", "model",
			 "Nhóm Zalo và bảng tin số cho tổ", "beneficiaries", "Các hộ trong tổ", "households", 80,
			 "resources", "Hai tình nguyện viên", "cost_vnd", (json_int_t)5000000, "submit", 1);
}

static int64_t propose(struct who *w, int64_t cid, json_t *body)
{
	struct resp *r = http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), body);
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

static struct resp *assign(struct who *w, int64_t cid, json_t *body)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)cid), body);
}

static void fx_advance(struct fx *f, enum stage to)
{
	if (f->stage < ST_CLOSED && to >= ST_CLOSED) {
		fx_now(f, f->T1);
		EXPECT(transition(&f->L, f->k1, "closed"), 200, NULL);
		f->stage = ST_CLOSED;
	}
	if (f->stage < ST_APPRAISAL && to >= ST_APPRAISAL) {
		EXPECT(transition(&f->L, f->k1, "appraisal"), 200, NULL);
		f->stage = ST_APPRAISAL;
	}
	if (f->stage < ST_PANEL && to >= ST_PANEL) {
		EXPECT(put_panel(&f->L, f->k1, json_pack("[I,I,I,I]", (json_int_t)f->P1.id, (json_int_t)f->P2.id,
							 (json_int_t)f->P3.id, (json_int_t)f->V.id)),
		       200, NULL);
		f->stage = ST_PANEL;
	}
	if (f->stage < ST_ASSIGNED && to >= ST_ASSIGNED) {
		EXPECT(assign(&f->L, f->k1, json_pack("{s:s}", "mode", "all")), 200, NULL);
		f->stage = ST_ASSIGNED;
	}
}

static void fx_build(struct fx *f, const struct fx_opts *opt)
{
	memset(f, 0, sizeof *f);
	CURRENT = f;
	f->T0 = (int64_t)time(NULL) + 86400 * 20;
	f->T0 -= f->T0 % 60;
	f->T1 = f->T0 + 900; /* after the deadline, well inside the 30 minutes a session may idle */
	f->ward = seed_ward(PG, &f->g1);
	const char *pw[] = { S64(f->ward) };
	f->g2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 2') RETURNING id", 1,
		       pw);
	f->ward2 = seed_ward(PG, NULL);

	who_new(&f->L, f->ward, "Lãnh đạo phường");
	who_new(&f->L2, f->ward2, "Lãnh đạo phường khác");
	who_new(&f->A, f->ward, "Cư dân A tổ 1");
	who_new(&f->B, f->ward, "Cư dân B tổ 2");
	who_new(&f->C, f->ward, "Cư dân C tổ 2");
	who_new(&f->V, f->ward, "Tình nguyện viên V");
	who_new(&f->P1, f->ward, "Thẩm định viên 1");
	who_new(&f->P2, f->ward, "Thẩm định viên 2");
	who_new(&f->P3, f->ward, "Thẩm định viên 3");
	who_new(&f->P4, f->ward, "Thẩm định viên 4");
	grant(f->L.id, f->ward, 0, "leader");
	grant(f->L2.id, f->ward2, 0, "leader");
	grant(f->A.id, f->ward, f->g1, "resident");
	grant(f->B.id, f->ward, f->g2, "resident");
	grant(f->C.id, f->ward, f->g2, "resident");
	grant(f->V.id, f->ward, 0, "volunteer");
	grant(f->V.id, f->ward, 0, "panelist");
	grant(f->P1.id, f->ward, f->g1, "resident");
	grant(f->P1.id, f->ward, 0, "panelist");
	grant(f->P2.id, f->ward, f->g2, "resident");
	grant(f->P2.id, f->ward, 0, "panelist");
	grant(f->P3.id, f->ward, 0, "resident");
	grant(f->P3.id, f->ward, 0, "panelist");
	grant(f->P4.id, f->ward, 0, "panelist");
	for (int i = 0; everyone(f, i); i++)
		if (everyone(f, i) != &f->C)
			who_login(everyone(f, i), f->T0);

	/* The call: open from T0, closing ten minutes later; the three default criteria (0..10). */
	char o[40], c[40];
	iso(f->T0, o);
	iso(f->T0 + 600, c);
	struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f->ward),
				   json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến chuyển đổi số 2026", "opens_at", o,
					     "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *k = jget(r->json, "campaign");
	f->k1 = jint(k, "id");
	cr_assert_eq(json_array_size(jget(k, "criteria")), 3);
	for (int i = 0; i < 3; i++)
		f->crit[i] = jint(json_array_get(jget(k, "criteria"), (size_t)i), "id");
	resp_free(r);
	EXPECT(transition(&f->L, f->k1, "open"), 200, NULL);

	fx_now(f, f->T0 + 60);
	f->pA = propose(&f->A, f->k1, proposal_body(f->g1, "Bảng tin số tổ 1"));
	f->pB = propose(&f->B, f->k1, proposal_body(f->g2, "Sổ liên lạc điện tử tổ 2"));
	json_t *b = proposal_body(f->g2, "Hướng dẫn dịch vụ công cho người cao tuổi");
	json_object_set_new(b, "on_behalf_of", json_integer(f->C.id));
	json_object_set_new(b, "consent", json_pack("{s:s,s:b}", "text_version", "v1", "given", 1));
	f->pC = propose(&f->V, f->k1, b);
	f->pP3 = propose(&f->P3, f->k1, proposal_body(f->g1, "Bản đồ số điểm thu gom rác"));
	f->nextra = opt->extra;
	for (int i = 0; i < opt->extra; i++) {
		f->extra_group[i] = i % 2 == 0 ? f->g1 : f->g2;
		f->extra[i] = propose(&f->A, f->k1, proposal_body(f->extra_group[i], fmt_path("Mô hình thêm %d", i + 1)));
	}
	static const unsigned char png[] = { /* a real 1x1 PNG: IHDR, IDAT, IEND */
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
		0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0xf6,
		0x17, 0x38, 0x55, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82 };
	const char *h[] = { "Content-Type: image/png", "X-Filename: ho-so-to-1.png", NULL };
	r = http_bytes(&f->A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)f->pA), png, sizeof png,
		       h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	f->attA = jint(jget(r->json, "attachment"), "id");
	resp_free(r);
	f->stage = ST_OPEN;
	fx_advance(f, opt->upto);
}

/* Every submitted proposal of the fixture's call. */
static int fx_proposals(const struct fx *f, int64_t out[16])
{
	int n = 0;
	out[n++] = f->pA;
	out[n++] = f->pB;
	out[n++] = f->pC;
	out[n++] = f->pP3;
	for (int i = 0; i < f->nextra; i++)
		out[n++] = f->extra[i];
	return n;
}

/* The conflicts the fixture implies, worked out by hand (independently of the panel_conflicts view). */
static const char *expected_conflict(const struct fx *f, int64_t p, int64_t q)
{
	int64_t group = p == f->pA || p == f->pP3 ? f->g1 : p == f->pB || p == f->pC ? f->g2 : 0;
	for (int i = 0; i < f->nextra; i++)
		if (p == f->extra[i])
			group = f->extra_group[i];
	if (q == f->P1.id && group == f->g1)
		return "same_group";
	if (q == f->P2.id && group == f->g2)
		return "same_group";
	if (q == f->P3.id && p == f->pP3)
		return "author";
	if (q == f->V.id && p == f->pC)
		return "helper";
	return NULL;
}

static struct who *panelist(struct fx *f, int i)
{
	struct who *all[] = { &f->P1, &f->P2, &f->P3, &f->V };
	return i < 4 ? all[i] : NULL;
}

/* ------------------------------------------------------------------------- */
/* Reviews                                                                    */
/* ------------------------------------------------------------------------- */

static json_t *scores3(const struct fx *f, int a, int b, int c)
{
	return json_pack("[{s:I,s:i,s:s},{s:I,s:i,s:s},{s:I,s:i,s:s}]", "criterion_id", (json_int_t)f->crit[0], "score",
			 a, "comment", "Cách làm mới", "criterion_id", (json_int_t)f->crit[1], "score", b, "comment",
			 "Làm được ngay", "criterion_id", (json_int_t)f->crit[2], "score", c, "comment", "Nhiều hộ dùng");
}

static struct resp *put_review(struct who *w, int64_t pid, int version, json_t *scores, const char *comment, bool submit,
			       const char *reason)
{
	json_t *b = json_pack("{s:i,s:b}", "version", version, "submit", submit);
	if (scores)
		json_object_set_new(b, "scores", scores);
	if (comment)
		json_object_set_new(b, "overall_comment", json_string(comment));
	if (reason)
		json_object_set_new(b, "reason", json_string(reason));
	return http_json(&w->c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)pid), b);
}

/* Submits a first review (version 0) and returns the version it now has. */
static int submit_review(const struct fx *f, struct who *w, int64_t pid, int a, int b, int c)
{
	struct resp *r = put_review(w, pid, 0, scores3(f, a, b, c), "Mô hình tốt, nên làm thử.", true, NULL);
	cr_assert_eq(r->status, 200, "submit as %s: %ld %s", w->name, r->status, r->body);
	int v = (int)jint(jget(r->json, "review"), "version");
	resp_free(r);
	return v;
}

static long long reviews_of(int64_t pid, int64_t q)
{
	const char *p[] = { S64(pid), S64(q) };
	return db_int(PG, "SELECT count(*) FROM reviews WHERE proposal_id = $1 AND panelist_id = $2", 2, p);
}

/* A review's row, its scores and its score events as one comparable text ("-" when there is none). */
static char *review_row(int64_t pid, int64_t q)
{
	const char *p[] = { S64(pid), S64(q) };
	return db_text(PG,
		       "SELECT coalesce((SELECT r.status || '|' || r.version || '|' || r.overall_comment || '|'"
		       " || coalesce(iso(r.submitted_at), '-') || '|' || iso(r.updated_at) || '|'"
		       " || coalesce((SELECT string_agg(s.criterion_id || ':' || s.score || ':' || s.comment, ','"
		       "   ORDER BY s.criterion_id) FROM review_scores s WHERE s.review_id = r.id), '') || '|'"
		       " || (SELECT count(*) FROM score_events e WHERE e.review_id = r.id)"
		       " FROM reviews r WHERE r.proposal_id = $1 AND r.panelist_id = $2), '-')",
		       2, p);
}

static long long score_events(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_int(PG, "SELECT count(*) FROM score_events WHERE campaign_id = $1", 1, p);
}

/* Seals campaign cid's pending events now (what the server's sealer does every 25 ms); returns how many. */
static long long seal_now(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_int(PG, "SELECT score_seal($1)", 1, p);
}

/* The id of the event sealed at position seq of cid's chain. */
static int64_t event_at(int64_t cid, int seq)
{
	const char *p[] = { S64(cid), S64(seq) };
	return db_int(PG, "SELECT event_id FROM score_seals WHERE campaign_id = $1 AND seq = $2", 2, p);
}

static struct resp *appraisal(struct who *w, int64_t pid)
{
	return http(&w->c, "GET", fmt_path("/api/v1/proposals/%lld/appraisal", (long long)pid), NULL, NULL);
}

static struct resp *worklist(struct who *w, int64_t cid)
{
	return http(&w->c, "GET", fmt_path("/api/v1/campaigns/%lld/worklist", (long long)cid), NULL, NULL);
}

static struct resp *declare(struct who *w, int64_t pid, const char *reason)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/proposals/%lld/conflict", (long long)pid),
			 reason ? json_pack("{s:s}", "reason", reason) : json_object());
}

static struct resp *lock_panel(struct who *w, int64_t cid, json_t *body)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/panel/lock", (long long)cid), body);
}

static struct resp *move(struct who *w, int64_t cid, int64_t pid, int64_t from, int64_t to)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments/move", (long long)cid),
			 json_pack("{s:I,s:I,s:I}", "proposal_id", (json_int_t)pid, "from_panelist_id", (json_int_t)from,
				   "to_panelist_id", (json_int_t)to));
}

static long long assigned(int64_t pid, int64_t q)
{
	const char *p[] = { S64(pid), S64(q) };
	return db_int(PG, "SELECT count(*) FROM assignments WHERE proposal_id = $1 AND panelist_id = $2", 2, p);
}

/* The campaign's assignments as "proposal:panelist,…" in order. */
static char *assignment_snapshot(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_text(PG,
		       "SELECT coalesce(string_agg(proposal_id || ':' || panelist_id, ',' ORDER BY proposal_id, panelist_id), '')"
		       " FROM assignments WHERE campaign_id = $1",
		       1, p);
}

/* ========================================================================= */
/* 1. The panel                                                               */
/* ========================================================================= */

Test(panel, only_panelists_of_the_ward_and_only_while_closed_or_in_appraisal)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_OPEN });
	json_t *good = json_pack("[I,I,I,I]", (json_int_t)f.P1.id, (json_int_t)f.P2.id, (json_int_t)f.P3.id,
				 (json_int_t)f.V.id);

	/* While the call is open: frozen. */
	EXPECT(put_panel(&f.L, f.k1, json_deep_copy(good)), 409, "panel_frozen");

	fx_advance(&f, ST_CLOSED);
	/* Only the ward's leader. */
	EXPECT(put_panel(&f.P1, f.k1, json_deep_copy(good)), 403, "forbidden");
	EXPECT(put_panel(&f.L2, f.k1, json_deep_copy(good)), 403, "forbidden");
	EXPECT(put_panel(&f.A, f.k1, json_deep_copy(good)), 403, "forbidden");

	/* Only accounts that hold the panelist role in this ward. */
	grant(f.L2.id, f.ward2, 0, "panelist"); /* a panelist, but of another ward */
	int64_t not_ok[] = { f.A.id, f.L.id, f.C.id, f.L2.id, 999999999999LL };
	for (size_t i = 0; i < sizeof not_ok / sizeof not_ok[0]; i++) {
		json_t *ids = json_deep_copy(good);
		json_array_append_new(ids, json_integer(not_ok[i]));
		EXPECT_FIELD(put_panel(&f.L, f.k1, ids), "panelist_ids");
	}
	EXPECT_FIELD(put_panel(&f.L, f.k1, json_pack("[s]", "P1")), "panelist_ids");
	EXPECT_FIELD(http_json(&f.L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.k1), json_object()),
		     "panelist_ids");
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM panelists WHERE campaign_id = $1", 1, pk), 0,
		     "a refused panel leaves nothing behind");

	/* Closed: allowed. */
	struct resp *r = put_panel(&f.L, f.k1, json_deep_copy(good));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "panelists")), 4, "%s", r->body);
	resp_free(r);

	/* In appraisal: allowed too; the leader sees every automatic conflict with its kind. */
	fx_advance(&f, ST_APPRAISAL);
	r = put_panel(&f.L, f.k1, json_deep_copy(good));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	EXPECT(http(&f.P1.c, "GET", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.k1), NULL, NULL), 403,
	       "forbidden");
	r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.k1), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *conf = jget(r->json, "conflicts");
	int64_t props[16];
	int np = fx_proposals(&f, props), want = 0;
	for (int i = 0; i < np; i++)
		for (int j = 0; panelist(&f, j); j++) {
			const char *kind = expected_conflict(&f, props[i], panelist(&f, j)->id);
			if (kind == NULL)
				continue;
			want++;
			bool found = false;
			size_t x;
			json_t *e;
			json_array_foreach(conf, x, e) found |= jint(e, "proposal_id") == props[i] &&
								 jint(e, "panelist_id") == panelist(&f, j)->id &&
								 !strcmp(jstr(e, "kind"), kind);
			cr_assert(found, "conflict %s of %s with proposal %lld missing: %s", kind, panelist(&f, j)->name,
				  (long long)props[i], r->body);
		}
	cr_assert_eq(json_array_size(conf), (size_t)want, "exactly the expected conflicts: %s", r->body);
	resp_free(r);

	/* A declared conflict shows with its reason. */
	EXPECT(declare(&f.P3, f.pB, "Tác giả là em họ của tôi"), 204, NULL);
	r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.k1), NULL, NULL);
	bool found = false;
	size_t x;
	json_t *e;
	json_array_foreach(jget(r->json, "conflicts"), x, e) found |= jint(e, "proposal_id") == f.pB &&
								    jint(e, "panelist_id") == f.P3.id &&
								    !strcmp(jstr(e, "kind"), "declared") &&
								    !strcmp(jstr(e, "reason"), "Tác giả là em họ của tôi");
	cr_assert(found, "the declared conflict and its reason: %s", r->body);
	resp_free(r);
	json_decref(good);
	fx_free(&f);
}

/* The candidate of a list reply with this account id (NULL: not listed). */
static json_t *candidate(json_t *list, int64_t id)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) if (jint(e, "account_id") == id) return e;
	return NULL;
}

Test(panel, the_leader_names_the_panel_from_the_wards_panelists_listed_by_name)
{
	static struct fx f;
	fx_build(&f, &(struct fx_opts){ .upto = ST_CLOSED });
	grant(f.L2.id, f.ward2, 0, "panelist"); /* a panelist of another ward: never a candidate here */
	const char *path = fmt_path("/api/v1/campaigns/%lld/panel/candidates", (long long)f.k1);
	char cpath[128];
	snprintf(cpath, sizeof cpath, "%s", path);

	/* Only this ward's leader. */
	struct client anon;
	client_init(&anon, &S);
	EXPECT(http(&anon, "GET", cpath, NULL, NULL), 401, NULL);
	client_cleanup(&anon);
	EXPECT(http(&f.P1.c, "GET", cpath, NULL, NULL), 403, "forbidden");
	EXPECT(http(&f.V.c, "GET", cpath, NULL, NULL), 403, "forbidden");
	EXPECT(http(&f.A.c, "GET", cpath, NULL, NULL), 403, "forbidden");
	EXPECT(http(&f.L2.c, "GET", cpath, NULL, NULL), 403, "forbidden");
	EXPECT(http(&f.L.c, "GET", "/api/v1/campaigns/999999999999/panel/candidates", NULL, NULL), 404, "not_found");

	/* Exactly the ward's panelists, with name and residential group, none on the panel yet. */
	struct resp *r = http(&f.L.c, "GET", cpath, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *list = jget(r->json, "candidates");
	cr_assert_eq(json_array_size(list), 5, "V, P1..P4 and nobody else: %s", r->body);
	struct who *ws[] = { &f.V, &f.P1, &f.P2, &f.P3, &f.P4 };
	const char *pg[] = { S64(f.g1) };
	char *g1name = db_text(PG, "SELECT name FROM residential_groups WHERE id = $1", 1, pg);
	int64_t groups[] = { 0, f.g1, f.g2, 0, 0 };
	const char *gnames[] = { NULL, g1name, "Tổ dân phố 2", NULL, NULL };
	for (size_t i = 0; i < 5; i++) {
		json_t *e = candidate(list, ws[i]->id);
		cr_assert_not_null(e, "%s is a candidate: %s", ws[i]->name, r->body);
		cr_assert_str_eq(jstr(e, "display_name"), ws[i]->name);
		cr_assert(json_is_false(jget(e, "on_panel")), "%s", r->body);
		if (groups[i]) {
			cr_assert_eq(jint(e, "group_id"), groups[i], "%s's group: %s", ws[i]->name, r->body);
			cr_assert_str_eq(jstr(e, "group_name"), gnames[i]);
		} else {
			cr_assert(json_is_null(jget(e, "group_id")) && json_is_null(jget(e, "group_name")), "%s", r->body);
		}
		/* No login of any kind: neither the number as typed nor in +84 form. */
		cr_assert_null(strstr(r->body, ws[i]->phone + 1), "no phone number in the list: %s", r->body);
		cr_assert_null(jget(e, "login"));
	}
	free(g1name);
	cr_assert_null(candidate(list, f.L2.id), "another ward's panelist is not listed");
	cr_assert_null(candidate(list, f.A.id), "a resident is not listed");
	cr_assert_null(candidate(list, f.L.id), "the leader is not listed");
	resp_free(r);

	/* Named by their ids: those two now show as on the panel, the others not. */
	EXPECT(put_panel(&f.L, f.k1, json_pack("[I,I]", (json_int_t)f.P2.id, (json_int_t)f.V.id)), 200, NULL);
	r = http(&f.L.c, "GET", cpath, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	list = jget(r->json, "candidates");
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(json_is_true(jget(candidate(list, ws[i]->id), "on_panel")), ws[i] == &f.P2 || ws[i] == &f.V,
			     "%s on_panel: %s", ws[i]->name, r->body);
	resp_free(r);
	fx_free(&f);
}

Test(panel, a_panelist_with_reviews_cannot_be_removed_others_can)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	EXPECT(put_review(&f.P3, f.pA, 0, NULL, NULL, false, NULL), 200, NULL); /* an empty draft */
	EXPECT(put_panel(&f.L, f.k1, json_pack("[I,I,I]", (json_int_t)f.P1.id, (json_int_t)f.P2.id, (json_int_t)f.V.id)),
	       409, "panelist_has_reviews");
	cr_assert_eq(assigned(f.pA, f.P3.id), 1);
	/* Removing P1 (no reviews) drops P1's assignments. */
	EXPECT(put_panel(&f.L, f.k1, json_pack("[I,I,I]", (json_int_t)f.P2.id, (json_int_t)f.P3.id, (json_int_t)f.V.id)),
	       200, NULL);
	const char *p[] = { S64(f.k1), S64(f.P1.id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM assignments WHERE campaign_id = $1 AND panelist_id = $2", 2, p), 0);
	EXPECT(worklist(&f.P1, f.k1), 404, "not_found");
	fx_free(&f);
}

/* ========================================================================= */
/* 2. Conflicts of interest                                                   */
/* ========================================================================= */

Test(conflicts, a_conflicted_panelist_never_sees_or_scores_the_proposal)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED, .extra = 2 });
	int64_t props[16];
	int np = fx_proposals(&f, props);
	for (int j = 0; panelist(&f, j); j++) {
		struct who *w = panelist(&f, j);
		struct resp *wl = worklist(w, f.k1);
		cr_assert_eq(wl->status, 200, "%s", wl->body);
		json_t *list = jget(wl->json, "proposals");
		for (int i = 0; i < np; i++) {
			const char *kind = expected_conflict(&f, props[i], w->id);
			cr_assert_eq(id_in(list, "id", props[i]), kind == NULL, "%s and proposal %lld (%s): %s", w->name,
				     (long long)props[i], kind ? kind : "no conflict", wl->body);
			cr_assert_eq(assigned(props[i], w->id), kind == NULL ? 1 : 0);
			if (kind) {
				EXPECT(appraisal(w, props[i]), 404, "not_found");
				EXPECT(put_review(w, props[i], 0, scores3(&f, 5, 5, 5), "Tốt", true, NULL), 404, "not_found");
				EXPECT(put_review(w, props[i], 0, NULL, NULL, false, NULL), 404, "not_found");
				cr_assert_eq(reviews_of(props[i], w->id), 0);
			} else {
				struct resp *a = appraisal(w, props[i]);
				cr_assert_eq(a->status, 200, "%s", a->body);
				cr_assert_eq(jint(jget(a->json, "proposal"), "id"), props[i]);
				resp_free(a);
			}
		}
		resp_free(wl);
	}
	/* Not on the panel at all: no work list (403 without the panelist role, which is checked first). */
	EXPECT(worklist(&f.A, f.k1), 403, "forbidden");
	EXPECT(worklist(&f.P4, f.k1), 404, "not_found");
	EXPECT(appraisal(&f.P4, f.pA), 404, "not_found");
	EXPECT(appraisal(&f.A, f.pA), 403, "forbidden");
	EXPECT(appraisal(&f.L, f.pA), 403, "forbidden");
	fx_free(&f);
}

Test(conflicts, a_declared_conflict_takes_the_proposal_off_the_work_list)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct resp *r = worklist(&f.P3, f.k1);
	cr_assert(id_in(jget(r->json, "proposals"), "id", f.pA), "%s", r->body);
	resp_free(r);
	EXPECT(put_review(&f.P3, f.pA, 0, NULL, "Bản nháp", false, NULL), 200, NULL);

	/* A reason is needed. */
	EXPECT_FIELD(declare(&f.P3, f.pA, NULL), "reason");
	EXPECT_FIELD(declare(&f.P3, f.pA, "   "), "reason");
	/* Only a panelist of the call (without the panelist role: 403, checked first). */
	EXPECT(declare(&f.A, f.pB, "Hàng xóm"), 403, "forbidden");
	EXPECT(declare(&f.L, f.pB, "Hàng xóm"), 403, "forbidden");

	EXPECT(declare(&f.P3, f.pA, "Tác giả là hàng xóm sát vách"), 204, NULL);
	r = worklist(&f.P3, f.k1);
	cr_assert_eq(r->status, 200);
	cr_assert(!id_in(jget(r->json, "proposals"), "id", f.pA), "%s", r->body);
	cr_assert(id_in(jget(r->json, "proposals"), "id", f.pB), "the others stay: %s", r->body);
	resp_free(r);
	EXPECT(appraisal(&f.P3, f.pA), 404, "not_found");
	EXPECT(put_review(&f.P3, f.pA, 1, scores3(&f, 1, 2, 3), "Tốt", true, NULL), 404, "not_found");
	EXPECT(put_review(&f.P3, f.pA, 0, scores3(&f, 1, 2, 3), "Tốt", true, NULL), 404, "not_found");
	cr_assert_eq(reviews_of(f.pA, f.P3.id), 0, "the draft went with the declaration");
	cr_assert_eq(assigned(f.pA, f.P3.id), 0);

	r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.k1), NULL, NULL);
	bool found = false;
	size_t x;
	json_t *e;
	json_array_foreach(jget(r->json, "conflicts"), x, e) found |= jint(e, "proposal_id") == f.pA &&
								    jint(e, "panelist_id") == f.P3.id &&
								    !strcmp(jstr(e, "kind"), "declared") &&
								    !strcmp(jstr(e, "reason"), "Tác giả là hàng xóm sát vách");
	cr_assert(found, "%s", r->body);
	resp_free(r);
	const char *p[] = { fmt_path("proposal:%lld", (long long)f.pA), S64(f.P3.id) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'conflict_declared' AND subject = $1"
			    " AND actor_account_id = $2",
			    2, p),
		     1);

	/* Once my review of a proposal is submitted, I cannot walk away from it by declaring. */
	submit_review(&f, &f.P3, f.pB, 6, 7, 8);
	EXPECT(declare(&f.P3, f.pB, "Nhớ ra là người quen"), 409, "already_submitted");
	cr_assert_eq(assigned(f.pB, f.P3.id), 1);
	fx_free(&f);
}

/*
 * The appraisal view lists a proposal's attachments to its panelists (ids, with blind names "tep-1.png"),
 * so an assigned, unconflicted panelist must be able to open them, and in blind review the download must
 * not carry the original file name (it often holds the author's name). Conflicted and unassigned
 * panelists still get 404.
 */
Test(conflicts, an_assigned_panelist_opens_the_attachments_without_their_original_names)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct resp *a = appraisal(&f.P2, f.pA);
	cr_assert_eq(a->status, 200, "%s", a->body);
	json_t *att = json_array_get(jget(jget(a->json, "proposal"), "attachments"), 0);
	cr_assert_eq(jint(att, "id"), f.attA, "%s", a->body);
	cr_assert_str_eq(jstr(att, "filename"), "tep-1.png", "%s", a->body);
	resp_free(a);
	EXPECT(http(&f.P1.c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)f.attA), NULL, NULL), 404, "not_found");
	EXPECT(http(&f.P4.c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)f.attA), NULL, NULL), 404, "not_found");
	struct resp *r = http(&f.P2.c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)f.attA), NULL, NULL);
	cr_assert_eq(r->status, 200,
		     "an assigned panelist cannot open the attachment the appraisal view lists (src/http/r_attachments.c, "
		     "attachments_get allows only author, helper and leader): got %ld %s",
		     r->status, r->body ? r->body : "");
	/* the fixture's 1x1 PNG, as re-encoded when stored */
	cr_assert(r->len > 8 && memcmp(r->body, "\x89PNG", 4) == 0, "not the stored PNG");
	char disposition[512];
	cr_assert(resp_header(r, "Content-Disposition", disposition, sizeof disposition));
	cr_assert_null(strstr(disposition, "ho-so-to-1"), "blind review, but the download names the original file: %s",
		       disposition);
	resp_free(r);
	fx_free(&f);
}

/* A JPEG segment: FF m, big-endian length, payload. */
static size_t jseg(unsigned char *d, size_t n, unsigned m, const void *p, size_t k)
{
	d[n] = 0xFF;
	d[n + 1] = (unsigned char)m;
	d[n + 2] = (unsigned char)((k + 2) >> 8);
	d[n + 3] = (unsigned char)(k + 2);
	memcpy(d + n + 4, p, k);
	return n + 4 + k;
}

static bool has_bytes(const void *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp((const char *)h + i, needle, k) == 0)
			return true;
	return false;
}

/*
 * A phone photo's EXIF (GPS, Artist, a description with the author's name and phone), XMP, IPTC
 * and a comment must not reach the panel: the upload stores the photo without them, so neither the
 * blind panelist nor the author downloads them; the photo is re-encoded from its pixels, turned
 * upright by its Orientation, with no EXIF left.
 */
Test(conflicts, photo_metadata_naming_the_author_is_removed_before_the_panel_sees_it)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_OPEN });
	char who[160];
	snprintf(who, sizeof who, "%s %s", f.A.name, f.A.phone);
	size_t wl = strlen(who) + 1;

	/* EXIF, little-endian TIFF: IFD0 = ImageDescription (who), Orientation 6, Artist (who), GPSInfo. */
	unsigned char e[600];
	size_t en = 0;
	memcpy(e, "Exif\0\0II\x2A\0\x08\0\0\0", 14);
	en = 14;
	uint32_t data_at = 8 + 2 + 4 * 12 + 4, gps_at = data_at + 2 * (uint32_t)wl;
	const uint32_t ifd0[4][4] = { { 0x010E, 2, (uint32_t)wl, data_at },
				      { 0x0112, 3, 1, 6 },
				      { 0x013B, 2, (uint32_t)wl, data_at + (uint32_t)wl },
				      { 0x8825, 4, 1, gps_at } };
	e[en++] = 4;
	e[en++] = 0;
	for (int i = 0; i < 4; i++) {
		const uint32_t v[4] = { ifd0[i][0], ifd0[i][1], ifd0[i][2], ifd0[i][3] };
		e[en++] = (unsigned char)v[0];
		e[en++] = (unsigned char)(v[0] >> 8);
		e[en++] = (unsigned char)v[1];
		e[en++] = 0;
		for (int b = 0; b < 4; b++)
			e[en++] = (unsigned char)(v[2] >> (8 * b));
		for (int b = 0; b < 4; b++)
			e[en++] = (unsigned char)(v[3] >> (8 * b));
	}
	memset(e + en, 0, 4);
	en += 4;
	memcpy(e + en, who, wl);
	en += wl;
	memcpy(e + en, who, wl);
	en += wl;
	/* GPS IFD: GPSLatitudeRef "N" (inline), no next IFD */
	memcpy(e + en, "\x01\0\x01\0\x02\0\x02\0\0\0N\0\0\0\0\0\0\0", 18);
	en += 18;

	unsigned char jpg[4000];
	size_t n = 0;
	memcpy(jpg, "\xFF\xD8", 2);
	n = 2;
	n = jseg(jpg, n, 0xE0, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14);
	n = jseg(jpg, n, 0xE1, e, en);
	char x[400];
	int xl = snprintf(x, sizeof x, "http://ns.adobe.com/xap/1.0/%c<dc:creator>%s</dc:creator>", 0, who);
	n = jseg(jpg, n, 0xE1, x, (size_t)xl);
	xl = snprintf(x, sizeof x, "Photoshop 3.0%c8BIM\x04\x04%s", 0, who);
	n = jseg(jpg, n, 0xED, x, (size_t)xl);
	n = jseg(jpg, n, 0xFE, who, wl - 1);
	/* from here on: the image itself, a real 8 x 8 JPEG (made with libvips) after its SOI */
	static const unsigned char image[] =
		"\xff\xdb\x00\x43\x00\x10\x0b\x0c\x0e\x0c\x0a\x10\x0e\x0d\x0e\x12\x11\x10\x13\x18\x28\x1a\x18\x16\x16\x18\x31\x23"
		"\x25\x1d\x28\x3a\x33\x3d\x3c\x39\x33\x38\x37\x40\x48\x5c\x4e\x40\x44\x57\x45\x37\x38\x50\x6d\x51\x57\x5f\x62\x67"
		"\x68\x67\x3e\x4d\x71\x79\x70\x64\x78\x5c\x65\x67\x63\xff\xdb\x00\x43\x01\x11\x12\x12\x18\x15\x18\x2f\x1a\x1a\x2f"
		"\x63\x42\x38\x42\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63"
		"\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\x63\xff\xc0"
		"\x00\x11\x08\x00\x08\x00\x08\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xc4\x00\x1f\x00\x00\x01\x05\x01\x01\x01"
		"\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xff\xc4\x00\xb5\x10\x00"
		"\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01\x7d\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13"
		"\x51\x61\x07\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0\x24\x33\x62\x72\x82\x09\x0a\x16\x17"
		"\x18\x19\x1a\x25\x26\x27\x28\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49\x4a\x53\x54\x55\x56"
		"\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89\x8a"
		"\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2"
		"\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1"
		"\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xff\xc4\x00\x1f\x01\x00\x03\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x00\x00"
		"\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xff\xc4\x00\xb5\x11\x00\x02\x01\x02\x04\x04\x03\x04\x07"
		"\x05\x04\x04\x00\x01\x02\x77\x00\x01\x02\x03\x11\x04\x05\x21\x31\x06\x12\x41\x51\x07\x61\x71\x13\x22\x32\x81\x08"
		"\x14\x42\x91\xa1\xb1\xc1\x09\x23\x33\x52\xf0\x15\x62\x72\xd1\x0a\x16\x24\x34\xe1\x25\xf1\x17\x18\x19\x1a\x26\x27"
		"\x28\x29\x2a\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65"
		"\x66\x67\x68\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x92\x93\x94\x95\x96\x97"
		"\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5\xc6\xc7\xc8"
		"\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9"
		"\xfa\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00\xf4\x0a\x28\xa2\x80\x3f\xff\xd9";
	memcpy(jpg + n, image, sizeof image - 1);
	n += sizeof image - 1;
	cr_assert(has_bytes(jpg, n, f.A.phone));

	const char *h[] = { "Content-Type: image/jpeg", "X-Filename: anh-cua-toi.jpg", NULL };
	struct resp *r = http_bytes(&f.A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)f.pA), jpg, n,
				    h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t att = jint(jget(r->json, "attachment"), "id");
	json_int_t size = jint(jget(r->json, "attachment"), "size");
	resp_free(r);
	/* Re-encoded from its pixels (src/media/photo.c): none of the segments above is kept. */
	cr_assert_lt(size, (json_int_t)n, "stored %lld bytes", (long long)size);
	const char *q[] = { S64(att), f.A.phone };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM attachments WHERE id = $1 AND size = length(content)"
			    " AND sha256 = encode(sha256(content), 'hex') AND position(convert_to($2, 'UTF8') IN content) = 0",
			    2, q),
		     1, "the stored photo still holds the phone number, or its size/hash are not of what is stored");

	/* A broken photo is refused and nothing is stored. */
	const char *c[] = { S64(f.pA) };
	long long before = db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, c);
	r = http_bytes(&f.A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)f.pA), jpg, n - 3, h);
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(jstr(jget(r->json, "error"), "code"), "invalid_image");
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, c), before);

	fx_advance(&f, ST_ASSIGNED);
	struct who *readers[] = { &f.P2, &f.A };
	for (int k = 0; k < 2; k++) {
		r = http(&readers[k]->c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)att), NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %ld %s", readers[k]->name, r->status, r->body ? r->body : "");
		cr_assert_eq((json_int_t)r->len, size);
		const unsigned char *b = (const unsigned char *)r->body;
		cr_assert(b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF, "no longer a JPEG");
		cr_assert(!has_bytes(b, r->len, f.A.phone), "%s downloads the author's phone number", readers[k]->name);
		cr_assert(!has_bytes(b, r->len, f.A.name), "%s downloads the author's name", readers[k]->name);
		cr_assert(!has_bytes(b, r->len, "ns.adobe.com") && !has_bytes(b, r->len, "Photoshop"));
		/* the orientation was applied to the pixels: no EXIF is left at all */
		cr_assert(!has_bytes(b, r->len, "Exif"), "an EXIF block is left");
		resp_free(r);
	}
	fx_free(&f);
}

/* ========================================================================= */
/* 3. Assignment                                                              */
/* ========================================================================= */

Test(assignment, mode_all_gives_every_eligible_panelist_every_proposal)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_PANEL, .extra = 2 });
	EXPECT(assign(&f.P1, f.k1, json_pack("{s:s}", "mode", "all")), 403, "forbidden");
	EXPECT_FIELD(assign(&f.L, f.k1, json_pack("{s:s}", "mode", "some")), "mode");
	EXPECT_FIELD(assign(&f.L, f.k1, json_pack("{s:s}", "mode", "k")), "mode");
	struct resp *r = assign(&f.L, f.k1, json_pack("{s:s}", "mode", "all"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	int64_t props[16];
	int np = fx_proposals(&f, props), eligible = 0;
	for (int i = 0; i < np; i++)
		for (int j = 0; panelist(&f, j); j++) {
			bool ok = expected_conflict(&f, props[i], panelist(&f, j)->id) == NULL;
			eligible += ok;
			cr_assert_eq(assigned(props[i], panelist(&f, j)->id), ok ? 1 : 0, "proposal %lld, %s",
				     (long long)props[i], panelist(&f, j)->name);
		}
	cr_assert_eq(jint(r->json, "assigned"), eligible, "%s", r->body);
	const char *p[] = { S64(f.k1) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM assignments WHERE campaign_id = $1", 1, p), eligible);
	resp_free(r);
	fx_free(&f);
}

/* Reviews per proposal and per panelist, from the database. */
static void loads(const struct fx *f, long long *min_per_proposal, long long *max_per_proposal, long long *min_load,
		  long long *max_load)
{
	const char *p[] = { S64(f->k1) };
	*min_per_proposal = db_int(PG,
				   "SELECT min(n) FROM (SELECT count(x.panelist_id) AS n FROM proposals pr LEFT JOIN assignments x"
				   " ON x.proposal_id = pr.id WHERE pr.campaign_id = $1 AND pr.status = 'submitted' GROUP BY pr.id) t",
				   1, p);
	*max_per_proposal = db_int(PG,
				   "SELECT max(n) FROM (SELECT count(x.panelist_id) AS n FROM proposals pr LEFT JOIN assignments x"
				   " ON x.proposal_id = pr.id WHERE pr.campaign_id = $1 AND pr.status = 'submitted' GROUP BY pr.id) t",
				   1, p);
	*min_load = db_int(PG,
			   "SELECT min(n) FROM (SELECT count(x.proposal_id) AS n FROM panelists pn LEFT JOIN assignments x"
			   " ON x.panelist_id = pn.account_id AND x.campaign_id = pn.campaign_id WHERE pn.campaign_id = $1"
			   " GROUP BY pn.account_id) t",
			   1, p);
	*max_load = db_int(PG,
			   "SELECT max(n) FROM (SELECT count(x.proposal_id) AS n FROM panelists pn LEFT JOIN assignments x"
			   " ON x.panelist_id = pn.account_id AND x.campaign_id = pn.campaign_id WHERE pn.campaign_id = $1"
			   " GROUP BY pn.account_id) t",
			   1, p);
}

Test(assignment, mode_k_gives_exactly_k_balanced_reproducible_and_reports_uncovered)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_PANEL, .extra = 4 });
	const char *p[] = { S64(f.k1) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM panel_conflicts WHERE campaign_id = $1 AND kind <> 'declared'", 1, p),
		     2 + 2 + 1 + 1 + 4, "the fixture's conflicts");

	struct resp *r = assign(&f.L, f.k1, json_pack("{s:s,s:i,s:i}", "mode", "k", "k", 2, "seed", 42));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(jint(r->json, "assigned"), 8 * 2, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "uncovered")), 0, "%s", r->body);
	long long minp, maxp, minl, maxl;
	loads(&f, &minp, &maxp, &minl, &maxl);
	cr_assert_eq(minp, 2);
	cr_assert_eq(maxp, 2, "each proposal exactly k reviewers");
	cr_assert_leq(maxl - minl, 1, "loads within one: %lld..%lld", minl, maxl);
	cr_assert_eq(jint(r->json, "min_load"), minl, "%s", r->body);
	cr_assert_eq(jint(r->json, "max_load"), maxl, "%s", r->body);
	resp_free(r);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM assignments x JOIN panel_conflicts k ON k.proposal_id = x.proposal_id"
			    " AND k.panelist_id = x.panelist_id WHERE x.campaign_id = $1",
			    1, p),
		     0, "nobody is assigned a proposal they are conflicted with");
	char *first = assignment_snapshot(f.k1);

	/* Another seed, then the same seed again: the same assignment. */
	EXPECT(assign(&f.L, f.k1, json_pack("{s:s,s:i,s:i}", "mode", "k", "k", 2, "seed", 7)), 200, NULL);
	EXPECT(assign(&f.L, f.k1, json_pack("{s:s,s:i,s:i}", "mode", "k", "k", 2, "seed", 42)), 200, NULL);
	char *again = assignment_snapshot(f.k1);
	cr_assert_str_eq(again, first, "the same seed must give the same assignment");
	free(again);
	free(first);

	/* k = 3: pC (eligible: P1, P3) and pP3 (eligible: P2, V) cannot have three; they get all they can. */
	r = assign(&f.L, f.k1, json_pack("{s:s,s:i,s:i}", "mode", "k", "k", 3, "seed", 1));
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *unc = jget(r->json, "uncovered");
	cr_assert_eq(json_array_size(unc), 2, "%s", r->body);
	bool c_listed = false, p3_listed = false;
	size_t i;
	json_t *e;
	json_array_foreach(unc, i, e) {
		c_listed |= json_integer_value(e) == f.pC;
		p3_listed |= json_integer_value(e) == f.pP3;
	}
	cr_assert(c_listed && p3_listed, "%s", r->body);
	cr_assert_eq(jint(r->json, "assigned"), 6 * 3 + 2 + 2, "%s", r->body);
	resp_free(r);
	cr_assert_eq(assigned(f.pC, f.P1.id) + assigned(f.pC, f.P3.id), 2);
	cr_assert_eq(assigned(f.pP3, f.P2.id) + assigned(f.pP3, f.V.id), 2);
	fx_free(&f);
}

Test(assignment, moving_one_assignment_respects_conflicts_and_started_reviews)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	/* P4 joins the panel after the assignment: on the panel, reviewing nothing. */
	EXPECT(put_panel(&f.L, f.k1, json_pack("[I,I,I,I,I]", (json_int_t)f.P1.id, (json_int_t)f.P2.id, (json_int_t)f.P3.id,
					       (json_int_t)f.V.id, (json_int_t)f.P4.id)),
	       200, NULL);
	cr_assert_eq(assigned(f.pA, f.P3.id), 1);

	EXPECT(move(&f.P2, f.k1, f.pA, f.P3.id, f.P4.id), 403, "forbidden");
	EXPECT(move(&f.L2, f.k1, f.pA, f.P3.id, f.P4.id), 403, "forbidden");
	/* To a conflicted panelist (P1 lives in pA's group). */
	EXPECT(move(&f.L, f.k1, f.pA, f.P3.id, f.P1.id), 409, "conflict_of_interest");
	/* To one who already has it. */
	EXPECT(move(&f.L, f.k1, f.pA, f.P3.id, f.P2.id), 409, "already_assigned");
	/* From one who does not have it. */
	EXPECT(move(&f.L, f.k1, f.pA, f.P1.id, f.P4.id), 404, "not_found");
	/* To someone not on the panel. */
	struct resp *r = move(&f.L, f.k1, f.pA, f.P3.id, f.A.id);
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_field");
	resp_free(r);
	cr_assert_eq(assigned(f.pA, f.P3.id), 1, "refused moves change nothing");

	r = move(&f.L, f.k1, f.pA, f.P3.id, f.P4.id);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	cr_assert_eq(assigned(f.pA, f.P3.id), 0);
	cr_assert_eq(assigned(f.pA, f.P4.id), 1);
	const char *p[] = { fmt_path("proposal:%lld", (long long)f.pA) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'assignment_moved' AND subject = $1", 1, p),
		     1);
	r = worklist(&f.P4, f.k1);
	cr_assert(id_in(jget(r->json, "proposals"), "id", f.pA), "%s", r->body);
	resp_free(r);
	EXPECT(appraisal(&f.P3, f.pA), 404, "not_found");

	/* Once P4 has started the review, it cannot move. */
	EXPECT(put_review(&f.P4, f.pA, 0, NULL, "Đang đọc", false, NULL), 200, NULL);
	EXPECT(move(&f.L, f.k1, f.pA, f.P4.id, f.P3.id), 409, "review_exists");
	cr_assert_eq(assigned(f.pA, f.P4.id), 1);

	/* And with a review started, the whole assignment cannot be redone. */
	char *before = assignment_snapshot(f.k1);
	EXPECT(assign(&f.L, f.k1, json_pack("{s:s}", "mode", "all")), 409, "reviews_started");
	EXPECT(assign(&f.L, f.k1, json_pack("{s:s,s:i,s:i}", "mode", "k", "k", 2, "seed", 3)), 409, "reviews_started");
	char *after = assignment_snapshot(f.k1);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	fx_free(&f);
}

/* ========================================================================= */
/* 4. Scoring                                                                 */
/* ========================================================================= */

Test(scoring, scores_must_be_whole_numbers_from_zero_to_the_maximum_one_per_criterion)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct who *w = &f.P2; /* reviews pA */
	const char *ok = "Ý tưởng hay, khả thi.";
	json_int_t k0 = (json_int_t)f.crit[0], k1 = (json_int_t)f.crit[1], k2 = (json_int_t)f.crit[2];
	json_t *bad[] = {
		json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 11, "criterion_id", k1, "score", 5,
			  "criterion_id", k2, "score", 5),                       /* above the maximum 10 */
		json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", -1, "criterion_id", k1, "score", 5,
			  "criterion_id", k2, "score", 5),                       /* below 0 */
		json_pack("[{s:I,s:f},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 7.5, "criterion_id", k1, "score",
			  5, "criterion_id", k2, "score", 5),                    /* not whole */
		json_pack("[{s:I,s:s},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", "7", "criterion_id", k1, "score",
			  5, "criterion_id", k2, "score", 5),                    /* a string */
		json_pack("[{s:I,s:n},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", "criterion_id", k1, "score", 5,
			  "criterion_id", k2, "score", 5),                       /* null */
		json_pack("[{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 5, "criterion_id", k1, "score", 5),
		/* missing a criterion when submitting */
		json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 5, "criterion_id", k1, "score", 5,
			  "criterion_id", (json_int_t)999999999, "score", 5), /* unknown criterion */
		json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 5, "criterion_id", k0, "score", 5,
			  "criterion_id", k2, "score", 5),                       /* twice the same */
		json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", k0, "score", 5, "criterion_id", k1,
			  "score", 5, "criterion_id", k2, "score", 5, "criterion_id", k2, "score", 5), /* too many */
		json_pack("[{s:i},{s:I,s:i},{s:I,s:i}]", "score", 5, "criterion_id", k1, "score", 5, "criterion_id", k2,
			  "score", 5),                                           /* no criterion */
		json_pack("[{s:f,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", (double)k0 + 0.5, "score", 5, "criterion_id", k1,
			  "score", 5, "criterion_id", k2, "score", 5),           /* a criterion id that is not whole */
		json_pack("[{s:s,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", "1", "score", 5, "criterion_id", k1, "score", 5,
			  "criterion_id", k2, "score", 5),                       /* a criterion id as a string */
		json_pack("[i,i,i]", 5, 5, 5),                                   /* not objects */
	};
	/* Every case runs; the mismatches are reported together at the end. */
	char mismatches[4096] = "";
	size_t used = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *sent = json_dumps(bad[i], JSON_COMPACT);
		struct resp *r = put_review(w, f.pA, 0, bad[i], ok, true, NULL);
		if (r->status != 400 || strcmp(err_field(r), "scores") != 0)
			used += (size_t)snprintf(mismatches + used, used < sizeof mismatches ? sizeof mismatches - used : 0,
						 "\n  case %zu, scores %s: got %ld %s", i, sent, r->status, r->body ? r->body : "");
		free(sent);
		resp_free(r);
	}
	EXPECT_FIELD(http_json(&w->c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)f.pA),
			       json_pack("{s:i,s:i,s:s,s:b}", "version", 0, "scores", 5, "overall_comment", ok, "submit", 1)),
		     "scores");
	/* A criterion of another call is unknown here. */
	const char *pk[] = { S64(f.k1) };
	int64_t foreign = db_int(PG, "SELECT id FROM criteria WHERE campaign_id <> $1 ORDER BY id DESC LIMIT 1", 1, pk);
	EXPECT_FIELD(put_review(w, f.pA, 0,
				json_pack("[{s:I,s:i},{s:I,s:i},{s:I,s:i}]", "criterion_id", (json_int_t)foreign, "score", 5,
					  "criterion_id", k1, "score", 5, "criterion_id", k2, "score", 5),
				ok, true, NULL),
		     "scores");
	/* Submitting needs an overall comment (spaces alone are none). */
	EXPECT_FIELD(put_review(w, f.pA, 0, scores3(&f, 5, 5, 5), NULL, true, NULL), "overall_comment");
	EXPECT_FIELD(put_review(w, f.pA, 0, scores3(&f, 5, 5, 5), "   ", true, NULL), "overall_comment");
	cr_assert_eq(reviews_of(f.pA, w->id), 0, "nothing refused was stored");
	cr_assert_eq(score_events(f.k1), 0);

	/* The edges are fine: 0 and the maximum; a draft may leave criteria out. */
	EXPECT(put_review(w, f.pA, 0,
			  json_pack("[{s:I,s:i}]", "criterion_id", k0, "score", 0), NULL, false, NULL),
	       200, NULL);
	struct resp *r = put_review(w, f.pA, 1, scores3(&f, 0, 10, 10), ok, true, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(jstr(jget(r->json, "review"), "status"), "submitted");
	resp_free(r);
	fx_free(&f);
	cr_assert_eq(used, 0, "invalid scores must answer 400 with field scores:%s", mismatches);
}

Test(scoring, draft_submit_revise_with_reason_and_stale_versions_change_nothing)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct who *w = &f.P2;

	/* A draft: version 1, no score event. */
	struct resp *r = put_review(w, f.pA, 0, json_pack("[{s:I,s:i}]", "criterion_id", (json_int_t)f.crit[0], "score", 4),
				    "Đang xem", false, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *v = jget(r->json, "review");
	cr_assert_str_eq(jstr(v, "status"), "draft");
	cr_assert_eq(jint(v, "version"), 1);
	cr_assert(json_is_null(jget(v, "submitted_at")), "%s", r->body);
	cr_assert_eq(json_array_size(jget(v, "scores")), 1);
	resp_free(r);
	cr_assert_eq(score_events(f.k1), 0, "drafts are not in the score record");
	r = worklist(w, f.k1);
	size_t i;
	json_t *e;
	json_array_foreach(jget(r->json, "proposals"), i, e) if (jint(e, "id") == f.pA) {
		cr_assert_str_eq(jstr(jget(e, "review"), "status"), "draft", "%s", r->body);
		cr_assert_eq(jint(jget(e, "review"), "version"), 1);
	}
	resp_free(r);

	/* Stale: version 0 again. */
	char *before = review_row(f.pA, w->id);
	EXPECT(put_review(w, f.pA, 0, scores3(&f, 9, 9, 9), "Khác", false, NULL), 409, "version_conflict");
	EXPECT(put_review(w, f.pA, 5, scores3(&f, 9, 9, 9), "Khác", true, NULL), 409, "version_conflict");
	char *after = review_row(f.pA, w->id);
	cr_assert_str_eq(after, before, "a stale save changes nothing");
	free(after);
	free(before);

	/* Submit. */
	r = put_review(w, f.pA, 1, scores3(&f, 6, 7, 8), "Mô hình thiết thực.", true, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	v = jget(r->json, "review");
	cr_assert_str_eq(jstr(v, "status"), "submitted");
	cr_assert_eq(jint(v, "version"), 2);
	cr_assert(json_is_string(jget(v, "submitted_at")));
	cr_assert_eq(jint(json_array_get(jget(v, "scores"), 1), "score"), 7);
	resp_free(r);
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_events WHERE campaign_id = $1 AND kind = 'submit'", 1, pk), 1);
	const char *pa[] = { fmt_path("proposal:%lld", (long long)f.pA), S64(w->id) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'review_submit' AND subject = $1 AND actor_account_id = $2",
			    2, pa),
		     1);

	/* A submitted review is not a draft again. */
	EXPECT(put_review(w, f.pA, 2, scores3(&f, 1, 1, 1), "Nháp lại", false, NULL), 409, "already_submitted");
	/* Revising needs a reason. */
	EXPECT_FIELD(put_review(w, f.pA, 2, scores3(&f, 5, 7, 8), "Mô hình thiết thực.", true, NULL), "reason");
	EXPECT_FIELD(put_review(w, f.pA, 2, scores3(&f, 5, 7, 8), "Mô hình thiết thực.", true, "  "), "reason");
	r = put_review(w, f.pA, 2, scores3(&f, 5, 7, 8), "Mô hình thiết thực.", true, "Đọc lại phần chi phí");
	cr_assert_eq(r->status, 200, "%s", r->body);
	v = jget(r->json, "review");
	cr_assert_eq(jint(v, "version"), 3);
	cr_assert_eq(jint(json_array_get(jget(v, "scores"), 0), "score"), 5);
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_events WHERE campaign_id = $1 AND kind = 'revise'", 1, pk), 1);
	char *content = db_text(PG, "SELECT content FROM score_events WHERE campaign_id = $1 ORDER BY id DESC LIMIT 1", 1, pk);
	cr_assert_not_null(strstr(content, "kind=revise\n"), "%s", content);
	cr_assert_not_null(strstr(content, "reason=Đọc lại phần chi phí"), "%s", content);
	cr_assert_not_null(strstr(content, fmt_path("score=%lld|5|", (long long)f.crit[0])), "%s", content);
	free(content);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'review_revise' AND subject = $1 AND actor_account_id = $2",
			    2, pa),
		     1);

	/* A revision on a stale version changes nothing. */
	char *before2 = review_row(f.pA, w->id);
	EXPECT(put_review(w, f.pA, 2, scores3(&f, 1, 1, 1), "Khác hẳn", true, "Lý do"), 409, "version_conflict");
	char *after2 = review_row(f.pA, w->id);
	cr_assert_str_eq(after2, before2);
	cr_assert_eq(score_events(f.k1), 2);
	free(after2);
	free(before2);
	fx_free(&f);
}

/*
 * Issue 12: a review write is one database call after the session lookup. The panelist role in the
 * proposal's ward is checked inside review_save (with the assignment), not in a round trip of its own
 * (the statement below, before 027). Seen in pg_stat_statements when the cluster loads it (the embedded
 * one does); other tests running meanwhile may add a few calls, never twenty.
 */
Test(scoring, a_review_write_asks_the_database_once_after_the_session_lookup)
{
	static struct fx f;
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct who *w = &f.P2;
	if (db_int(PG,
		   "SELECT count(*) FROM pg_settings WHERE name = 'shared_preload_libraries'"
		   " AND setting LIKE '%pg_stat_statements%'",
		   0, NULL) == 0) {
		fx_free(&f);
		cr_skip_test("pg_stat_statements is not loaded in this cluster");
	}
	PQclear(db_exec(PG, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", 0, NULL));
	const char *calls = "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE toplevel"
			    " AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
			    " AND query LIKE $1";
	const char *ward_q[] = { "SELECT k.ward_id FROM proposals q JOIN campaigns k ON k.id = q.campaign_id%" };
	const char *save_q[] = { "SELECT review_save(%" };
	long long ward0 = db_int(PG, calls, 1, ward_q), save0 = db_int(PG, calls, 1, save_q);
	for (int i = 0; i < 20; i++) {
		struct resp *r = put_review(w, f.pA, i, scores3(&f, i % 10, 5, 5), "Đang xem", false, NULL);
		cr_assert_eq(r->status, 200, "draft %d: %ld %s", i, r->status, r->body);
		resp_free(r);
	}
	long long ward = db_int(PG, calls, 1, ward_q) - ward0, save = db_int(PG, calls, 1, save_q) - save0;
	cr_assert_geq(save, 20, "review_save ran %lld times for 20 writes", save);
	cr_assert_lt(ward, 20, "the proposal's ward was asked %lld times for 20 writes: a round trip of its own", ward);
	fx_free(&f);
}

struct racer {
	struct client *c;
	const char *path, *body;
	pthread_barrier_t *bar;
	long status;
	char code[64];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->bar);
	struct resp *x = http(r->c, "PUT", r->path, r->body, NULL);
	r->status = x->status;
	snprintf(r->code, sizeof r->code, "%s", err_code(x));
	resp_free(x);
	return NULL;
}

Test(scoring, two_first_submissions_at_once_one_wins_one_conflicts)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	struct {
		struct who *w;
		int64_t pid;
	} rounds[] = { { &f.P2, f.pA }, { &f.P3, f.pA }, { &f.V, f.pA }, { &f.P1, f.pB }, { &f.P3, f.pB }, { &f.V, f.pB } };
	struct client second[4];
	struct who *ps[] = { &f.P1, &f.P2, &f.P3, &f.V };
	for (int j = 0; j < 4; j++)
		who_second_session(&second[j], ps[j]);
	for (size_t i = 0; i < sizeof rounds / sizeof rounds[0]; i++) {
		struct client *other = NULL;
		for (int j = 0; j < 4; j++)
			if (ps[j] == rounds[i].w)
				other = &second[j];
		json_t *b1 = json_pack("{s:i,s:o,s:s,s:b}", "version", 0, "scores", scores3(&f, 3, 4, 5), "overall_comment",
				       "Bản thứ nhất", "submit", 1);
		json_t *b2 = json_pack("{s:i,s:o,s:s,s:b}", "version", 0, "scores", scores3(&f, 8, 8, 8), "overall_comment",
				       "Bản thứ hai", "submit", 1);
		char *t1 = json_dumps(b1, JSON_COMPACT), *t2 = json_dumps(b2, JSON_COMPACT);
		char path[128];
		snprintf(path, sizeof path, "/api/v1/proposals/%lld/review", (long long)rounds[i].pid);
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, 2);
		struct racer a = { &rounds[i].w->c, path, t1, &bar, 0, "" }, b = { other, path, t2, &bar, 0, "" };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, race, &a);
		pthread_create(&tb, NULL, race, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&bar);
		cr_assert((a.status == 200 && b.status == 409) || (a.status == 409 && b.status == 200),
			  "round %zu (%s): got %ld (%s) and %ld (%s)", i, rounds[i].w->name, a.status, a.code, b.status,
			  b.code);
		cr_assert_str_eq(a.status == 409 ? a.code : b.code, "version_conflict");
		cr_assert_eq(reviews_of(rounds[i].pid, rounds[i].w->id), 1, "round %zu: exactly one review row", i);
		const char *p[] = { S64(rounds[i].pid), S64(rounds[i].w->id) };
		cr_assert_eq(db_int(PG,
				    "SELECT count(*) FROM score_events e JOIN reviews r ON r.id = e.review_id"
				    " WHERE r.proposal_id = $1 AND r.panelist_id = $2",
				    2, p),
			     1, "round %zu: exactly one score event", i);
		/* The stored review is the winner's, whole. */
		char *comment = db_text(PG, "SELECT overall_comment FROM reviews WHERE proposal_id = $1 AND panelist_id = $2",
					2, p);
		cr_assert_str_eq(comment, a.status == 200 ? "Bản thứ nhất" : "Bản thứ hai");
		free(comment);
		free(t1);
		free(t2);
		json_decref(b1);
		json_decref(b2);
	}
	const char *pk[] = { S64(f.k1) };
	seal_now(f.k1);
	cr_assert_eq(db_int(PG, "SELECT max(seq) - min(seq) + 1 - count(*) FROM score_seals WHERE campaign_id = $1", 1, pk),
		     0, "no gaps in the score record");
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk), score_events(f.k1),
		     "every event sealed");
	for (int j = 0; j < 4; j++)
		client_cleanup(&second[j]);
	fx_free(&f);
}

/* True when v (any JSON) has an object key named key anywhere. */
static bool has_key(json_t *v, const char *key)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) if (!strcmp(k, key) || has_key(x, key)) return true;
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) if (has_key(x, key)) return true;
	}
	return false;
}

Test(scoring, the_others_scores_show_only_after_my_own_submission_and_without_names)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	/* pA is reviewed by P2, P3 and V. */
	submit_review(&f, &f.P3, f.pA, 9, 8, 7);
	EXPECT(put_review(&f.V, f.pA, 0, scores3(&f, 1, 1, 1), "Nháp của V", false, NULL), 200, NULL);

	struct resp *r = appraisal(&f.P2, f.pA);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_null(jget(r->json, "review")), "%s", r->body);
	cr_assert(json_is_null(jget(r->json, "other_reviews")), "before mine: %s", r->body);
	cr_assert(json_is_false(jget(r->json, "locked")));
	cr_assert_eq(json_array_size(jget(r->json, "criteria")), 3);
	resp_free(r);

	EXPECT(put_review(&f.P2, f.pA, 0, scores3(&f, 2, 2, 2), "Nháp", false, NULL), 200, NULL);
	r = appraisal(&f.P2, f.pA);
	cr_assert_str_eq(jstr(jget(r->json, "review"), "status"), "draft");
	cr_assert(json_is_null(jget(r->json, "other_reviews")), "a draft of mine is not enough: %s", r->body);
	resp_free(r);

	EXPECT(put_review(&f.P2, f.pA, 1, scores3(&f, 5, 6, 7), "Đã chấm xong", true, NULL), 200, NULL);
	r = appraisal(&f.P2, f.pA);
	cr_assert_eq(r->status, 200);
	json_t *others = jget(r->json, "other_reviews");
	cr_assert_eq(json_array_size(others), 1, "only P3's submitted review, not V's draft: %s", r->body);
	json_t *o = json_array_get(others, 0);
	cr_assert_str_eq(jstr(o, "status"), "submitted");
	cr_assert_eq(jint(json_array_get(jget(o, "scores"), 0), "score"), 9, "%s", r->body);
	cr_assert_eq(jint(json_array_get(jget(o, "scores"), 2), "score"), 7, "%s", r->body);
	static const char *const forbidden[] = { "panelist_id", "panelist", "account_id", "display_name", "reviewer",
						 "author", "helped_by", NULL };
	for (int i = 0; forbidden[i]; i++)
		cr_assert(!has_key(others, forbidden[i]), "other reviews carry '%s': %s", forbidden[i], r->body);
	cr_assert_null(strstr(r->body, f.P3.name), "%s", r->body);
	cr_assert_null(strstr(r->body, "Nháp của V"), "%s", r->body);
	resp_free(r);

	/* And P3 now sees P2's. */
	r = appraisal(&f.P3, f.pA);
	cr_assert_eq(json_array_size(jget(r->json, "other_reviews")), 1, "%s", r->body);
	resp_free(r);
	fx_free(&f);
}

/* ========================================================================= */
/* 5. Lock                                                                    */
/* ========================================================================= */

Test(lock, locking_with_missing_reviews_needs_a_note_and_then_nothing_changes)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_CLOSED });
	EXPECT(lock_panel(&f.L, f.k1, json_object()), 409, "not_in_appraisal");
	fx_advance(&f, ST_ASSIGNED);
	int v = submit_review(&f, &f.P2, f.pA, 5, 5, 5);
	submit_review(&f, &f.P1, f.pB, 6, 6, 6);
	EXPECT(put_review(&f.P3, f.pA, 0, scores3(&f, 1, 1, 1), "Nháp", false, NULL), 200, NULL);

	EXPECT(lock_panel(&f.P1, f.k1, json_object()), 403, "forbidden");
	EXPECT(lock_panel(&f.L2, f.k1, json_object()), 403, "forbidden");
	EXPECT(lock_panel(&f.L, f.k1, json_object()), 409, "reviews_missing");
	EXPECT(lock_panel(&f.L, f.k1, json_pack("{s:b}", "allow_missing", 0)), 409, "reviews_missing");
	EXPECT_FIELD(lock_panel(&f.L, f.k1, json_pack("{s:b}", "allow_missing", 1)), "note");
	EXPECT_FIELD(lock_panel(&f.L, f.k1, json_pack("{s:b,s:s}", "allow_missing", 1, "note", "  ")), "note");
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaigns WHERE id = $1 AND panel_locked_at IS NULL", 1, pk), 1);

	struct resp *r = lock_panel(&f.L, f.k1,
				    json_pack("{s:b,s:s}", "allow_missing", 1, "note", "Hai thành viên ốm, hết hạn thẩm định"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_string(jget(r->json, "locked_at")), "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "lock_note"), "Hai thành viên ốm, hết hạn thẩm định");
	long long missing = jint(r->json, "missing");
	cr_assert_eq(missing, 10 - 2, "%s", r->body);
	resp_free(r);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'panel_locked' AND subject = 'campaign:' || $1"
			    " AND detail ->> 'note' = 'Hai thành viên ốm, hết hạn thẩm định'"
			    " AND (detail ->> 'missing_reviews')::int = 8",
			    1, pk),
		     1);

	/* After the lock, no review changes in any way. */
	long long events = score_events(f.k1);
	char *before = review_row(f.pA, f.P2.id), *draft = review_row(f.pA, f.P3.id);
	EXPECT(put_review(&f.P2, f.pA, v, scores3(&f, 9, 9, 9), "Sửa sau khi khoá", true, "Muốn sửa"), 409, "panel_locked");
	EXPECT(put_review(&f.P3, f.pA, 1, scores3(&f, 9, 9, 9), "Nộp sau khi khoá", true, NULL), 409, "panel_locked");
	EXPECT(put_review(&f.P3, f.pA, 1, NULL, "Nháp sau khi khoá", false, NULL), 409, "panel_locked");
	EXPECT(put_review(&f.V, f.pA, 0, scores3(&f, 9, 9, 9), "Lần đầu sau khi khoá", true, NULL), 409, "panel_locked");
	char *after = review_row(f.pA, f.P2.id), *draft_after = review_row(f.pA, f.P3.id);
	cr_assert_str_eq(after, before);
	cr_assert_str_eq(draft_after, draft);
	cr_assert_eq(reviews_of(f.pA, f.V.id), 0);
	cr_assert_eq(score_events(f.k1), events);
	free(before);
	free(after);
	free(draft);
	free(draft_after);
	r = appraisal(&f.P2, f.pA);
	cr_assert(json_is_true(jget(r->json, "locked")), "%s", r->body);
	resp_free(r);

	/* Nor the panel or its assignments. */
	EXPECT(lock_panel(&f.L, f.k1, json_pack("{s:b,s:s}", "allow_missing", 1, "note", "Lần nữa")), 409, "panel_locked");
	EXPECT(put_panel(&f.L, f.k1, json_pack("[I,I,I,I]", (json_int_t)f.P1.id, (json_int_t)f.P2.id, (json_int_t)f.P3.id,
					       (json_int_t)f.V.id)),
	       409, "panel_frozen");
	EXPECT(assign(&f.L, f.k1, json_pack("{s:s}", "mode", "all")), 409, "panel_frozen");
	EXPECT(move(&f.L, f.k1, f.pB, f.P3.id, f.V.id), 409, "panel_frozen");
	fx_free(&f);
}

Test(lock, a_complete_panel_locks_without_a_note)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	int64_t props[16];
	int np = fx_proposals(&f, props);
	for (int i = 0; i < np; i++)
		for (int j = 0; panelist(&f, j); j++)
			if (expected_conflict(&f, props[i], panelist(&f, j)->id) == NULL)
				submit_review(&f, panelist(&f, j), props[i], i, j, 3);
	struct resp *r = lock_panel(&f.L, f.k1, json_object());
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(jint(r->json, "missing"), 0);
	cr_assert_eq(jint(jget(r->json, "chain"), "length"), 10, "%s", r->body);
	resp_free(r);
	fx_free(&f);
}

/*
 * After the lock the assignments are frozen (lock, PUT panel, assignments and move all answer 409), so a
 * conflict declared after it must be refused too: it deletes the panelist's assignment and draft, which
 * changes the locked panel's progress ("missing") after the fact.
 */
Test(lock, a_conflict_cannot_be_declared_after_the_lock)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 5, 5);
	EXPECT(put_review(&f.P3, f.pA, 0, scores3(&f, 1, 1, 1), "Nháp", false, NULL), 200, NULL);
	EXPECT(lock_panel(&f.L, f.k1, json_pack("{s:b,s:s}", "allow_missing", 1, "note", "Hết hạn")), 200, NULL);
	char *before = assignment_snapshot(f.k1);
	struct resp *r = declare(&f.P3, f.pA, "Khai báo muộn");
	char *after = assignment_snapshot(f.k1);
	long long drafts = reviews_of(f.pA, f.P3.id);
	cr_assert_eq(r->status, 409, "declaring a conflict after the lock: expected 409 panel_locked, got %ld %s (assignments "
				     "before: %s, after: %s; P3's draft rows now %lld)",
		     r->status, r->body ? r->body : "", before, after, drafts);
	cr_assert_str_eq(err_code(r), "panel_locked");
	cr_assert_str_eq(after, before);
	cr_assert_eq(drafts, 1);
	resp_free(r);
	free(before);
	free(after);
	fx_free(&f);
}

/*
 * A decision comes only from POST /decision, which needs the panel locked (so missing reviews are
 * acknowledged with a note). Moving the call to "decided" through the generic transitions endpoint
 * would skip the lock and the decision, and leave a call that can never be decided or published.
 */
Test(lock, the_call_cannot_leave_appraisal_without_the_lock_and_a_decision)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 5, 5);
	struct resp *r = transition(&f.L, f.k1, "decided");
	long st = r->status;
	char body[512];
	snprintf(body, sizeof body, "%s", r->body ? r->body : "");
	resp_free(r);
	const char *pk[] = { S64(f.k1) };
	char *state = db_text(PG, "SELECT state || '|' || (panel_locked_at IS NOT NULL) FROM campaigns WHERE id = $1", 1, pk);
	long decision = 0, published = 0;
	if (st == 200) { /* what the call has become: no decision can be made, yet it can be "published" */
		r = http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/decision", (long long)f.k1), json_object());
		decision = r->status;
		resp_free(r);
		r = transition(&f.L, f.k1, "published");
		published = r->status;
		resp_free(r);
	}
	cr_assert_eq(st, 409,
		     "appraisal -> decided through /transitions with the panel unlocked and no decision: got %ld %.200s "
		     "(the call is now state|locked = %s; POST /decision then answers %ld; /transitions to published %ld)",
		     st, body, state, decision, published);
	free(state);
	fx_free(&f);
}

/* Several panelists submitting at the same moment: every submission is recorded, in one unbroken chain. */
Test(score_record, simultaneous_submissions_of_different_reviews_chain_without_gaps)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	/* pA: P2, P3, V; pB: P1, P3, V. Two rounds of four at once (the first creates the chain). */
	struct {
		struct who *w;
		int64_t pid;
	} rounds[2][4] = { { { &f.P2, f.pA }, { &f.P3, f.pA }, { &f.V, f.pA }, { &f.P1, f.pB } },
			   { { &f.P3, f.pB }, { &f.V, f.pB }, { &f.P1, f.pC }, { &f.P2, f.pP3 } } };
	for (int k = 0; k < 2; k++) {
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, 4);
		struct racer rc[4];
		char paths[4][128], *bodies[4];
		pthread_t t[4];
		for (int i = 0; i < 4; i++) {
			json_t *b = json_pack("{s:i,s:o,s:s,s:b}", "version", 0, "scores", scores3(&f, i, k, 5), "overall_comment",
					      "Đồng thời", "submit", 1);
			bodies[i] = json_dumps(b, JSON_COMPACT);
			json_decref(b);
			snprintf(paths[i], sizeof paths[i], "/api/v1/proposals/%lld/review", (long long)rounds[k][i].pid);
			rc[i] = (struct racer){ &rounds[k][i].w->c, paths[i], bodies[i], &bar, 0, "" };
			pthread_create(&t[i], NULL, race, &rc[i]);
		}
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&bar);
		for (int i = 0; i < 4; i++) {
			cr_assert_eq(rc[i].status, 200, "round %d, %s: %ld %s", k, rounds[k][i].w->name, rc[i].status, rc[i].code);
			free(bodies[i]);
		}
	}
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(score_events(f.k1), 8);
	/* The server's sealer chains them on its own, within a few of its 25 ms rounds. */
	long long sealed = 0;
	for (int i = 0; i < 200 && sealed < 8; i++) {
		usleep(10000);
		sealed = db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk);
	}
	cr_assert_eq(sealed, 8, "the background sealer sealed %lld of 8 events in 2 s", sealed);
	cr_assert_eq(db_int(PG, "SELECT max(seq) FROM score_seals WHERE campaign_id = $1", 1, pk), 8);
	cr_assert_eq(db_int(PG, "SELECT length FROM score_chains WHERE campaign_id = $1", 1, pk), 8);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_pending WHERE campaign_id = $1", 1, pk), 0);
	struct resp *r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/score-record", (long long)f.k1), NULL, NULL);
	cr_assert(json_is_true(jget(r->json, "ok")), "%s", r->body);
	cr_assert_eq(jint(r->json, "verified_events"), 8, "%s", r->body);
	resp_free(r);
	fx_free(&f);
}

/* ========================================================================= */
/* 6. The score record                                                        */
/* ========================================================================= */

/* Runs SANGKIEN_BIN with args against the test database; returns the exit status, output in out. */
static int run_cli(const char *args, char *out, size_t outsz)
{
	const char *bin = getenv("SANGKIEN_BIN") ? getenv("SANGKIEN_BIN") : "build-test/sangkien";
	setenv("DATABASE_URL", S.dburl, 1);
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct resp *score_record(struct who *w, int64_t cid)
{
	return http(&w->c, "GET", fmt_path("/api/v1/campaigns/%lld/score-record", (long long)cid), NULL, NULL);
}

Test(score_record, verifies_and_names_the_first_altered_event)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	int v2 = submit_review(&f, &f.P2, f.pA, 5, 6, 7); /* seq 1 */
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);         /* seq 2 */
	EXPECT(put_review(&f.P2, f.pA, v2, scores3(&f, 6, 6, 7), "Sửa điểm", true, "Xem lại chi phí"), 200, NULL); /* 3 */
	submit_review(&f, &f.V, f.pB, 4, 4, 4);          /* seq 4 */
	submit_review(&f, &f.P1, f.pB, 7, 3, 9);         /* seq 5 */
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(score_events(f.k1), 5);
	seal_now(f.k1);
	/* Every stored hash is SHA-256(prev_hash LF content), chained from 64 zeros, in id order here. */
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM score_seals s JOIN score_events e ON e.id = s.event_id WHERE s.campaign_id = $1"
			    " AND s.hash = encode(sha256(convert_to(s.prev_hash || E'\\n' || e.content, 'UTF8')), 'hex')"
			    " AND s.prev_hash = coalesce((SELECT p.hash FROM score_seals p WHERE p.campaign_id = s.campaign_id"
			    "   AND p.seq = s.seq - 1), repeat('0', 64))"
			    " AND s.seq = (SELECT count(*) FROM score_events x WHERE x.campaign_id = e.campaign_id AND x.id <= e.id)",
			    1, pk),
		     5);

	EXPECT(score_record(&f.P1, f.k1), 403, "forbidden");
	EXPECT(score_record(&f.L2, f.k1), 403, "forbidden");
	EXPECT(score_record(&f.A, f.k1), 403, "forbidden");
	struct resp *r = score_record(&f.L, f.k1);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_true(jget(r->json, "ok")), "%s", r->body);
	cr_assert_eq(jint(r->json, "verified_events"), 5, "%s", r->body);
	cr_assert(json_is_null(jget(r->json, "first_broken")), "%s", r->body);
	char *head = db_text(PG, "SELECT head FROM score_chains WHERE campaign_id = $1", 1, pk);
	cr_assert_str_eq(jstr(r->json, "head"), head);
	free(head);
	resp_free(r);
	char out[4096];
	const char *args = fmt_path("audit verify --campaign %lld", (long long)f.k1);
	int rc = run_cli(args, out, sizeof out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_not_null(strstr(out, "intact, 5 events"), "%s", out);

	/* Someone with the superuser's rights rewrites event 2, with the triggers off. */
	int64_t ev2 = event_at(f.k1, 2);
	const char *pe[] = { S64(ev2) };
	char *original = db_text(PG, "SELECT content FROM score_events WHERE id = $1", 1, pe);
	PGconn *su = db_connect(NULL);
	PQclear(db_exec(su, "SET session_replication_role = replica", 0, NULL));
	PQclear(db_exec(su, "UPDATE score_events SET content = replace(content, 'score=', 'score=1') WHERE id = $1", 1, pe));
	r = score_record(&f.L, f.k1);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_false(jget(r->json, "ok")), "%s", r->body);
	json_t *broken = jget(r->json, "first_broken");
	cr_assert_eq(jint(broken, "seq"), 2, "%s", r->body);
	cr_assert_eq(jint(broken, "event_id"), ev2, "%s", r->body);
	cr_assert_str_eq(jstr(broken, "why"), "hash does not match the content");
	cr_assert_eq(jint(r->json, "verified_events"), 1, "%s", r->body);
	resp_free(r);
	rc = run_cli(args, out, sizeof out);
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert_not_null(strstr(out, fmt_path("BROKEN at event %lld (sequence 2)", (long long)ev2)), "%s", out);

	/* Put it back (so that no other test verifying every call sees it), and all verifies again. */
	const char *restore[] = { original, S64(ev2) };
	PQclear(db_exec(su, "UPDATE score_events SET content = $1 WHERE id = $2", 2, restore));
	PQfinish(su);
	free(original);
	r = score_record(&f.L, f.k1);
	cr_assert(json_is_true(jget(r->json, "ok")), "%s", r->body);
	resp_free(r);
	cr_assert_eq(run_cli(args, out, sizeof out), 0, "%s", out);
	fx_free(&f);
}

/* Runs sql as the server's role inside a transaction that is rolled back; returns the error (or NULL). */
static char *as_app(const char *sql, bool replica)
{
	PGconn *c = db_connect(NULL);
	PQclear(db_exec(c, "BEGIN", 0, NULL));
	if (replica)
		PQclear(db_exec(c, "SET LOCAL session_replication_role = replica", 0, NULL));
	PQclear(db_exec(c, "SET LOCAL ROLE sangkien_app", 0, NULL));
	PGresult *r = PQexec(c, sql);
	char *err = NULL;
	if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		err = strdup(fmt_path("%s %s", state ? state : "?", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)));
	}
	PQclear(r);
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	return err;
}

Test(score_record, the_servers_role_cannot_rewrite_or_delete_history)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	char where[64], audit_where[64], stmts[9][160];
	snprintf(where, sizeof where, " WHERE campaign_id = %lld", (long long)f.k1);
	snprintf(audit_where, sizeof audit_where, " WHERE ward_id = %lld", (long long)f.ward);
	snprintf(stmts[0], sizeof stmts[0], "UPDATE score_events SET content = content || 'x'%s", where);
	snprintf(stmts[1], sizeof stmts[1], "DELETE FROM score_events%s", where);
	snprintf(stmts[2], sizeof stmts[2], "TRUNCATE score_events");
	snprintf(stmts[3], sizeof stmts[3], "UPDATE audit_log SET action = 'nothing'%s", audit_where);
	snprintf(stmts[4], sizeof stmts[4], "DELETE FROM audit_log%s", audit_where);
	snprintf(stmts[5], sizeof stmts[5], "TRUNCATE audit_log");
	snprintf(stmts[6], sizeof stmts[6], "UPDATE score_seals SET hash = repeat('1', 64)%s", where);
	snprintf(stmts[7], sizeof stmts[7], "DELETE FROM score_seals%s", where);
	snprintf(stmts[8], sizeof stmts[8], "TRUNCATE score_seals");
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		for (int replica = 0; replica < 2; replica++) {
			char *err = as_app(stmts[i], replica);
			cr_assert_not_null(err, "as sangkien_app (replica %d), %s was allowed", replica, stmts[i]);
			cr_assert(!strncmp(err, "42501 permission denied for table", 33),
				  "as sangkien_app (replica %d), %s: %s — refused by the grants, not only the triggers",
				  replica, stmts[i], err);
			free(err);
		}
	/* Turning the triggers off needs the superuser: the server's role cannot. */
	char *err = as_app("SET session_replication_role = replica", false);
	cr_assert_not_null(err);
	cr_assert(!strncmp(err, "42501 permission denied to set parameter", 40), "%s", err);
	free(err);
	/* It can still read and append (the score record grows through it). */
	err = as_app(fmt_path("SELECT count(*) FROM score_events%s", where), false);
	cr_assert_null(err, "%s", err);
	cr_assert_eq(score_events(f.k1), 1, "nothing changed");
	fx_free(&f);
}

/*
 * The record's newest event deleted (superuser, triggers off): the events left still chain, but the
 * campaign's stored head and length (score_chains) say one more. The verification must not say "ok".
 */
Test(score_record, deleting_the_newest_event_is_detected)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	int v = submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	EXPECT(put_review(&f.P2, f.pA, v, scores3(&f, 9, 9, 9), "Nâng điểm", true, "Xem lại"), 200, NULL); /* seq 3 */
	PGconn *su = db_connect(NULL);
	PQclear(db_exec(su, "SET session_replication_role = replica", 0, NULL));
	seal_now(f.k1);
	const char *p3[] = { S64(event_at(f.k1, 3)) };
	PQclear(db_exec(su, "CREATE TEMP TABLE gone AS SELECT * FROM score_events WHERE id = $1", 1, p3));
	PQclear(db_exec(su, "DELETE FROM score_events WHERE id = $1", 1, p3));
	struct resp *r = score_record(&f.L, f.k1);
	bool ok = json_is_true(jget(r->json, "ok"));
	char body[600];
	snprintf(body, sizeof body, "%s", r->body ? r->body : "");
	resp_free(r);
	char out[4096];
	int rc = run_cli(fmt_path("audit verify --campaign %lld", (long long)f.k1), out, sizeof out);
	PQclear(db_exec(su, "INSERT INTO score_events OVERRIDING SYSTEM VALUE SELECT * FROM gone", 0, NULL));
	PQfinish(su);
	cr_assert(!ok,
		  "the newest event (a revision) was deleted, score_chains still says length 3, yet the score record "
		  "verifies: %s",
		  body);
	cr_assert_eq(rc, 1, "audit verify: %s", out);
	fx_free(&f);
}

/* Runs the verification through the endpoint; *why and *event the first broken event (0 when ok). */
static bool verify_endpoint(struct fx *f, char *why, size_t whysz, int64_t *event, int64_t *seq)
{
	struct resp *r = score_record(&f->L, f->k1);
	cr_assert_eq(r->status, 200, "%s", r->body);
	bool ok = json_is_true(jget(r->json, "ok"));
	json_t *b = jget(r->json, "first_broken");
	snprintf(why, whysz, "%s", json_is_object(b) ? jstr(b, "why") : "");
	*event = json_is_object(b) ? jint(b, "event_id") : 0;
	*seq = json_is_object(b) ? jint(b, "seq") : 0;
	resp_free(r);
	return ok;
}

/*
 * An event taken out of the chain: its seal deleted and the stored head wound back to the one before
 * (superuser, triggers off). The chain that is left is whole and ends at its head, but the event is
 * neither sealed nor waiting to be: the verification names it.
 */
Test(score_record, an_event_dropped_from_the_chain_is_named)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	submit_review(&f, &f.V, f.pB, 4, 4, 4);
	seal_now(f.k1);
	int64_t ev3 = event_at(f.k1, 3);
	const char *pk[] = { S64(f.k1) };
	PGconn *su = db_connect(NULL);
	PQclear(db_exec(su, "SET session_replication_role = replica", 0, NULL));
	PQclear(db_exec(su, "CREATE TEMP TABLE gone AS SELECT * FROM score_seals WHERE campaign_id = $1 AND seq = 3", 1, pk));
	PQclear(db_exec(su, "DELETE FROM score_seals WHERE campaign_id = $1 AND seq = 3", 1, pk));
	PQclear(db_exec(su,
			"UPDATE score_chains c SET length = 2, head = s.hash FROM score_seals s"
			" WHERE c.campaign_id = $1 AND s.campaign_id = $1 AND s.seq = 2",
			1, pk));
	char why[200];
	int64_t event, seq;
	bool ok = verify_endpoint(&f, why, sizeof why, &event, &seq);
	char out[4096];
	int rc = run_cli(fmt_path("audit verify --campaign %lld", (long long)f.k1), out, sizeof out);
	/* Put it back. */
	PQclear(db_exec(su, "INSERT INTO score_seals SELECT * FROM gone", 0, NULL));
	PQclear(db_exec(su,
			"UPDATE score_chains c SET length = 3, head = s.hash FROM score_seals s"
			" WHERE c.campaign_id = $1 AND s.campaign_id = $1 AND s.seq = 3",
			1, pk));
	PQfinish(su);
	cr_assert(!ok, "event %lld is in no seal and not pending, yet the record verifies", (long long)ev3);
	cr_assert_eq(event, ev3, "names event %lld (%s)", (long long)event, why);
	cr_assert_str_eq(why, "the event is not in the chain and not waiting to be sealed");
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert_not_null(strstr(out, fmt_path("BROKEN: event %lld:", (long long)ev3)), "%s", out);
	int64_t e2, s2;
	cr_assert(verify_endpoint(&f, why, sizeof why, &e2, &s2), "restored: %s", why);
	fx_free(&f);
}

/* Swaps the events that two seals name (superuser connection with the triggers off). */
static void swap_seals(PGconn *su, int64_t a, int64_t b)
{
	const char *p[] = { S64(a), S64(b) };
	PQclear(db_exec(su,
			"UPDATE score_seals SET event_id = -event_id WHERE event_id IN ($1::bigint, $2::bigint)", 2, p));
	PQclear(db_exec(su,
			"UPDATE score_seals SET event_id = CASE -event_id WHEN $1::bigint THEN $2::bigint ELSE $1::bigint END"
			" WHERE event_id IN (-$1::bigint, -$2::bigint)",
			2, p));
}

/* Two sealed events swapped in the chain (superuser, triggers off): the first swapped position is named. */
Test(score_record, events_reordered_in_the_chain_are_detected)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	submit_review(&f, &f.V, f.pB, 4, 4, 4);
	submit_review(&f, &f.P1, f.pB, 7, 3, 9);
	seal_now(f.k1);
	int64_t ev2 = event_at(f.k1, 2), ev3 = event_at(f.k1, 3);
	PGconn *su = db_connect(NULL);
	PQclear(db_exec(su, "SET session_replication_role = replica", 0, NULL));
	swap_seals(su, ev2, ev3); /* seq 2 now names ev3, seq 3 names ev2 */
	char why[200];
	int64_t event, seq;
	bool ok = verify_endpoint(&f, why, sizeof why, &event, &seq);
	swap_seals(su, ev2, ev3); /* put it back */
	PQfinish(su);
	cr_assert(!ok, "events %lld and %lld swapped in the chain, yet it verifies", (long long)ev2, (long long)ev3);
	cr_assert_eq(seq, 2, "%s", why);
	cr_assert_eq(event, ev3, "%s", why);
	cr_assert_str_eq(why, "hash does not match the content");
	int64_t e2, s2;
	cr_assert(verify_endpoint(&f, why, sizeof why, &e2, &s2), "restored: %s", why);
	fx_free(&f);
}

/* The SQL parameters of review_save for a first submission by w of pid with scores a, b, c. */
static const char *review_sql_scores(struct fx *f, int a, int b, int c)
{
	json_t *s = scores3(f, a, b, c);
	char *t = json_dumps(s, JSON_COMPACT);
	const char *out = fmt_path("%s", t);
	free(t);
	json_decref(s);
	return out;
}

/*
 * Identity ids do not commit in id order. An event written first (a lower id) whose transaction commits
 * after a later event was sealed must still be sealed, after it, and the chain must verify.
 */
Test(score_record, an_event_committed_late_is_sealed_after_the_ones_before_it)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	const char *pk[] = { S64(f.k1) };
	/* A write left open: its event has the lower id. */
	PGconn *slow = db_connect(NULL);
	PQclear(db_exec(slow, "BEGIN", 0, NULL));
	const char *args[] = { S64(f.pB), S64(f.P1.id), review_sql_scores(&f, 3, 3, 3) };
	PQclear(db_exec(slow,
			"SELECT review_save($1, $2, now(), 0, $3::jsonb, 'Chậm', true, NULL, '127.0.0.1'::inet)", 3,
			args));
	int64_t late = db_int(slow, "SELECT max(id) FROM score_events", 0, NULL);
	/* A later write commits first, and the sealer seals it. */
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	seal_now(f.k1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk), 2);
	int64_t second = event_at(f.k1, 2);
	cr_assert_gt(second, late, "the event sealed second (%lld) has a higher id than the open one (%lld)",
		     (long long)second, (long long)late);
	PQclear(db_exec(slow, "COMMIT", 0, NULL));
	PQfinish(slow);
	/* The late one is pending, then sealed at position 3 by the server's sealer. */
	long long sealed = 0;
	for (int i = 0; i < 200 && sealed < 3; i++) {
		usleep(10000);
		sealed = db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk);
	}
	cr_assert_eq(sealed, 3, "the event that committed late was never sealed");
	cr_assert_eq(event_at(f.k1, 3), late);
	char why[200];
	int64_t event, seq;
	cr_assert(verify_endpoint(&f, why, sizeof why, &event, &seq), "%s (event %lld)", why, (long long)event);
	fx_free(&f);
}

struct sealer_arg {
	int64_t cid;
	volatile int *stop;
	long sealed;
};

/* Seals campaign cid in a loop on its own connection, as another server process's sealer would. */
static void *sealer_loop(void *arg)
{
	struct sealer_arg *a = arg;
	PGconn *c = db_connect(NULL);
	char cid[24]; /* not S64: its buffers are not for threads */
	snprintf(cid, sizeof cid, "%lld", (long long)a->cid);
	const char *q[] = { cid };
	while (!*a->stop) {
		PGresult *r = PQexecParams(c, "SELECT score_seal($1)", 1, NULL, q, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			a->sealed += atol(PQgetvalue(r, 0, 0));
		PQclear(r);
		usleep(500);
	}
	PQfinish(c);
	return NULL;
}

/*
 * Several sealers at once (several server processes, plus the server's own thread) while reviews are
 * written: every event is sealed exactly once, in one unbroken chain.
 */
Test(score_record, concurrent_sealers_seal_every_event_once)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	volatile int stop = 0;
	struct sealer_arg args[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		args[i] = (struct sealer_arg){ f.k1, &stop, 0 };
		pthread_create(&t[i], NULL, sealer_loop, &args[i]);
	}
	int v2 = submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	submit_review(&f, &f.V, f.pA, 4, 4, 4);
	submit_review(&f, &f.P1, f.pB, 7, 3, 9);
	EXPECT(put_review(&f.P2, f.pA, v2, scores3(&f, 6, 6, 7), "Sửa điểm", true, "Xem lại chi phí"), 200, NULL);
	submit_review(&f, &f.P3, f.pB, 2, 2, 2);
	usleep(100000);
	stop = 1;
	long by_threads = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		by_threads += args[i].sealed;
	}
	seal_now(f.k1);
	const char *pk[] = { S64(f.k1) };
	cr_assert_eq(score_events(f.k1), 6);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk), 6);
	cr_assert_eq(db_int(PG, "SELECT count(DISTINCT event_id) FROM score_seals WHERE campaign_id = $1", 1, pk), 6);
	cr_assert_eq(db_int(PG, "SELECT max(seq) FROM score_seals WHERE campaign_id = $1", 1, pk), 6);
	cr_assert_leq(by_threads, 6, "the sealers sealed %ld events between them", by_threads);
	char why[200];
	int64_t event, seq;
	cr_assert(verify_endpoint(&f, why, sizeof why, &event, &seq), "%s (event %lld)", why, (long long)event);
	fx_free(&f);
}

/*
 * Locking the panel seals the whole record first: an event still pending when the lock is taken is in
 * the chain the lock reports. Done in one transaction so that the server's own sealer cannot see the
 * event before panel_lock does.
 */
Test(score_record, locking_the_panel_seals_every_pending_event)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 5, 6, 7);
	submit_review(&f, &f.P3, f.pA, 8, 8, 8);
	PGconn *c = db_connect(NULL);
	PQclear(db_exec(c, "BEGIN", 0, NULL));
	const char *args[] = { S64(f.pB), S64(f.P1.id), review_sql_scores(&f, 3, 3, 3) };
	PQclear(db_exec(c, "SELECT review_save($1, $2, now(), 0, $3::jsonb, 'Cuối cùng', true, NULL, '127.0.0.1'::inet)",
			3, args));
	const char *pk[] = { S64(f.k1) };
	cr_assert_gt(db_int(c, "SELECT count(*) FROM score_pending WHERE campaign_id = $1", 1, pk), 0,
		     "the newest event waits to be sealed");
	const char *lk[] = { S64(f.k1), S64(f.L.id) };
	char *progress = db_text(c,
				 "SELECT (panel_lock($1, $2, true, 'Hết hạn', now(), '127.0.0.1'::inet) -> 'chain' ->> 'length')",
				 2, lk);
	long long pending = db_int(c, "SELECT count(*) FROM score_pending WHERE campaign_id = $1", 1, pk);
	PQclear(db_exec(c, "COMMIT", 0, NULL));
	PQfinish(c);
	cr_assert_str_eq(progress, "3", "the lock reports a chain of %s events, not 3", progress);
	free(progress);
	cr_assert_eq(pending, 0);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, pk), 3);
	char why[200];
	int64_t event, seq;
	cr_assert(verify_endpoint(&f, why, sizeof why, &event, &seq), "%s", why);
	fx_free(&f);
}

/*
 * The ranking reads the reviews and review_scores tables, which the server's role may UPDATE; the score
 * record is only the append-only log beside them. A score changed in the table without an event must
 * make the verification fail, or the record does not protect the numbers that decide the awards.
 */
Test(score_record, a_score_changed_outside_the_record_is_detected)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	submit_review(&f, &f.P2, f.pA, 2, 2, 2);
	submit_review(&f, &f.P3, f.pA, 3, 3, 3);
	const char *p[] = { S64(f.pA), S64(f.P2.id) };
	int64_t rid = db_int(PG, "SELECT id FROM reviews WHERE proposal_id = $1 AND panelist_id = $2", 2, p);
	/* As the server's own role: allowed (it must update reviews for drafts and revisions). */
	PGconn *app = db_connect(NULL);
	PQclear(db_exec(app, "SET ROLE sangkien_app", 0, NULL));
	const char *q[] = { S64(rid) };
	PQclear(db_exec(app, "UPDATE review_scores SET score = 10 WHERE review_id = $1", 1, q));
	PQfinish(app);
	struct resp *rank = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld/ranking", (long long)f.k1), NULL, NULL);
	long rank_status = rank->status;
	resp_free(rank);
	struct resp *r = score_record(&f.L, f.k1);
	bool ok = json_is_true(jget(r->json, "ok"));
	char body[600];
	snprintf(body, sizeof body, "%s", r->body ? r->body : "");
	resp_free(r);
	PQclear(db_exec(PG, "UPDATE review_scores SET score = 2 WHERE review_id = $1", 1, q));
	cr_assert(!ok,
		  "P2's scores of proposal %lld were changed to 10 in review_scores with no score event (the ranking, "
		  "status %ld, now uses them), yet the score record verifies: %s",
		  (long long)f.pA, rank_status, body);
	fx_free(&f);
}

static long long sealed_of(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_int(PG, "SELECT count(*) FROM score_seals WHERE campaign_id = $1", 1, p);
}

/*
 * The server's sealer seals each call on its own: while another transaction holds one call's chain (a
 * psql session, a slow lock), the other calls' events are still sealed and their record can still be
 * checked; the held call is sealed once it is released.
 */
Test(score_record, a_call_whose_chain_is_held_does_not_hold_up_the_others)
{
	static struct fx f, g; /* static: down() can still free one after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .upto = ST_ASSIGNED });
	fx_build(&g, &(struct fx_opts){ .upto = ST_ASSIGNED });
	cr_assert_lt(f.k1, g.k1);
	submit_review(&g, &g.P2, g.pA, 5, 6, 7);
	seal_now(g.k1); /* g's chain row exists from here on */
	cr_assert_eq(sealed_of(g.k1), 1);
	const char *gk[] = { S64(g.k1) };
	PGconn *holder = db_connect(NULL);
	PQclear(db_exec(holder, "BEGIN", 0, NULL));
	PQclear(db_exec(holder, "SELECT head FROM score_chains WHERE campaign_id = $1 FOR UPDATE", 1, gk));
	/* g has an event waiting behind the held chain; f's events must be sealed all the same. */
	submit_review(&g, &g.P3, g.pA, 8, 8, 8);
	submit_review(&f, &f.P2, f.pA, 4, 5, 6);
	submit_review(&f, &f.P3, f.pA, 7, 7, 7);
	long long f_sealed = 0;
	for (int i = 0; i < 400 && f_sealed < 2; i++) {
		usleep(10000);
		f_sealed = sealed_of(f.k1);
	}
	cr_assert_eq(f_sealed, 2, "a held chain of call %lld kept call %lld's events from being sealed",
		     (long long)g.k1, (long long)f.k1);
	char why[200];
	int64_t event, seq;
	cr_assert(verify_endpoint(&f, why, sizeof why, &event, &seq), "%s (event %lld)", why, (long long)event);
	cr_assert_eq(sealed_of(g.k1), 1, "g's second event cannot be sealed while its chain is held");
	PQclear(db_exec(holder, "COMMIT", 0, NULL));
	PQfinish(holder);
	long long g_sealed = 1;
	for (int i = 0; i < 600 && g_sealed < 2; i++) {
		usleep(10000);
		g_sealed = sealed_of(g.k1);
	}
	cr_assert_eq(g_sealed, 2, "the held call was not sealed after it was released");
	cr_assert(verify_endpoint(&g, why, sizeof why, &event, &seq), "%s (event %lld)", why, (long long)event);
	fx_free(&f);
	fx_free(&g);
}
