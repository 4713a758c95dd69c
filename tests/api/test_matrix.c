/*
 * Access control as one table: every endpoint of src/http/routes.c (with concrete paths from a fixture)
 * against eight callers, each cell the status the handlers should give. The fixture is rebuilt for
 * each caller, so that the cells that change state (run with bodies that succeed for whoever may make
 * them) never disturb another caller's row. A mismatch table is printed before the test fails.
 *
 * Then the blind-review leak test: as a panelist, fetch every reply a panelist can get and find no
 * author's or volunteer's name, phone number (any form) or account.
 *
 * The callers: anonymous; resident A (author of the proposal in the paths); resident B (author of
 * another); volunteer V (also a panelist; helped resident C, not A); panelist P2 (assigned A's
 * proposal); panelist P1, who lives in A's residential group and so has an automatic same_group
 * conflict with it; the ward's leader; the leader of another ward. And three "revoked" rows (issue 8):
 * P2, V and the leader, each after using its role once and losing it through DELETE /admin/roles, in
 * the same session: every route of the lost role refuses (403).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <ctype.h>
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

static void fx_cleanup(void);

static void down(void)
{
	fx_cleanup();
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(matrix, .init = up, .fini = down, .timeout = 240);
TestSuite(blind, .init = up, .fini = down, .timeout = 90);

#define S64(v) fmt_path("%lld", (long long)(v))

static json_t *jget(json_t *o, const char *k)
{
	return json_object_get(o, k);
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

#define EXPECT(call, st)                                                                                      \
	do {                                                                                                  \
		struct resp *r_ = (call);                                                                     \
		cr_assert_eq(r_->status, (st), "%s:%d: expected %d, got %ld %s", __FILE__, __LINE__, (st),    \
			     r_->status, r_->body ? r_->body : "");                                           \
		resp_free(r_);                                                                                \
	} while (0)

static void iso(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------------------- */
/* The fixture (as in test_panel.c, plus an open call, a draft call and P4)   */
/* ------------------------------------------------------------------------- */

struct who {
	struct client c;
	int64_t id;
	char phone[16];
	char name[80];
	bool in;
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
	w->in = true;
}

static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), S64(ward), group ? S64(group) : NULL, role };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, $4)", 4,
			p));
}

struct fx {
	int64_t T0, T1;
	int64_t ward, g1, g2, ward2;
	struct who L, L2, A, B, C, V, P1, P2, P3, P4, X;
	int64_t k1, k2, k3, crit[3];
	int64_t pA, pB, pC, pP3; /* in k1, in appraisal */
	int64_t qA, dA;          /* A's submitted proposal and complete draft in k2, open */
	int64_t attA, qAtt;      /* attachments of pA and qA */
	char codeA[40];
	int64_t k4, crit4[3], rA, rB, rC; /* a call decided and published, with A's and B's proposals and C's (by V) */
	int64_t model, adoption;        /* k4's winning model in the catalogue, and an adoption of it */
};

static struct who *everyone(struct fx *f, int i)
{
	struct who *all[] = { &f->L, &f->L2, &f->A, &f->B, &f->C, &f->V, &f->P1, &f->P2, &f->P3, &f->P4, &f->X };
	return i < 11 ? all[i] : NULL;
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

static json_t *proposal_body(int64_t group, const char *title, bool submit)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
			 "summary", "Tóm tắt mô hình", "problem", "Bà con khó theo dõi thông báo của tổ", "model",
			 "Nhóm Zalo và bảng tin số cho tổ", "beneficiaries", "Các hộ trong tổ", "households", 80,
			 "resources", "Hai tình nguyện viên", "cost_vnd", (json_int_t)5000000, "submit", submit);
}

static json_t *propose_view(struct who *w, int64_t cid, json_t *body)
{
	struct resp *r = http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), body);
	cr_assert_eq(r->status, 201, "propose as %s: %ld %s", w->name, r->status, r->body);
	json_t *v = json_incref(jget(r->json, "proposal"));
	resp_free(r);
	return v;
}

static int64_t propose(struct who *w, int64_t cid, json_t *body)
{
	json_t *v = propose_view(w, cid, body);
	int64_t id = jint(v, "id");
	json_decref(v);
	return id;
}

static struct resp *transition(struct who *w, int64_t cid, const char *to)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
			 json_pack("{s:s}", "to", to));
}

static int64_t new_campaign(struct fx *f, int64_t opens, int64_t closes, bool blind, json_t **view)
{
	char o[40], c[40];
	iso(opens, o);
	iso(closes, c);
	struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f->ward),
				   json_pack("{s:s,s:s,s:s,s:b}", "title", "Sáng kiến chuyển đổi số 2026", "opens_at", o,
					     "closes_at", c, "blind_review", blind));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = jint(jget(r->json, "campaign"), "id");
	if (view)
		*view = json_incref(jget(r->json, "campaign"));
	resp_free(r);
	return id;
}

static const unsigned char PNG[] = { /* a real 1x1 PNG: IHDR, IDAT, IEND */
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
	0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0xf6,
	0x17, 0x38, 0x55, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82 };

static int64_t attach(struct who *w, int64_t pid, const char *filename)
{
	char fh[300];
	snprintf(fh, sizeof fh, "X-Filename: %s", filename);
	const char *h[] = { "Content-Type: image/png", fh, NULL };
	struct resp *r = http_bytes(&w->c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), PNG,
				    sizeof PNG, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = jint(jget(r->json, "attachment"), "id");
	resp_free(r);
	return id;
}

struct fx_opts {
	bool leak_names; /* authors, volunteer and helper get "Leakname…" display names */
	bool not_blind;
	bool published; /* also k4, decided and published, with a model and an adoption */
};

static struct resp *put_review(struct who *w, int64_t pid, const int64_t crit[3], int a, int b, int c)
{
	return http_json(&w->c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)pid),
			 json_pack("{s:i,s:[{s:I,s:i},{s:I,s:i},{s:I,s:i}],s:s,s:b}", "version", 0, "scores", "criterion_id",
				   (json_int_t)crit[0], "score", a, "criterion_id", (json_int_t)crit[1], "score", b,
				   "criterion_id", (json_int_t)crit[2], "score", c, "overall_comment", "Nhận xét chung",
				   "submit", 1));
}

static void fx_build(struct fx *f, const struct fx_opts *opt)
{
	memset(f, 0, sizeof *f);
	CURRENT = f;
	f->T0 = (int64_t)time(NULL) + 86400 * 20;
	f->T0 -= f->T0 % 60;
	f->T1 = f->T0 + 900;
	f->ward = seed_ward(PG, &f->g1);
	const char *pw[] = { S64(f->ward) };
	f->g2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 2') RETURNING id", 1,
		       pw);
	f->ward2 = seed_ward(PG, NULL);
	char tag[12];
	rand_code(tag);
#define NAME(plain, leaky) (opt->leak_names ? fmt_path("Leakname%s%s", tag, leaky) : (plain))
	who_new(&f->L, f->ward, "Lãnh đạo phường");
	who_new(&f->L2, f->ward2, "Lãnh đạo phường khác");
	who_new(&f->A, f->ward, NAME("Cư dân A tổ 1", "An"));
	who_new(&f->B, f->ward, NAME("Cư dân B tổ 2", "Binh"));
	who_new(&f->C, f->ward, NAME("Cư dân C tổ 2", "Cuc"));
	who_new(&f->V, f->ward, NAME("Tình nguyện viên V", "Vinh"));
	who_new(&f->P1, f->ward, "Thẩm định viên 1");
	who_new(&f->P2, f->ward, "Thẩm định viên 2");
	who_new(&f->P3, f->ward, NAME("Thẩm định viên 3", "Phuc"));
	who_new(&f->P4, f->ward, "Thẩm định viên 4");
	who_new(&f->X, f->ward, "Người ngoài");
#undef NAME
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
	grant(f->X.id, f->ward2, 0, "resident");
	struct who *builders[] = { &f->L, &f->A, &f->B, &f->V, &f->P3 };
	for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
		who_login(builders[i], f->T0);

	json_t *view;
	f->k1 = new_campaign(f, f->T0, f->T0 + 600, !opt->not_blind, &view);
	for (int i = 0; i < 3; i++)
		f->crit[i] = jint(json_array_get(jget(view, "criteria"), (size_t)i), "id");
	json_decref(view);
	EXPECT(transition(&f->L, f->k1, "open"), 200);
	f->k2 = new_campaign(f, f->T0, f->T0 + 86400 * 30, true, NULL);
	EXPECT(transition(&f->L, f->k2, "open"), 200);
	f->k3 = new_campaign(f, f->T0, f->T0 + 86400 * 30, true, NULL); /* stays a draft */
	if (opt->published) {
		f->k4 = new_campaign(f, f->T0, f->T0 + 600, true, &view);
		for (int i = 0; i < 3; i++)
			f->crit4[i] = jint(json_array_get(jget(view, "criteria"), (size_t)i), "id");
		json_decref(view);
		EXPECT(transition(&f->L, f->k4, "open"), 200);
	}

	fx_now(f, f->T0 + 60);
	json_t *pa = propose_view(&f->A, f->k1, proposal_body(f->g1, "Bảng tin số tổ 1", true));
	f->pA = jint(pa, "id");
	snprintf(f->codeA, sizeof f->codeA, "%s", json_string_value(jget(pa, "tracking_code")));
	json_decref(pa);
	f->pB = propose(&f->B, f->k1, proposal_body(f->g2, "Sổ liên lạc điện tử tổ 2", true));
	json_t *b = proposal_body(f->g2, "Hướng dẫn dịch vụ công cho người cao tuổi", true);
	json_object_set_new(b, "on_behalf_of", json_integer(f->C.id));
	json_object_set_new(b, "consent", json_pack("{s:s,s:b}", "text_version", "v1", "given", 1));
	f->pC = propose(&f->V, f->k1, b);
	f->pP3 = propose(&f->P3, f->k1, proposal_body(f->g1, "Bản đồ số điểm thu gom rác", true));
	/* The original file names carry the author's name: blind review must not show them. */
	f->attA = attach(&f->A, f->pA, fmt_path("%s-ho-so-%s.png", f->A.name, f->A.phone));
	f->qA = propose(&f->A, f->k2, proposal_body(f->g1, "Đăng ký tiêm chủng trực tuyến", true));
	f->dA = propose(&f->A, f->k2, proposal_body(f->g1, "Bản nháp đầy đủ", false));
	f->qAtt = attach(&f->A, f->qA, "anh-minh-hoa.png");
	if (opt->published) {
		f->rA = propose(&f->A, f->k4, proposal_body(f->g1, "Thanh toán không tiền mặt ở chợ", true));
		f->rB = propose(&f->B, f->k4, proposal_body(f->g2, "Camera an ninh tổ 2", true));
		json_t *bc = proposal_body(f->g2, "Đặt lịch khám bệnh qua điện thoại", true);
		json_object_set_new(bc, "on_behalf_of", json_integer(f->C.id));
		json_object_set_new(bc, "consent", json_pack("{s:s,s:b}", "text_version", "v1", "given", 1));
		f->rC = propose(&f->V, f->k4, bc);
	}

	fx_now(f, f->T1);
	EXPECT(transition(&f->L, f->k1, "closed"), 200);
	EXPECT(transition(&f->L, f->k1, "appraisal"), 200);
	EXPECT(http_json(&f->L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f->k1),
			 json_pack("{s:[I,I,I,I]}", "panelist_ids", (json_int_t)f->P1.id, (json_int_t)f->P2.id,
				   (json_int_t)f->P3.id, (json_int_t)f->V.id)),
	       200);
	EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f->k1),
			 json_pack("{s:s}", "mode", "all")),
	       200);
	/* P4 joins after the assignment: on the panel with nothing to review (a move's target). */
	EXPECT(http_json(&f->L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f->k1),
			 json_pack("{s:[I,I,I,I,I]}", "panelist_ids", (json_int_t)f->P1.id, (json_int_t)f->P2.id,
				   (json_int_t)f->P3.id, (json_int_t)f->V.id, (json_int_t)f->P4.id)),
	       200);
	if (opt->published) {
		const char *k4 = S64(f->k4);
		EXPECT(transition(&f->L, f->k4, "closed"), 200);
		EXPECT(transition(&f->L, f->k4, "appraisal"), 200);
		EXPECT(http_json(&f->L.c, "PUT", fmt_path("/api/v1/campaigns/%s/panel", k4),
				 json_pack("{s:[I,I]}", "panelist_ids", (json_int_t)f->P2.id, (json_int_t)f->P3.id)),
		       200);
		EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/assignments", k4), json_pack("{s:s}", "mode", "all")),
		       200);
		if (!f->P2.in)
			who_login(&f->P2, f->T1);
		EXPECT(put_review(&f->P2, f->rA, f->crit4, 9, 9, 8), 200);
		EXPECT(put_review(&f->P3, f->rA, f->crit4, 8, 9, 9), 200);
		EXPECT(put_review(&f->P3, f->rB, f->crit4, 5, 6, 4), 200);
		EXPECT(put_review(&f->P3, f->rC, f->crit4, 7, 5, 6), 200);
		EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/panel/lock", k4), json_object()), 200);
		EXPECT(http_json(&f->L.c, "PUT", fmt_path("/api/v1/campaigns/%s/awards", k4),
				 json_pack("{s:[{s:s,s:i}]}", "awards", "name", "Giải Nhất", "count", 1)),
		       200);
		EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/decision", k4), json_object()), 201);
		EXPECT(http_json(&f->L.c, "POST", fmt_path("/api/v1/campaigns/%s/publish", k4),
				 json_pack("{s:s}", "password", TEST_PASSWORD)),
		       204);
		const char *p[] = { S64(f->k4) };
		f->model = db_int(PG, "SELECT id FROM models WHERE campaign_id = $1", 1, p);
		struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/models/%lld/adoptions", (long long)f->model),
					   json_pack("{s:I,s:I,s:s,s:s}", "ward_id", (json_int_t)f->ward, "group_id",
						     (json_int_t)f->g2, "started_on", "2027-01-15", "stage", "planned"));
		cr_assert_eq(r->status, 201, "%s", r->body);
		f->adoption = jint(jget(r->json, "adoption"), "id");
		resp_free(r);
	}
}

/* ------------------------------------------------------------------------- */
/* The matrix                                                                 */
/* ------------------------------------------------------------------------- */

enum row { R_ANON, R_A, R_B, R_V, R_P, R_PC, R_L, R_L2, R_P_REVOKED, R_V_REVOKED, R_L_REVOKED, NROWS };

static const char *const row_names[NROWS] = {
	"anonymous", "resident A", "resident B", "volunteer V", "panelist P2", "conflicted P1", "leader", "other leader",
	"P2 panelist revoked", "V volunteer revoked", "leader revoked",
};

enum { UPLOAD = 1, SELF_LOGIN = 2, RELOGIN = 4 };

struct cell {
	const char *method, *path, *body;
	int flags;
	short expect[NROWS]; /* anonymous, A, B, V, P2, P1, leader, other ward's leader, and the revoked rows:
			      * P2 without panelist, V without volunteer, the leader without leader */
};

/*
 * Paths and bodies name fixture values as ${…}: ward (the ward), cid (the call in appraisal), cid2 (an open
 * call), cid3 (a draft call), pid (A's proposal in cid; P2 reviews it, P1 lives in its group), qid (A's
 * submitted proposal in cid2), qver (its version now), did (A's complete draft in cid2), att (pid's
 * attachment), qatt (qid's attachment), code (pid's tracking code), C and Cphone (a resident), Xphone (an
 * outsider's login), P1..P4, V,
 * k0..k2 (criteria of cid), g1, phone (a fresh number), wcode (a fresh ward code), opens and closes,
 * self (the caller's own login; anonymous: an outsider's), pw (the test password), cid4 (a call decided
 * and published), rid (A's proposal in it), rcid (C's in it, submitted by V on C's behalf), mid (its winning
 * model), adid and adver (an adoption of the model recorded by the leader, and its version now), later (a time
 * after cid2's deadline).
 *
 * The order is the order of execution: within a row, cells that change state come after the cells
 * they would disturb.
 */
static const struct cell CELLS[] = {
	/* method, path, body, flags, { anon, A, B, V, P2, P1, leader, other leader, P2-P, V-V, L-L } */
	{ "GET", "/api/v1/health", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/version", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/wards", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "POST", "/api/v1/accounts",
	  "{\"login\":\"${phone}\",\"password\":\"${pw}\",\"display_name\":\"Người mới\",\"ward_id\":${ward},\"group_id\":${g1}}",
	  0, { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201 } },
	{ "GET", "/api/v1/me", NULL, 0, { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/me/proposals", NULL, 0, { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/me/assisted", NULL, 0, { 401, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/me/export", NULL, 0, { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	/* Notices (issue 13): everyone's own, nobody else's (tests/security/test_notices.c). */
	{ "GET", "/api/v1/me/notifications", NULL, 0, { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "POST", "/api/v1/me/notifications/read", "{\"all\":true}", 0,
	  { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/me/notification-settings", NULL, 0, { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "PUT", "/api/v1/me/notification-settings", "{\"sms\":false,\"zalo\":false,\"email\":false,\"notify_helper\":false}", 0,
	  { 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "POST", "/api/v1/admin/wards", "{\"code\":\"${wcode}\",\"name\":\"Phường mới\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/admin/wards/${ward}/groups", "{\"name\":\"Tổ dân phố mới\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/admin/roles", "{\"account_id\":${C},\"ward_id\":${ward},\"role\":\"volunteer\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "DELETE", "/api/v1/admin/roles", "{\"account_id\":${C},\"ward_id\":${ward},\"role\":\"resident\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/admin/accounts?login=${Cphone}", NULL, 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/admin/audit?ward_id=${ward}", NULL, 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	/* issue 9: administration pages (admins only) and the leader's find-a-resident (not once revoked) */
	{ "GET", "/api/v1/admin/wards", NULL, 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "PATCH", "/api/v1/admin/wards/${ward}", "{\"name\":\"Phường đổi tên\"}", 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "PATCH", "/api/v1/admin/groups/${g1}", "{\"retired\":true}", 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/admin/accounts",
	  "{\"login\":\"${phone}\",\"display_name\":\"Người mới\",\"roles\":[{\"role\":\"panelist\",\"ward_id\":${ward}}]}", 0,
	  { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/admin/accounts/${C}", NULL, 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/admin/audit.csv?ward_id=${ward}", NULL, 0, { 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/wards/${ward}/residents?q=Ng", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/wards/${ward}/residents/${C}", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid}", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid3}", NULL, 0, { 404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 404 } },
	{ "POST", "/api/v1/wards/${ward}/campaigns",
	  "{\"title\":\"Đợt hai\",\"opens_at\":\"${opens}\",\"closes_at\":\"${closes}\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 201, 403, 403, 403, 403 } },
	{ "PATCH", "/api/v1/campaigns/${cid2}", "{\"description\":\"Mô tả mới\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid3}/transitions", "{\"to\":\"open\"}", 0,
	  { 401, 404, 404, 404, 404, 404, 200, 404, 404, 404, 404 } },
	/* a deadline extension of the open call: the ward's leader only (issue 9) */
	{ "POST", "/api/v1/campaigns/${cid2}/deadline", "{\"closes_at\":\"${later}\",\"reason\":\"Mưa bão\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/proposals", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/proposals.csv", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid2}/proposals", "{\"title\":\"Ý tưởng mới\"}", 0,
	  { 401, 201, 201, 403, 201, 201, 403, 403, 201, 403, 403 } }, /* residents of the ward only (sql/006) */
	{ "GET", "/api/v1/proposals/${pid}", NULL, 0, { 401, 200, 404, 404, 404, 404, 200, 404, 404, 404, 404 } },
	{ "GET", "/api/v1/proposals/${did}", NULL, 0, { 401, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	{ "PATCH", "/api/v1/proposals/${qid}", "{\"version\":${qver},\"title\":\"Tên mới\"}", 0,
	  { 401, 200, 404, 404, 404, 404, 403, 404, 404, 404, 404 } },
	{ "POST", "/api/v1/proposals/${did}/submit", NULL, 0, { 401, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	{ "POST", "/api/v1/proposals/${qid}/attachments", NULL, UPLOAD, { 401, 201, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	/* assigned, non-conflicted panelists (V, P2) open attachments too; the conflicted P1 does not */
	{ "GET", "/api/v1/attachments/${att}", NULL, 0, { 401, 200, 404, 200, 200, 404, 200, 404, 404, 200, 404 } },
	{ "DELETE", "/api/v1/attachments/${qatt}", NULL, 0, { 401, 204, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	/* publication consents (issue 11, sql/026): the author, or the helping volunteer while holding the role;
	 * withdrawing one is allowed also after publication (rcid's call is published) */
	{ "PUT", "/api/v1/proposals/${qid}/publicity", "{\"photos\":false,\"contact\":false}", 0,
	  { 401, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	{ "PUT", "/api/v1/proposals/${rcid}/publicity", "{\"photos\":false,\"contact\":false}", 0,
	  { 401, 404, 404, 200, 404, 404, 404, 404, 404, 404, 404 } },
	/* a photo that is not a consented winner's: the same 404 for everyone */
	{ "GET", "/api/v1/public/photos/${att}?size=320", NULL, 0, { 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	{ "PUT", "/api/v1/wards/${ward}/public-contact", "{\"public_contact\":\"Văn phòng phường\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/proposals/${qid}/withdraw", NULL, 0, { 401, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	{ "GET", "/api/v1/track/${code}", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid4}/results", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid4}/results.csv", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	/* the published call's documents (minutes, spreadsheet, notice-board poster): public */
	{ "GET", "/api/v1/campaigns/${cid4}/minutes.pdf", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid4}/results.xlsx", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/campaigns/${cid4}/poster.pdf", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/proposals/${rid}/result", NULL, 0, { 401, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404 } },
	/* C's, submitted by V on C's behalf: V reads it while V holds the volunteer role */
	{ "GET", "/api/v1/proposals/${rcid}/result", NULL, 0, { 401, 404, 404, 200, 404, 404, 404, 404, 404, 404, 404 } },
	{ "GET", "/api/v1/models", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "GET", "/api/v1/models/${mid}", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "POST", "/api/v1/models/${mid}/adoptions",
	  "{\"ward_id\":${ward},\"group_id\":${g1},\"started_on\":\"2027-03-01\",\"stage\":\"planned\"}", 0,
	  { 401, 403, 403, 201, 403, 403, 201, 403, 403, 403, 403 } },
	{ "PATCH", "/api/v1/adoptions/${adid}", "{\"version\":${adver},\"stage\":\"piloting\"}", 0,
	  { 401, 403, 403, 200, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/wards/${ward}/assisted-residents",
	  "{\"phone\":\"${phone}\",\"display_name\":\"Bà Tư\",\"group_id\":${g1}}", 0,
	  { 401, 403, 403, 201, 403, 403, 403, 403, 403, 403, 403 } },
	/* a password set-up code for resident C: V only has C's consent on record, which grants nothing on
	 * the account (issue 8: only the volunteer who created it, before it has a password); the ward's
	 * leader leads C's ward */
	{ "POST", "/api/v1/accounts/${C}/setup-code", NULL, 0, { 401, 403, 403, 403, 403, 403, 201, 403, 403, 403, 403 } },
	/* public; a wrong code for the outsider X is the same 401 for everyone */
	{ "POST", "/api/v1/accounts/password-setup",
	  "{\"login\":\"${Xphone}\",\"code\":\"0000 0000\",\"password\":\"${pw}\"}", 0,
	  { 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401 } },
	{ "GET", "/api/v1/campaigns/${cid}/panel", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	/* who may be named: the ward's leader only (names and groups of the ward's panelists) */
	{ "GET", "/api/v1/campaigns/${cid}/panel/candidates", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	/* the current decision with its awards and reasons: the ward's leader only (here, a published one) */
	{ "GET", "/api/v1/campaigns/${cid4}/decision", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "PUT", "/api/v1/campaigns/${cid}/panel", "{\"panelist_ids\":[${P1},${P2},${P3},${V},${P4}]}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/assignments/move",
	  "{\"proposal_id\":${pid},\"from_panelist_id\":${P3},\"to_panelist_id\":${P4}}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/assignments", "{\"mode\":\"all\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/progress", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	/* who reviews what and how far (no scores): the ward's leader only */
	{ "GET", "/api/v1/campaigns/${cid}/assignments", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/awards", NULL, 0, { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 } },
	{ "PUT", "/api/v1/campaigns/${cid}/awards",
	  "{\"awards\":[{\"name\":\"Giải Nhất\",\"count\":1},{\"name\":\"Giải Nhì\",\"count\":1}]}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	/* the panel is still working here: the ranking stays hidden from the leader too (409 panel_not_locked) */
	{ "GET", "/api/v1/campaigns/${cid}/ranking", NULL, 0, { 401, 403, 403, 403, 403, 403, 409, 403, 403, 403, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/worklist", NULL, 0, { 401, 403, 403, 200, 200, 200, 403, 403, 403, 200, 403 } },
	{ "GET", "/api/v1/proposals/${pid}/appraisal", NULL, 0, { 401, 403, 403, 200, 200, 404, 403, 403, 403, 200, 403 } },
	{ "PUT", "/api/v1/proposals/${pid}/review",
	  "{\"version\":0,\"scores\":[{\"criterion_id\":${k0},\"score\":5},{\"criterion_id\":${k1},\"score\":6},"
	  "{\"criterion_id\":${k2},\"score\":7}],\"overall_comment\":\"Khá\",\"submit\":false}",
	  0, { 401, 403, 403, 200, 200, 404, 403, 403, 403, 200, 403 } },
	{ "POST", "/api/v1/proposals/${pid}/conflict", "{\"reason\":\"Người quen của tác giả\"}", 0,
	  { 401, 403, 403, 204, 204, 204, 403, 403, 403, 204, 403 } },
	{ "GET", "/api/v1/campaigns/${cid}/score-record", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/panel/lock", "{\"allow_missing\":true,\"note\":\"Kiểm tra ma trận\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/decision", "{}", 0, { 401, 403, 403, 403, 403, 403, 201, 403, 403, 403, 403 } },
	/* decided, not yet published: the leader reads it back, nobody else does */
	{ "GET", "/api/v1/campaigns/${cid}/decision", NULL, 0, { 401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/publish", "{\"password\":\"${pw}\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 204, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/campaigns/${cid}/corrections",
	  "{\"correction_reason\":\"Sửa lỗi nhập liệu\",\"password\":\"${pw}\"}", 0,
	  { 401, 403, 403, 403, 403, 403, 201, 403, 403, 403, 403 } },
	{ "POST", "/api/v1/sessions", "{\"login\":\"${self}\",\"password\":\"${pw}\"}", SELF_LOGIN,
	  { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201 } },
	{ "DELETE", "/api/v1/sessions/current", NULL, RELOGIN, { 401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204 } },
	{ "DELETE", "/api/v1/me", "{\"password\":\"${pw}\"}", 0, { 401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204 } },
};
#define NCELLS (sizeof CELLS / sizeof CELLS[0])

static struct who *row_who(struct fx *f, enum row r)
{
	switch (r) {
	case R_A:
		return &f->A;
	case R_B:
		return &f->B;
	case R_V:
	case R_V_REVOKED:
		return &f->V;
	case R_P:
	case R_P_REVOKED:
		return &f->P2;
	case R_PC:
		return &f->P1;
	case R_L:
	case R_L_REVOKED:
		return &f->L;
	case R_L2:
		return &f->L2;
	default:
		return NULL;
	}
}

/* The value of fixture name ${name} for a cell run by row. */
static const char *value(struct fx *f, enum row row, const char *name)
{
	struct {
		const char *name;
		int64_t v;
	} ids[] = {
		{ "ward", f->ward }, { "cid", f->k1 },   { "cid2", f->k2 },    { "cid3", f->k3 }, { "pid", f->pA },
		{ "qid", f->qA },    { "did", f->dA },   { "att", f->attA },   { "qatt", f->qAtt }, { "C", f->C.id },
		{ "P1", f->P1.id },  { "P2", f->P2.id }, { "P3", f->P3.id },   { "P4", f->P4.id }, { "V", f->V.id },
		{ "k0", f->crit[0] }, { "k1", f->crit[1] }, { "k2", f->crit[2] }, { "g1", f->g1 },
		{ "cid4", f->k4 },   { "rid", f->rA },   { "rcid", f->rC },   { "mid", f->model },  { "adid", f->adoption },
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (!strcmp(name, ids[i].name))
			return S64(ids[i].v);
	if (!strcmp(name, "qver")) {
		const char *p[] = { S64(f->qA) };
		return S64(db_int(PG, "SELECT version FROM proposals WHERE id = $1", 1, p));
	}
	if (!strcmp(name, "adver")) {
		const char *p[] = { S64(f->adoption) };
		return S64(db_int(PG, "SELECT version FROM adoptions WHERE id = $1", 1, p));
	}
	if (!strcmp(name, "code"))
		return f->codeA;
	if (!strcmp(name, "Cphone"))
		return f->C.phone;
	if (!strcmp(name, "Xphone"))
		return f->X.phone;
	if (!strcmp(name, "pw"))
		return TEST_PASSWORD;
	if (!strcmp(name, "self"))
		return row == R_ANON ? f->X.phone : row_who(f, row)->phone;
	if (!strcmp(name, "phone")) {
		char p[16];
		rand_phone(p);
		return fmt_path("%s", p);
	}
	if (!strcmp(name, "wcode")) {
		char c[12];
		rand_code(c);
		return fmt_path("%s", c);
	}
	if (!strcmp(name, "later")) { /* after cid2's deadline (T0 + 30 days) */
		char t[40];
		iso(f->T0 + 86400 * 40, t);
		return fmt_path("%s", t);
	}
	if (!strcmp(name, "opens") || !strcmp(name, "closes")) {
		char t[40];
		iso(f->T1 + (name[0] == 'o' ? 86400 : 86400 * 20), t);
		return fmt_path("%s", t);
	}
	cr_assert_fail("unknown fixture name ${%s}", name);
	return "";
}

static void expand(struct fx *f, enum row row, const char *tmpl, char *out, size_t outsz)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n + 1 < outsz;) {
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p, '}');
			cr_assert_not_null(end);
			char name[32];
			snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
			n += (size_t)snprintf(out + n, outsz - n, "%s", value(f, row, name));
			p = end + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n < outsz ? n : outsz - 1] = '\0';
}

/* A path template with ${…} (and its query) reduced to the shape of a route pattern: "/a/{}/b". */
static void shape(const char *path, char *out, size_t outsz)
{
	size_t n = 0;
	for (const char *p = path; *p && *p != '?' && n + 3 < outsz;) {
		if (*p == '{' || (p[0] == '$' && p[1] == '{')) {
			out[n++] = '{';
			out[n++] = '}';
			p = strchr(p, '}') + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

/* Every route of src/http/routes.c must have a column; returns the missing ones (caller frees). */
static char *routes_without_cells(int *nroutes)
{
	const char *src = getenv("SANGKIEN_SRC") ? getenv("SANGKIEN_SRC") : ".";
	FILE *fp = fopen(fmt_path("%s/src/http/routes.c", src), "r");
	cr_assert_not_null(fp, "cannot read %s/src/http/routes.c", src);
	char line[512], *missing = calloc(1, 8192);
	size_t used = 0;
	*nroutes = 0;
	while (fgets(line, sizeof line, fp)) {
		char method[16], pattern[256];
		if (sscanf(line, " { \"%15[A-Z]\", \"%255[^\"]\"", method, pattern) != 2)
			continue;
		(*nroutes)++;
		char want[256], have[256];
		shape(pattern, want, sizeof want);
		bool found = false;
		for (size_t i = 0; i < NCELLS && !found; i++) {
			shape(CELLS[i].path, have, sizeof have);
			found = !strcmp(CELLS[i].method, method) && !strcmp(have, want);
		}
		if (!found && used + 300 < 8192)
			used += (size_t)snprintf(missing + used, 8192 - used, "\n  %s %s", method, pattern);
	}
	fclose(fp);
	return missing;
}

static long run_cell(struct fx *f, enum row row, struct client *c, const struct cell *cell, char *detail, size_t dsz)
{
	char path[1024], body[2048];
	expand(f, row, cell->path, path, sizeof path);
	struct resp *r;
	if (cell->flags & UPLOAD) {
		const char *h[] = { "Content-Type: image/png", "X-Filename: ma-tran.png", NULL };
		r = http_bytes(c, cell->method, path, PNG, sizeof PNG, h);
	} else if (cell->body) {
		expand(f, row, cell->body, body, sizeof body);
		r = http(c, cell->method, path, body, NULL);
	} else {
		r = http(c, cell->method, path, NULL, NULL);
	}
	long st = r->status;
	snprintf(detail, dsz, "%s", r->body ? r->body : "");
	if ((cell->flags & SELF_LOGIN) && st == 201) {
		if (row == R_ANON)
			client_forget_session(c); /* stay anonymous */
		else
			snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(jget(r->json, "csrf_token")));
	}
	resp_free(r);
	if ((cell->flags & RELOGIN) && row != R_ANON)
		cr_assert_eq(login(c, row_who(f, row)->phone, TEST_PASSWORD), 201);
	return st;
}

/*
 * The revoked rows: the caller uses the role once (200), an installation admin revokes it through
 * DELETE /api/v1/admin/roles, and the same session then runs the row (issue 8, part 4).
 */
static void revoke_after_use(struct fx *f, enum row row)
{
	struct who *w = row_who(f, row);
	const char *role = row == R_P_REVOKED ? "panelist" : row == R_V_REVOKED ? "volunteer" : "leader";
	const char *use = row == R_P_REVOKED ? fmt_path("/api/v1/campaigns/%lld/worklist", (long long)f->k1)
			  : row == R_V_REVOKED ? "/api/v1/me/assisted"
					       : fmt_path("/api/v1/campaigns/%lld/panel", (long long)f->k1);
	EXPECT(http(&w->c, "GET", use, NULL, NULL), 200);
	struct who admin;
	who_new(&admin, f->ward, "Quản trị hệ thống");
	grant_role(PG, admin.id, 0, "admin");
	who_login(&admin, f->T1);
	EXPECT(http_json(&admin.c, "DELETE", "/api/v1/admin/roles",
			 json_pack("{s:I,s:I,s:s}", "account_id", (json_int_t)w->id, "ward_id", (json_int_t)f->ward, "role",
				   role)),
	       204);
	client_cleanup(&admin.c);
}

Test(matrix, every_endpoint_against_every_caller)
{
	int nroutes;
	char *missing = routes_without_cells(&nroutes);
	cr_assert_gt(nroutes, 40, "routes.c could not be read");
	cr_assert_str_eq(missing, "", "routes of src/http/routes.c without a column in the matrix:%s", missing);
	free(missing);

	static long got[NROWS][NCELLS];
	static char detail[NROWS][NCELLS][200];
	for (int row = 0; row < NROWS; row++) {
		static struct fx f;
		fx_build(&f, &(struct fx_opts){ .published = true });
		struct client anon;
		client_init(&anon, &S);
		anon.now = f.T1;
		struct who *w = row_who(&f, (enum row)row);
		if (w && !w->in)
			who_login(w, f.T1);
		struct client *c = w ? &w->c : &anon;
		if (row >= R_P_REVOKED)
			revoke_after_use(&f, (enum row)row);
		for (size_t i = 0; i < NCELLS; i++)
			got[row][i] = run_cell(&f, (enum row)row, c, &CELLS[i], detail[row][i], sizeof detail[row][i]);
		client_cleanup(&anon);
		fx_free(&f);
	}

	/* The whole table (when something differs, or SANGKIEN_MATRIX_PRINT is set), then the mismatches. */
	int bad = 0;
	for (size_t i = 0; i < NCELLS; i++)
		for (int row = 0; row < NROWS; row++)
			bad += got[row][i] != CELLS[i].expect[row];
	if (bad || getenv("SANGKIEN_MATRIX_PRINT")) {
		fprintf(stderr, "\naccess matrix (got, '!' where it differs from the expected):\n%-52s", "");
		for (int row = 0; row < NROWS; row++)
			fprintf(stderr, " %-8.8s", row_names[row]);
		fprintf(stderr, "\n");
		for (size_t i = 0; i < NCELLS; i++) {
			fprintf(stderr, "%-6s %-45.45s", CELLS[i].method, CELLS[i].path);
			for (int row = 0; row < NROWS; row++)
				fprintf(stderr, " %3ld%-5s", got[row][i], got[row][i] == CELLS[i].expect[row] ? "" : "!");
			fprintf(stderr, "\n");
		}
	}
	if (bad) {
		fprintf(stderr, "\n%d mismatches (caller x endpoint: got / expected):\n", bad);
		for (size_t i = 0; i < NCELLS; i++)
			for (int row = 0; row < NROWS; row++)
				if (got[row][i] != CELLS[i].expect[row])
					fprintf(stderr, "  %-13s x %s %s: got %ld, expected %d   %.150s\n", row_names[row],
						CELLS[i].method, CELLS[i].path, got[row][i], CELLS[i].expect[row],
						detail[row][i]);
	}
	cr_assert_eq(bad, 0, "%d cells of the access matrix differ (table above)", bad);
}

/* ------------------------------------------------------------------------- */
/* Blind review: nothing that identifies an author reaches a panelist         */
/* ------------------------------------------------------------------------- */

struct needles {
	char s[64][96];
	int n;
};

static void add_needle(struct needles *nd, const char *s)
{
	if (nd->n < 64)
		snprintf(nd->s[nd->n++], sizeof nd->s[0], "%s", s);
}

/* A person's name and number in every form: 09xxxxxxxx, +849xxxxxxxx, 849xxxxxxxx, and the 9 digits alone. */
static void add_person(struct needles *nd, const struct who *w)
{
	add_needle(nd, w->name);
	add_needle(nd, w->phone);
	add_needle(nd, fmt_path("+84%s", w->phone + 1));
	add_needle(nd, fmt_path("84%s", w->phone + 1));
	add_needle(nd, fmt_path("%%2B84%s", w->phone + 1));
	add_needle(nd, w->phone + 1);
}

struct scan {
	struct needles nd;
	int64_t author_ids[8];
	int nauthors;
	const char *own_name;
	int fetched, found;
	char report[8192];
	size_t used;
};

static void finding(struct scan *s, const char *what, const char *where)
{
	s->found++;
	if (s->used + 300 < sizeof s->report)
		s->used += (size_t)snprintf(s->report + s->used, sizeof s->report - s->used, "\n  %s in %s", what, where);
}

/* Keys that name or point at a person, and display names other than the panelist's own. */
static void scan_json(struct scan *s, json_t *v, const char *where)
{
	static const char *const keys[] = { "author", "author_id", "helped_by", "helper", "uploaded_by", "consent_id",
					    "resident_id", "volunteer_id", "on_behalf_of", NULL };
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			for (int i = 0; keys[i]; i++)
				if (!strcmp(k, keys[i]))
					finding(s, fmt_path("key \"%s\"", k), where);
			if (!strcmp(k, "display_name") && json_is_string(x) && strcmp(json_string_value(x), s->own_name))
				finding(s, fmt_path("display_name \"%s\"", json_string_value(x)), where);
			if (json_is_integer(x) && (strstr(k, "author") || strstr(k, "helper") || strstr(k, "account")))
				for (int a = 0; a < s->nauthors; a++)
					if (json_integer_value(x) == s->author_ids[a])
						finding(s, fmt_path("author account %lld as \"%s\"", (long long)s->author_ids[a], k),
							where);
			scan_json(s, x, where);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) scan_json(s, x, where);
	}
}

/* Fetches method path as c and looks for every needle in the reply's headers and body. */
static struct resp *fetch(struct scan *s, struct client *c, const char *method, const char *path, const char *body)
{
	struct resp *r = http(c, method, path, body, NULL);
	s->fetched++;
	char where[300];
	snprintf(where, sizeof where, "%s %s (%ld)", method, path, r->status);
	for (int i = 0; i < s->nd.n; i++) {
		if (strstr(r->headers, s->nd.s[i]))
			finding(s, fmt_path("\"%s\" in the headers", s->nd.s[i]), where);
		if (r->body && memmem(r->body, r->len, s->nd.s[i], strlen(s->nd.s[i])))
			finding(s, fmt_path("\"%s\"", s->nd.s[i]), where);
	}
	if (r->json)
		scan_json(s, r->json, where);
	return r;
}

static void fetch_free(struct scan *s, struct client *c, const char *method, const char *path, const char *body)
{
	resp_free(fetch(s, c, method, path, body));
}

/* Everything panelist P2 can ask for, scanned; returns the number of findings (report in s). */
static int panelist_sweep(struct fx *f, struct scan *s)
{
	memset(s, 0, sizeof *s);
	struct who *authors[] = { &f->A, &f->B, &f->C, &f->V, &f->P3 };
	for (size_t i = 0; i < sizeof authors / sizeof authors[0]; i++) {
		add_person(&s->nd, authors[i]);
		s->author_ids[s->nauthors++] = authors[i]->id;
	}
	add_needle(&s->nd, "Leakname");
	s->own_name = f->P2.name;
	/* Others review pA first (P3, an author himself, and the volunteer V): their scores reach P2. */
	json_t *scores = json_pack("[{s:I,s:i,s:s},{s:I,s:i},{s:I,s:i}]", "criterion_id", (json_int_t)f->crit[0], "score", 7,
				   "comment", "Được", "criterion_id", (json_int_t)f->crit[1], "score", 6, "criterion_id",
				   (json_int_t)f->crit[2], "score", 8);
	char *st = json_dumps(scores, JSON_COMPACT);
	json_decref(scores);
	char review[1024];
	snprintf(review, sizeof review, "{\"version\":0,\"scores\":%s,\"overall_comment\":\"Tốt\",\"submit\":true}", st);
	who_login(&f->P2, f->T1);
	struct client *c = &f->P2.c;
	EXPECT(http(&f->P3.c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)f->pA), review, NULL), 200);
	EXPECT(http(&f->V.c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)f->pA), review, NULL), 200);

	static const char *const gets[] = { "/api/v1/me", "/api/v1/me/proposals", "/api/v1/me/assisted", "/api/v1/me/export",
					    "/api/v1/wards", "/api/v1/campaigns", NULL };
	for (int i = 0; gets[i]; i++)
		fetch_free(s, c, "GET", gets[i], NULL);
	const char *cgets[] = { "", "/worklist", "/proposals", "/proposals.csv", "/panel", "/progress", "/assignments", "/score-record", NULL };
	for (int i = 0; cgets[i]; i++)
		fetch_free(s, c, "GET", fmt_path("/api/v1/campaigns/%lld%s", (long long)f->k1, cgets[i]), NULL);
	fetch_free(s, c, "GET", fmt_path("/api/v1/campaigns?ward_id=%lld", (long long)f->ward), NULL);

	/* The work list, each proposal on it (before and after my own review) and each attachment. */
	struct resp *wl = fetch(s, c, "GET", fmt_path("/api/v1/campaigns/%lld/worklist", (long long)f->k1), NULL);
	cr_assert_eq(wl->status, 200, "%s", wl->body);
	cr_assert_gt(json_array_size(jget(wl->json, "proposals")), 0);
	size_t i;
	json_t *p;
	json_array_foreach(jget(wl->json, "proposals"), i, p) {
		int64_t pid = jint(p, "id");
		for (int round = 0; round < 2; round++) {
			struct resp *a = fetch(s, c, "GET", fmt_path("/api/v1/proposals/%lld/appraisal", (long long)pid), NULL);
			cr_assert_eq(a->status, 200, "%s", a->body);
			size_t j;
			json_t *att;
			json_array_foreach(jget(jget(a->json, "proposal"), "attachments"), j, att) {
				const char *fn = json_string_value(jget(att, "filename"));
				if (fn == NULL || strncmp(fn, "tep-", 4) != 0)
					finding(s, fmt_path("the original file name \"%s\"", fn ? fn : "?"),
						fmt_path("GET /api/v1/proposals/%lld/appraisal", (long long)pid));
				fetch_free(s, c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)jint(att, "id")), NULL);
			}
			resp_free(a);
			if (round == 0) {
				struct resp *rv = fetch(s, c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)pid), review);
				cr_assert_eq(rv->status, 200, "%s", rv->body);
				resp_free(rv);
			}
		}
		fetch_free(s, c, "GET", fmt_path("/api/v1/track/%s", json_string_value(jget(p, "tracking_code"))), NULL);
	}
	resp_free(wl);
	/* pA's attachment directly, whether or not it is listed; the others' proposals; errors. */
	fetch_free(s, c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)f->attA), NULL);
	fetch_free(s, c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)f->qAtt), NULL);
	int64_t all[] = { f->pA, f->pB, f->pC, f->pP3, f->qA, f->dA };
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
		fetch_free(s, c, "GET", fmt_path("/api/v1/proposals/%lld", (long long)all[k]), NULL);
		fetch_free(s, c, "GET", fmt_path("/api/v1/proposals/%lld/appraisal", (long long)all[k]), NULL);
		fetch_free(s, c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)all[k]),
			   "{\"version\":0,\"scores\":[{\"criterion_id\":1,\"score\":99}],\"submit\":true}");
		fetch_free(s, c, "PUT", fmt_path("/api/v1/proposals/%lld/review", (long long)all[k]), review);
	}
	fetch_free(s, c, "POST", fmt_path("/api/v1/proposals/%lld/conflict", (long long)f->pB), "{\"reason\":\"\"}");
	fetch_free(s, c, "POST", fmt_path("/api/v1/proposals/%lld/conflict", (long long)f->pB),
		   "{\"reason\":\"Quen tác giả\"}");
	fetch_free(s, c, "GET", fmt_path("/api/v1/proposals/%lld", (long long)f->pB), NULL);
	fetch_free(s, c, "GET", fmt_path("/api/v1/campaigns/%lld/worklist", (long long)f->k1), NULL);
	fetch_free(s, c, "GET", fmt_path("/api/v1/campaigns/%lld", (long long)f->k2), NULL);
	fetch_free(s, c, "GET", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)f->k2), NULL);
	fetch_free(s, c, "GET", "/api/v1/me/export", NULL);
	free(st);
	return s->found;
}

Test(blind, a_panelist_never_sees_who_proposed)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .leak_names = true });
	struct scan s;
	int found = panelist_sweep(&f, &s);
	cr_assert_gt(s.fetched, 40, "the sweep asked for %d replies", s.fetched);
	cr_assert_eq(found, 0, "%d traces of authors reached panelist P2 in blind review:%s", found, s.report);
	fx_free(&f);
}

/* The same sweep with blind review off must find the authors: the detector works. */
Test(blind, the_sweep_does_find_authors_when_review_is_not_blind)
{
	static struct fx f; /* static: down() can still free it after a failed assertion */
	fx_build(&f, &(struct fx_opts){ .leak_names = true, .not_blind = true });
	struct scan s;
	int found = panelist_sweep(&f, &s);
	cr_assert_gt(found, 0, "with blind review off, the panelist sees the authors; the sweep found nothing");
	cr_assert_not_null(strstr(s.report, "Leakname"), "%s", s.report);
	cr_assert_not_null(strstr(s.report, "key \"author\""), "%s", s.report);
	fx_free(&f);
}
