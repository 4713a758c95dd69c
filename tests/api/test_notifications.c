/*
 * Notices (issue 13) against the real daemon: each event of a whole call writes the right notice
 * for the right people and nobody else, in the transaction of the change (a refused or rolled-back
 * change writes none); the timers are idempotent; the in-app list, read marks and channel settings
 * are the caller's own; a delivery row per enabled channel with its address.
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

TestSuite(notices, .init = up, .fini = down, .timeout = 240);

#define S64(v) fmt_path("%lld", (long long)(v))

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

static void who_login(struct who *w, int64_t now)
{
	w->c.now = now;
	cr_assert_eq(login(&w->c, w->phone, TEST_PASSWORD), 201, "login %s", w->name);
}

static void grant(int64_t account, int64_t ward, int64_t group, const char *role)
{
	const char *p[] = { S64(account), S64(ward), group ? S64(group) : NULL, role };
	PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, $4)", 4,
			p));
}

/* How many notices of event (NULL: any) account has. */
static long long notices(int64_t account, const char *event)
{
	const char *p[] = { S64(account), event };
	return db_int(PG, "SELECT count(*) FROM notifications WHERE account_id = $1 AND ($2::text IS NULL OR event = $2)",
		      2, p);
}

/* The facts of account's newest notice of event, as JSON text (caller frees). */
static char *facts_of(int64_t account, const char *event)
{
	const char *p[] = { S64(account), event };
	return db_text(PG, "SELECT facts::text FROM notifications WHERE account_id = $1 AND event = $2 ORDER BY id DESC LIMIT 1",
		       2, p);
}

static long long timers(int64_t at)
{
	const char *p[] = { S64(at) };
	return db_int(PG, "SELECT notification_timers(to_timestamp($1))", 1, p);
}

static json_t *proposal_body(int64_t group, const char *title)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
			 "summary", "Tóm tắt mô hình", "problem", "Bà con khó theo dõi thông báo của tổ", "model",
			 "Nhóm Zalo và bảng tin số cho tổ", "beneficiaries", "Các hộ trong tổ", "households", 80,
			 "resources", "Hai tình nguyện viên", "cost_vnd", (json_int_t)5000000, "submit", 1);
}

static struct resp *transition(struct who *w, int64_t cid, const char *to)
{
	return http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
			 json_pack("{s:s}", "to", to));
}

/*
 * The fixture: ward W with leader L, residents A (group 1) and B (group 2), panelists P1 and P2,
 * volunteer V; leader L2 of another ward. One call of W, open from T0, closing at T0 + 600.
 */
struct fx {
	int64_t T0, ward, g1, g2, ward2, cid, crit[3];
	struct who L, L2, A, B, P1, P2, V;
};

static struct who *everyone(struct fx *f, int i)
{
	struct who *all[] = { &f->L, &f->L2, &f->A, &f->B, &f->P1, &f->P2, &f->V };
	return i < 7 ? all[i] : NULL;
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

static void fx_build(struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->T0 = (int64_t)time(NULL) + 86400 * 30 + random() % 86400;
	f->T0 -= f->T0 % 60;
	f->ward = seed_ward(PG, &f->g1);
	const char *pw[] = { S64(f->ward) };
	f->g2 = db_int(PG, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 2') RETURNING id", 1,
		       pw);
	f->ward2 = seed_ward(PG, NULL);
	who_new(&f->L, f->ward, "Lãnh đạo phường");
	who_new(&f->L2, f->ward2, "Lãnh đạo phường khác");
	who_new(&f->A, f->ward, "Nguyễn Thị Ánh");
	who_new(&f->B, f->ward, "Trần Văn Bình");
	who_new(&f->P1, f->ward, "Thẩm định viên 1");
	who_new(&f->P2, f->ward, "Thẩm định viên 2");
	who_new(&f->V, f->ward, "Tình nguyện viên V");
	grant(f->L.id, f->ward, 0, "leader");
	grant(f->L2.id, f->ward2, 0, "leader");
	grant(f->A.id, f->ward, f->g1, "resident");
	grant(f->B.id, f->ward, f->g2, "resident");
	grant(f->P1.id, f->ward, 0, "panelist");
	grant(f->P2.id, f->ward, 0, "panelist");
	grant(f->V.id, f->ward, 0, "volunteer");
	for (int i = 0; everyone(f, i); i++)
		who_login(everyone(f, i), f->T0);
	char o[40], c[40];
	iso(f->T0, o);
	iso(f->T0 + 600, c);
	struct resp *r = http_json(&f->L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f->ward),
				   json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến chuyển đổi số 2026", "opens_at", o,
					     "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	f->cid = jint(jget(r->json, "campaign"), "id");
	for (int i = 0; i < 3; i++)
		f->crit[i] = jint(json_array_get(jget(jget(r->json, "campaign"), "criteria"), (size_t)i), "id");
	resp_free(r);
	EXPECT(transition(&f->L, f->cid, "open"), 200, NULL);
	fx_now(f, f->T0 + 60);
}

static int64_t propose(struct who *w, int64_t cid, json_t *body, char code[32])
{
	struct resp *r = http_json(&w->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid), body);
	cr_assert_eq(r->status, 201, "propose as %s: %ld %s", w->name, r->status, r->body);
	int64_t id = jint(jget(r->json, "proposal"), "id");
	if (code)
		snprintf(code, 32, "%s", jstr(jget(r->json, "proposal"), "tracking_code"));
	resp_free(r);
	return id;
}

static void review_all(struct who *p, int64_t cid, const int64_t crit[3])
{
	const char *q[] = { S64(cid), S64(p->id) };
	PGresult *a = db_exec(PG, "SELECT proposal_id FROM assignments WHERE campaign_id = $1 AND panelist_id = $2", 2, q);
	for (int i = 0; i < PQntuples(a); i++) {
		json_t *sc = json_array();
		for (int k = 0; k < 3; k++)
			json_array_append_new(sc, json_pack("{s:I,s:i,s:s}", "criterion_id", (json_int_t)crit[k], "score",
							    3 + k, "comment", "Ổn"));
		struct resp *r = http_json(&p->c, "PUT", fmt_path("/api/v1/proposals/%s/review", PQgetvalue(a, i, 0)),
					   json_pack("{s:i,s:b,s:o,s:s}", "version", 0, "submit", 1, "scores", sc,
						     "overall_comment", "Nên nhân rộng."));
		cr_assert_eq(r->status, 200, "%s", r->body);
		resp_free(r);
	}
	PQclear(a);
}

static struct resp *list(struct who *w, const char *query, const char *accept_language)
{
	const char *h[] = { accept_language, NULL };
	return http(&w->c, "GET", fmt_path("/api/v1/me/notifications%s", query ? query : ""), NULL,
		    accept_language ? h : NULL);
}

Test(notices, a_whole_call_tells_the_right_people_and_nobody_else)
{
	static struct fx f;
	fx_build(&f);

	/* Submitted: the author hears, with the tracking code; nobody else. */
	char codeA[32], codeB[32];
	int64_t pA = propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số tổ 1"), codeA);
	cr_assert_eq(notices(f.A.id, "proposal_received"), 1);
	char *facts = facts_of(f.A.id, "proposal_received");
	cr_assert_not_null(strstr(facts, codeA), "%s", facts);
	free(facts);
	for (int i = 0; everyone(&f, i); i++)
		if (everyone(&f, i) != &f.A)
			cr_assert_eq(notices(everyone(&f, i)->id, NULL), 0, "%s", everyone(&f, i)->name);
	int64_t pB = propose(&f.B, f.cid, proposal_body(f.g2, "Sổ liên lạc điện tử tổ 2"), codeB);
	cr_assert_eq(notices(f.A.id, NULL), 1);
	cr_assert_eq(notices(f.B.id, "proposal_received"), 1);
	/* A draft tells nobody. */
	json_t *draft = proposal_body(f.g1, "Bản nháp");
	json_object_set_new(draft, "submit", json_false());
	int64_t pDraft = propose(&f.A, f.cid, draft, NULL);
	cr_assert_eq(notices(f.A.id, NULL), 1);

	/* A refused change writes no notice: a deadline moved backwards, a stranger's withdrawal. */
	char t[40];
	iso(f.T0 + 300, t);
	struct resp *r = http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/deadline", (long long)f.cid),
				   json_pack("{s:s,s:s}", "closes_at", t, "reason", "Sớm hơn"));
	cr_assert_geq(r->status, 400, "%s", r->body);
	resp_free(r);
	r = http(&f.B.c, "POST", fmt_path("/api/v1/proposals/%lld/withdraw", (long long)pA), NULL, NULL);
	cr_assert_geq(r->status, 400, "%s", r->body);
	resp_free(r);
	cr_assert_eq(notices(f.A.id, NULL), 1);
	cr_assert_eq(notices(f.B.id, NULL), 1);
	/* The same transaction: an audited withdrawal that rolls back leaves no notice either. */
	PQclear(db_exec(PG, "BEGIN", 0, NULL));
	const char *pa[] = { S64(pA) };
	PQclear(db_exec(PG, "INSERT INTO audit_log (action, subject) VALUES ('proposal_withdrawn', 'proposal:' || $1)", 1,
			pa));
	cr_assert_eq(notices(f.A.id, "proposal_withdrawn"), 1, "the trigger runs inside the change's transaction");
	PQclear(db_exec(PG, "ROLLBACK", 0, NULL));
	cr_assert_eq(notices(f.A.id, "proposal_withdrawn"), 0);

	/* The deadline extended: everyone with a proposal in the call, no one else. */
	iso(f.T0 + 1200, t);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/deadline", (long long)f.cid),
			 json_pack("{s:s,s:s}", "closes_at", t, "reason", "Mưa bão, nhiều hộ chưa kịp gửi")),
	       200, NULL);
	cr_assert_eq(notices(f.A.id, "deadline_extended"), 1, "one per person, not per proposal");
	cr_assert_eq(notices(f.B.id, "deadline_extended"), 1);
	for (int i = 0; everyone(&f, i); i++)
		if (everyone(&f, i) != &f.A && everyone(&f, i) != &f.B)
			cr_assert_eq(notices(everyone(&f, i)->id, NULL), 0, "%s", everyone(&f, i)->name);
	/* A withdraws the draft (nothing: it was never received) – drafts cannot be withdrawn anyway. */
	(void)pDraft;

	/* The deadline passes: the timers tell the ward's leaders once. */
	cr_assert_eq(notices(f.L.id, NULL), 0);
	timers(f.T0 + 1100);
	cr_assert_eq(notices(f.L.id, "deadline_passed"), 0, "not before the (extended) deadline");
	timers(f.T0 + 1300);
	cr_assert_eq(notices(f.L.id, "deadline_passed"), 1);
	timers(f.T0 + 1400);
	cr_assert_eq(notices(f.L.id, "deadline_passed"), 1, "the timers are idempotent");
	cr_assert_eq(notices(f.L2.id, NULL), 0, "another ward's leader hears nothing");
	facts = facts_of(f.L.id, "deadline_passed");
	cr_assert_not_null(strstr(facts, "\"submitted\": 2"), "%s", facts);
	free(facts);

	/* The panel: each panelist once, however often the panel is set. */
	fx_now(&f, f.T0 + 1300);
	EXPECT(transition(&f.L, f.cid, "closed"), 200, NULL);
	EXPECT(transition(&f.L, f.cid, "appraisal"), 200, NULL);
	for (int k = 0; k < 2; k++)
		EXPECT(http_json(&f.L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.cid),
				 json_pack("{s:[I,I]}", "panelist_ids", (json_int_t)f.P1.id, (json_int_t)f.P2.id)),
		       200, NULL);
	cr_assert_eq(notices(f.P1.id, "panelist_assigned"), 1);
	cr_assert_eq(notices(f.P2.id, "panelist_assigned"), 1);
	cr_assert_eq(notices(f.V.id, NULL), 0);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f.cid),
			 json_pack("{s:s}", "mode", "all")),
	       200, NULL);

	/* Reminders before the scoring deadline, to whoever has reviews missing, once per window. */
	int64_t D = f.T0 + 86400 * 5;
	const char *pd[] = { S64(f.cid), S64(D) };
	PQclear(db_exec(PG, "UPDATE campaigns SET scoring_deadline = to_timestamp($2) WHERE id = $1", 2, pd));
	timers(D - 50 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 0, "not before 48 h");
	timers(D - 47 * 3600);
	timers(D - 46 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 1);
	cr_assert_eq(notices(f.P2.id, "review_reminder"), 1);
	facts = facts_of(f.P2.id, "review_reminder");
	cr_assert_not_null(strstr(facts, "\"hours\": 48"), "%s", facts);
	cr_assert_not_null(strstr(facts, "\"missing\": 2"), "%s", facts);
	free(facts);
	review_all(&f.P1, f.cid, f.crit);
	cr_assert_eq(notices(f.L.id, "reviews_complete"), 0, "P2's reviews are missing");
	timers(D - 5 * 3600);
	timers(D - 4 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 1, "P1 has scored everything");
	cr_assert_eq(notices(f.P2.id, "review_reminder"), 2);
	facts = facts_of(f.P2.id, "review_reminder");
	cr_assert_not_null(strstr(facts, "\"hours\": 6"), "%s", facts);
	free(facts);
	review_all(&f.P2, f.cid, f.crit);
	cr_assert_eq(notices(f.L.id, "reviews_complete"), 1);
	cr_assert_eq(notices(f.L2.id, NULL), 0);

	/* Issue 12: a review submit does not read the call's whole set of assignments to tell whether
	 * every review is in. In a rolled-back transaction the call grows by 2,000 proposals assigned to
	 * V as a panelist, all reviewed, then one more assigned to P1 (stored last); a submit by P1,
	 * whose set now lacks a review, must read about P1's own assignments, not the call's. */
	PQclear(db_exec(PG, "BEGIN", 0, NULL));
	const char *pb[] = { S64(f.cid), S64(f.A.id), S64(f.V.id), S64(f.P1.id) };
	PQclear(db_exec(PG,
			"WITH c AS (SELECT ward_id, id FROM campaigns WHERE id = $1),"
			" pn AS (INSERT INTO panelists (campaign_id, ward_id, account_id) SELECT id, ward_id, $3 FROM c),"
			" pr AS (INSERT INTO proposals (ward_id, campaign_id, author_id, title, created_at, updated_at)"
			"  SELECT c.ward_id, c.id, $2, 'bulk ' || i, now(), now() FROM c, generate_series(1, 2001) i"
			"  RETURNING id, ward_id, campaign_id)"
			" SELECT count(*) FROM pr",
			3, pb));
	PQclear(db_exec(PG,
			"INSERT INTO assignments (campaign_id, ward_id, proposal_id, panelist_id)"
			" SELECT campaign_id, ward_id, id, $2 FROM proposals WHERE campaign_id = $1 AND title LIKE 'bulk %'"
			" AND title <> 'bulk 2001' ORDER BY id",
			2, (const char *[]){ pb[0], pb[2] }));
	PQclear(db_exec(PG,
			"INSERT INTO reviews (campaign_id, ward_id, proposal_id, panelist_id, status, overall_comment,"
			" created_at, updated_at, submitted_at)"
			" SELECT campaign_id, ward_id, proposal_id, panelist_id, 'submitted', 'ok', now(), now(), now()"
			" FROM assignments WHERE campaign_id = $1 AND panelist_id = $2",
			2, (const char *[]){ pb[0], pb[2] }));
	PQclear(db_exec(PG,
			"INSERT INTO assignments (campaign_id, ward_id, proposal_id, panelist_id)"
			" SELECT campaign_id, ward_id, id, $2 FROM proposals WHERE campaign_id = $1 AND title = 'bulk 2001'",
			2, (const char *[]){ pb[0], pb[3] }));
	PQclear(db_exec(PG, "ANALYZE assignments", 0, NULL));
	const char *read_sql = "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
			       " FROM pg_stat_xact_user_tables WHERE relname = 'assignments'";
	long long before = db_int(PG, read_sql, 0, NULL);
	const char *pe[] = { S64(f.P1.id), S64(f.ward), S64(pA) };
	PQclear(db_exec(PG,
			"INSERT INTO audit_log (actor_account_id, ward_id, action, subject)"
			" VALUES ($1, $2, 'review_submit', 'proposal:' || $3)",
			3, pe));
	long long read = db_int(PG, read_sql, 0, NULL) - before;
	cr_assert_eq(notices(f.L.id, "reviews_complete"), 1, "P1's set lacks a review: no new notice");
	PQclear(db_exec(PG, "ROLLBACK", 0, NULL));
	cr_assert_lt(read, 50, "a review submit read %lld assignments (the call has 2,005)", read);
	timers(D - 3600);
	cr_assert_eq(notices(f.P2.id, "review_reminder"), 2, "no reminder once everything is in");

	/* Locked: the panelists hear. */
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/panel/lock", (long long)f.cid), json_object()),
	       200, NULL);
	cr_assert_eq(notices(f.P1.id, "panel_locked"), 1);
	cr_assert_eq(notices(f.P2.id, "panel_locked"), 1);
	cr_assert_eq(notices(f.A.id, "panel_locked"), 0);

	/* Results: each author with their own result; panelists and others nothing. */
	EXPECT(http_json(&f.L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/awards", (long long)f.cid),
			 json_pack("{s:[{s:s,s:i}]}", "awards", "name", "Giải Nhất", "count", 1)),
	       200, NULL);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/decision", (long long)f.cid), json_object()),
	       201, NULL);
	cr_assert_eq(notices(f.A.id, "results_published"), 0, "a decision is not yet published");
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/publish", (long long)f.cid),
			 json_pack("{s:s}", "password", TEST_PASSWORD)),
	       204, NULL);
	cr_assert_eq(notices(f.A.id, "results_published"), 1);
	cr_assert_eq(notices(f.B.id, "results_published"), 1);
	cr_assert_eq(notices(f.P1.id, "results_published"), 0);
	const char *qa[] = { S64(pA) }, *qb[] = { S64(pB) };
	long long rankA = db_int(PG,
				 "SELECT (x->>'rank')::int FROM decisions d, jsonb_array_elements(d.snapshot->'ranking') x"
				 " WHERE (x->>'proposal_id')::bigint = $1 ORDER BY d.id DESC LIMIT 1",
				 1, qa);
	facts = facts_of(f.A.id, "results_published");
	cr_assert_not_null(strstr(facts, fmt_path("\"rank\": %lld", rankA)), "%s", facts);
	cr_assert_not_null(strstr(facts, codeA), "%s", facts);
	cr_assert_null(strstr(facts, codeB), "only A's own result: %s", facts);
	free(facts);
	facts = facts_of(f.B.id, "results_published");
	cr_assert_null(strstr(facts, codeA), "only B's own result: %s", facts);
	free(facts);
	(void)qb;

	/* The tracking page says the same: the call's stage and, for the winner, the award. */
	struct client anon;
	client_init(&anon, &S);
	r = http(&anon, "GET", fmt_path("/api/v1/track/%s", codeA), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(jstr(jget(r->json, "campaign"), "state"), "published", "%s", r->body);
	cr_assert(json_is_object(jget(r->json, "result")), "%s", r->body);
	if (rankA == 1)
		cr_assert_str_eq(jstr(jget(r->json, "result"), "award"), "Giải Nhất", "%s", r->body);
	else
		cr_assert_null(jget(jget(r->json, "result"), "award"), "%s", r->body);
	resp_free(r);
	client_cleanup(&anon);

	/* A correction: the leaders hear it was published, the authors their corrected result. */
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/corrections", (long long)f.cid),
			 json_pack("{s:s,s:s}", "correction_reason", "Sai sót khi nhập", "password", TEST_PASSWORD)),
	       201, NULL);
	cr_assert_eq(notices(f.L.id, "correction_published"), 1);
	cr_assert_eq(notices(f.A.id, "results_corrected"), 1);
	cr_assert_eq(notices(f.L2.id, NULL), 0);
	cr_assert_eq(notices(f.V.id, NULL), 0);

	/* The resident's list in the app: newest first, rendered in the reader's language. */
	r = list(&f.A, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *items = jget(r->json, "items");
	cr_assert_eq(json_array_size(items), 4, "%s", r->body);
	cr_assert_eq(jint(r->json, "unread"), 4);
	cr_assert_str_eq(jstr(json_array_get(items, 0), "event"), "results_corrected");
	cr_assert_str_eq(jstr(json_array_get(items, 3), "event"), "proposal_received");
	cr_assert_str_eq(jstr(json_array_get(items, 3), "title"), fmt_path("Đã nhận đề xuất %s", codeA));
	cr_assert_str_eq(jstr(json_array_get(items, 3), "link"), fmt_path("/track.html?code=%s", codeA));
	cr_assert(json_is_null(jget(json_array_get(items, 3), "read_at")));
	cr_assert_not_null(strstr(jstr(json_array_get(items, 1), "body"), codeA), "%s", r->body);
	resp_free(r);
	r = list(&f.A, NULL, "Accept-Language: en-GB,en;q=0.8,vi;q=0.5");
	cr_assert_str_eq(jstr(json_array_get(jget(r->json, "items"), 3), "title"), fmt_path("Proposal %s received", codeA));
	resp_free(r);
	r = list(&f.A, "?lang=en", "Accept-Language: vi");
	cr_assert_str_eq(jstr(json_array_get(jget(r->json, "items"), 1), "title"), "Results published");
	resp_free(r);
	r = list(&f.A, "?limit=2", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 2);
	int64_t second = jint(json_array_get(jget(r->json, "items"), 1), "id");
	resp_free(r);
	r = list(&f.A, fmt_path("?before=%lld", (long long)second), NULL);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 2, "%s", r->body);
	cr_assert_lt(jint(json_array_get(jget(r->json, "items"), 0), "id"), second);
	resp_free(r);
	r = http(&f.A.c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(jint(r->json, "unread_notifications"), 4, "%s", r->body);
	resp_free(r);

	/* Read marks: the caller's own only; another person's ids change nothing. */
	r = list(&f.B, NULL, NULL);
	int64_t b_first = jint(json_array_get(jget(r->json, "items"), 0), "id");
	long long b_unread = jint(r->json, "unread");
	resp_free(r);
	r = http_json(&f.A.c, "POST", "/api/v1/me/notifications/read", json_pack("{s:[I,I]}", "ids", (json_int_t)second,
										(json_int_t)b_first));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(jint(r->json, "unread"), 3);
	resp_free(r);
	const char *pbf[] = { S64(b_first) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM notifications WHERE id = $1 AND read_at IS NULL", 1, pbf), 1);
	r = list(&f.B, NULL, NULL);
	cr_assert_eq(jint(r->json, "unread"), b_unread);
	resp_free(r);
	r = http_json(&f.A.c, "POST", "/api/v1/me/notifications/read", json_pack("{s:b}", "all", 1));
	cr_assert_eq(jint(r->json, "unread"), 0, "%s", r->body);
	resp_free(r);
	r = list(&f.A, NULL, NULL);
	cr_assert(json_is_string(jget(json_array_get(jget(r->json, "items"), 0), "read_at")), "%s", r->body);
	resp_free(r);
	fx_free(&f);
}

static struct resp *scoring_patch(struct who *w, int64_t cid, const char *deadline)
{
	return http_json(&w->c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)cid),
			 json_pack("{s:s}", "scoring_deadline", deadline));
}

/* Everything a refused scoring-deadline request must leave alone, as one comparable text. */
static char *scoring_state(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_text(PG,
		       "SELECT coalesce(c.scoring_deadline::text, '-') || '|' || c.closes_at || '|'"
		       " || (SELECT count(*) FROM campaign_scoring_deadlines d WHERE d.campaign_id = c.id) || '|'"
		       " || (SELECT count(*) FROM audit_log a WHERE a.subject = 'campaign:' || c.id) || '|'"
		       " || (SELECT count(*) FROM notifications n WHERE (n.facts ->> 'campaign_id')::bigint = c.id)"
		       " FROM campaigns c WHERE c.id = $1",
		       1, p);
}

/* How many campaign_scoring_deadlines rows and audit events the call has. */
static long long scoring_revisions(int64_t cid)
{
	const char *p[] = { S64(cid) };
	return db_int(PG,
		      "SELECT (SELECT count(*) FROM campaign_scoring_deadlines WHERE campaign_id = $1) * 100"
		      " + (SELECT count(*) FROM audit_log WHERE subject = 'campaign:' || $1"
		      " AND action = 'campaign_scoring_deadline_set')",
		      1, p);
}

Test(notices, the_leader_sets_and_moves_the_scoring_deadline_and_the_reminders_follow_it)
{
	static struct fx f;
	fx_build(&f);
	propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số tổ 1"), NULL);
	propose(&f.B, f.cid, proposal_body(f.g2, "Sổ liên lạc điện tử tổ 2"), NULL);
	char t[40], o[40], c[40];

	/* Set when a call is created: in the reply and in GET; refused unless after closes_at. */
	iso(f.T0 + 3600, o);
	iso(f.T0 + 7200, c);
	iso(f.T0 + 7200 + 86400, t);
	struct resp *r = http_json(&f.L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f.ward),
				   json_pack("{s:s,s:s,s:s,s:s}", "title", "Đợt hai", "opens_at", o, "closes_at", c,
					     "scoring_deadline", t));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t second = jint(jget(r->json, "campaign"), "id");
	cr_assert(json_is_string(jget(jget(r->json, "campaign"), "scoring_deadline")), "%s", r->body);
	resp_free(r);
	r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld", (long long)second), NULL, NULL);
	cr_assert(json_is_string(jget(jget(r->json, "campaign"), "scoring_deadline")), "%s", r->body);
	resp_free(r);
	const char *ps[] = { S64(second), S64(f.T0 + 7200 + 86400) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaigns WHERE id = $1 AND scoring_deadline = to_timestamp($2)", 2, ps),
		     1);
	long long calls = db_int(PG, "SELECT count(*) FROM campaigns", 0, NULL);
	iso(f.T0 + 7200, t);
	r = http_json(&f.L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f.ward),
		      json_pack("{s:s,s:s,s:s,s:s}", "title", "Đợt ba", "opens_at", o, "closes_at", c, "scoring_deadline", t));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_scoring_deadline");
	resp_free(r);
	r = http_json(&f.L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)f.ward),
		      json_pack("{s:s,s:s,s:s,s:s}", "title", "Đợt ba", "opens_at", o, "closes_at", c, "scoring_deadline",
				"thứ sáu"));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_scoring_deadline");
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaigns", 0, NULL), calls, "a refused call is not created");

	/* The open call: no scoring deadline yet; the leader sets it (a revision from none, audited). */
	r = http(&f.L.c, "GET", fmt_path("/api/v1/campaigns/%lld", (long long)f.cid), NULL, NULL);
	cr_assert(json_is_null(jget(jget(r->json, "campaign"), "scoring_deadline")), "%s", r->body);
	resp_free(r);
	int64_t D = f.T0 + 86400 * 5;
	iso(D, t);
	r = scoring_patch(&f.L, f.cid, t);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_string(jget(jget(r->json, "campaign"), "scoring_deadline")), "%s", r->body);
	resp_free(r);
	cr_assert_eq(scoring_revisions(f.cid), 101);
	const char *pd[] = { S64(f.cid), S64(D) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM campaign_scoring_deadlines WHERE campaign_id = $1"
			    " AND old_scoring_deadline IS NULL AND new_scoring_deadline = to_timestamp($2)"
			    " AND set_by IS NOT NULL",
			    2, pd),
		     1);

	/* Refusals change nothing: bad values, a deadline extended past it, anyone but the ward's leader. */
	char *before = scoring_state(f.cid);
	const char *bad[] = { "ngày mai", "2026-13-01T00:00:00Z", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = scoring_patch(&f.L, f.cid, bad[i]);
		cr_assert_eq(r->status, 400, "%s: %s", bad[i], r->body);
		resp_free(r);
	}
	iso(f.T0 + 300, t);
	r = scoring_patch(&f.L, f.cid, t);
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_scoring_deadline");
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "scoring_deadline");
	resp_free(r);
	EXPECT(http_json(&f.L.c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)f.cid),
			 json_pack("{s:i}", "scoring_deadline", 1)),
	       400, NULL);
	iso(D + 3600, t);
	r = http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/deadline", (long long)f.cid),
		      json_pack("{s:s,s:s}", "closes_at", t, "reason", "Quá hạn chấm"));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_scoring_deadline");
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "closes_at");
	resp_free(r);
	iso(D + 86400, t);
	EXPECT(scoring_patch(&f.L2, f.cid, t), 403, "forbidden");
	EXPECT(scoring_patch(&f.P1, f.cid, t), 403, "forbidden");
	EXPECT(scoring_patch(&f.A, f.cid, t), 403, "forbidden");
	EXPECT(scoring_patch(&f.V, f.cid, t), 403, "forbidden");
	struct client anon;
	client_init(&anon, &S);
	anon.now = f.T0 + 60;
	EXPECT(http_json(&anon, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)f.cid),
			 json_pack("{s:s}", "scoring_deadline", t)),
	       401, NULL);
	client_cleanup(&anon);
	char *after = scoring_state(f.cid);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);

	/* Appraisal: the 48 h reminder fires for D. */
	fx_now(&f, f.T0 + 700);
	EXPECT(transition(&f.L, f.cid, "closed"), 200, NULL);
	EXPECT(transition(&f.L, f.cid, "appraisal"), 200, NULL);
	EXPECT(http_json(&f.L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.cid),
			 json_pack("{s:[I,I]}", "panelist_ids", (json_int_t)f.P1.id, (json_int_t)f.P2.id)),
	       200, NULL);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f.cid),
			 json_pack("{s:s}", "mode", "all")),
	       200, NULL);
	timers(D - 47 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 1);
	cr_assert_eq(notices(f.P2.id, "review_reminder"), 1);

	/* A past time is refused; then the leader moves it a day later: recorded, audited, panelists told. */
	iso(f.T0 + 650, t);
	EXPECT(scoring_patch(&f.L, f.cid, t), 400, "invalid_scoring_deadline");
	cr_assert_eq(scoring_revisions(f.cid), 101);
	int64_t D2 = D + 86400;
	iso(D2, t);
	EXPECT(scoring_patch(&f.L, f.cid, t), 200, NULL);
	cr_assert_eq(scoring_revisions(f.cid), 202);
	const char *pd2[] = { S64(f.cid), S64(D), S64(D2) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM campaign_scoring_deadlines WHERE campaign_id = $1"
			    " AND old_scoring_deadline = to_timestamp($2) AND new_scoring_deadline = to_timestamp($3)",
			    3, pd2),
		     1);
	cr_assert_eq(notices(f.P1.id, "scoring_deadline_moved"), 1);
	cr_assert_eq(notices(f.P2.id, "scoring_deadline_moved"), 1);
	cr_assert_eq(notices(f.A.id, "scoring_deadline_moved"), 0);
	cr_assert_eq(notices(f.L.id, "scoring_deadline_moved"), 0);
	cr_assert_eq(notices(f.L2.id, NULL), 0);
	/* The same time again is no move: nothing recorded, nobody told. */
	EXPECT(scoring_patch(&f.L, f.cid, t), 200, NULL);
	cr_assert_eq(scoring_revisions(f.cid), 202);
	cr_assert_eq(notices(f.P1.id, "scoring_deadline_moved"), 1);

	/* The reminders are armed again for the new time, and fire once each. */
	timers(D - 46 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 1, "not due for D2 yet");
	timers(D2 - 47 * 3600);
	timers(D2 - 46 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 2);
	cr_assert_eq(notices(f.P2.id, "review_reminder"), 2);
	timers(D2 - 5 * 3600);
	cr_assert_eq(notices(f.P1.id, "review_reminder"), 3, "the 6 h reminder for D2");
	char *facts = facts_of(f.P1.id, "review_reminder");
	cr_assert_not_null(strstr(facts, "\"hours\": 6"), "%s", facts);
	free(facts);

	/* Decided or published: scoring is over, the deadline stays. */
	/* A draft's deadline for proposals cannot move past its scoring deadline (unless both move). */
	before = scoring_state(second);
	iso(f.T0 + 7200 + 90000, c);
	r = http_json(&f.L.c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)second), json_pack("{s:s}", "closes_at", c));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_scoring_deadline");
	cr_assert_str_eq(json_string_value(jget(jget(r->json, "error"), "field")), "closes_at");
	resp_free(r);
	after = scoring_state(second);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	iso(f.T0 + 7200 + 86400 * 2, t);
	EXPECT(http_json(&f.L.c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)second),
			 json_pack("{s:s,s:s}", "closes_at", c, "scoring_deadline", t)),
	       200, NULL);
	cr_assert_eq(scoring_revisions(second), 101, "a draft's move is recorded too");
	EXPECT(transition(&f.L, second, "open"), 200, NULL);
	const char *pp[] = { S64(second) };
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, pp));
	before = scoring_state(second);
	iso(f.T0 + 86400 * 9, t);
	EXPECT(scoring_patch(&f.L, second, t), 400, "invalid_scoring_deadline");
	after = scoring_state(second);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	fx_free(&f);
}

Test(notices, bad_requests_change_nothing)
{
	static struct fx f;
	fx_build(&f);
	propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số tổ 1"), NULL);
	EXPECT(list(&f.A, "?limit=0", NULL), 400, "invalid_field");
	EXPECT(list(&f.A, "?limit=101", NULL), 400, "invalid_field");
	EXPECT(list(&f.A, "?before=x", NULL), 400, "invalid_field");
	EXPECT(list(&f.A, "?lang=fr", NULL), 400, "invalid_field");
	static const char *const bodies[] = { "{}", "{\"all\":false}", "{\"ids\":[]}", "{\"ids\":[\"1\"]}",
					      "{\"ids\":[0]}", "{\"ids\":[1],\"all\":true}", "{\"all\":true,\"x\":1}",
					      "[1]", "{\"ids\":1}" };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		struct resp *r = http(&f.A.c, "POST", "/api/v1/me/notifications/read", bodies[i], NULL);
		cr_assert_eq(r->status, 400, "%s: %s", bodies[i], r->body);
		resp_free(r);
	}
	cr_assert_eq(db_int(PG, fmt_path("SELECT count(*) FROM notifications WHERE account_id = %lld AND read_at IS NULL",
					 (long long)f.A.id),
			    0, NULL),
		     1);
	/* Signed out: 401. */
	struct client anon;
	client_init(&anon, &S);
	EXPECT(http(&anon, "GET", "/api/v1/me/notifications", NULL, NULL), 401, NULL);
	EXPECT(http(&anon, "GET", "/api/v1/me/notification-settings", NULL, NULL), 401, NULL);
	client_cleanup(&anon);
	fx_free(&f);
}

static struct resp *put_settings(struct who *w, json_t *body)
{
	return http_json(&w->c, "PUT", "/api/v1/me/notification-settings", body);
}

Test(notices, settings_are_validated_and_choose_the_deliveries)
{
	static struct fx f;
	fx_build(&f);
	struct resp *r = http(&f.A.c, "GET", "/api/v1/me/notification-settings", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(json_is_false(jget(r->json, "sms")) && json_is_false(jget(r->json, "email")), "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "lang"), "vi");
	cr_assert_str_eq(jstr(r->json, "phone"), fmt_path("+84%s", f.A.phone + 1));
	cr_assert(json_is_false(jget(jget(r->json, "available"), "sms")), "%s", r->body);
	cr_assert(json_is_false(jget(jget(r->json, "available"), "zalo")), "%s", r->body);
	cr_assert(json_is_false(jget(jget(r->json, "available"), "email")), "%s", r->body);
	resp_free(r);

	const char *pa[] = { S64(f.A.id) };
	const char *count = "SELECT count(*) FROM notification_settings WHERE account_id = $1";
	r = put_settings(&f.A, json_pack("{s:b,s:b,s:b,s:b,s:s}", "sms", 0, "zalo", 0, "email", 0, "notify_helper", 0,
					 "email_address", "không phải thư"));
	cr_assert_eq(r->status, 400, "%s", r->body);
	cr_assert_str_eq(err_code(r), "invalid_email");
	resp_free(r);
	EXPECT(put_settings(&f.A, json_pack("{s:b,s:b,s:b,s:b}", "sms", 1, "zalo", 0, "email", 0, "notify_helper", 0)),
	       409, "channel_unavailable");
	EXPECT(put_settings(&f.A, json_pack("{s:b,s:b,s:b}", "sms", 0, "zalo", 0, "email", 0)), 400, "invalid_field");
	EXPECT(put_settings(&f.A, json_pack("{s:b,s:b,s:b,s:b,s:s}", "sms", 0, "zalo", 0, "email", 0, "notify_helper", 0,
					    "lang", "fr")),
	       400, "invalid_field");
	cr_assert_eq(db_int(PG, count, 1, pa), 0, "refused settings store nothing");

	r = put_settings(&f.A, json_pack("{s:b,s:b,s:b,s:b,s:s,s:s}", "sms", 0, "zalo", 0, "email", 0, "notify_helper", 0,
					 "email_address", " Anh.Nguyen@Example.VN ", "lang", "en"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "email_address"), "anh.nguyen@example.vn");
	cr_assert_str_eq(jstr(r->json, "lang"), "en");
	resp_free(r);
	cr_assert_eq(db_int(PG, count, 1, pa), 1);

	/* Deliveries: one pending row per channel chosen (set here in the database: this installation
	 * offers none), to the person's own addresses, with an idempotency key. */
	PQclear(db_exec(PG, "UPDATE notification_settings SET sms = true, email = true WHERE account_id = $1", 1, pa));
	propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số tổ 1"), NULL);
	PGresult *d = db_exec(PG,
			      "SELECT d.channel, d.address, d.state, d.idempotency_key, n.lang FROM notification_deliveries d"
			      " JOIN notifications n ON n.id = d.notification_id WHERE n.account_id = $1 ORDER BY d.channel",
			      1, pa);
	cr_assert_eq(PQntuples(d), 2);
	cr_assert_str_eq(PQgetvalue(d, 0, 0), "email");
	cr_assert_str_eq(PQgetvalue(d, 0, 1), "anh.nguyen@example.vn");
	cr_assert_str_eq(PQgetvalue(d, 1, 0), "sms");
	cr_assert_str_eq(PQgetvalue(d, 1, 1), fmt_path("+84%s", f.A.phone + 1));
	cr_assert_str_eq(PQgetvalue(d, 1, 2), "pending");
	cr_assert_str_neq(PQgetvalue(d, 0, 3), PQgetvalue(d, 1, 3));
	cr_assert_str_eq(PQgetvalue(d, 0, 4), "en");
	PQclear(d);
	/* B chose nothing: in-app only. */
	const char *pb[] = { S64(f.B.id) };
	propose(&f.B, f.cid, proposal_body(f.g2, "Sổ liên lạc điện tử tổ 2"), NULL);
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id"
			    " WHERE n.account_id = $1",
			    1, pb),
		     0);

	/* An assisted resident who consents: SMS goes to the volunteer who helped. */
	char phone[16];
	rand_phone(phone);
	r = http_json(&f.V.c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)f.ward),
		      json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Tư", "group_id", (json_int_t)f.g1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t tu = jint(jget(r->json, "account"), "id");
	resp_free(r);
	const char *pt[] = { S64(tu) };
	PQclear(db_exec(PG,
			"INSERT INTO notification_settings (account_id, sms, notify_helper) VALUES ($1, true, true)", 1, pt));
	r = http(&f.V.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)tu), NULL, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	cr_assert_eq(notices(tu, "setup_code_issued"), 1);
	char *addr = db_text(PG,
			     "SELECT d.address FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id"
			     " WHERE n.account_id = $1 AND d.channel = 'sms'",
			     1, pt);
	cr_assert_str_eq(addr, fmt_path("+84%s", f.V.phone + 1));
	free(addr);

	/* Personal data: the export lists my notices, their deliveries and my choices; deleting the
	 * account deletes them. */
	r = http(&f.A.c, "GET", "/api/v1/me/export", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *mine = jget(r->json, "notifications");
	cr_assert_eq(json_array_size(mine), 1, "%s", r->body);
	cr_assert_str_eq(jstr(json_array_get(mine, 0), "event"), "proposal_received");
	cr_assert_eq(json_array_size(jget(json_array_get(mine, 0), "deliveries")), 2, "%s", r->body);
	cr_assert_str_eq(jstr(jget(r->json, "notification_settings"), "email_address"), "anh.nguyen@example.vn");
	cr_assert_null(strstr(r->body, fmt_path("+84%s", f.B.phone + 1)), "nobody else's: %s", r->body);
	resp_free(r);
	EXPECT(http_json(&f.A.c, "DELETE", "/api/v1/me", json_pack("{s:s}", "password", TEST_PASSWORD)), 204, NULL);
	cr_assert_eq(notices(f.A.id, NULL), 0, "a deleted account's notices go");
	cr_assert_eq(db_int(PG, count, 1, pa), 0, "and its channel choices");
	cr_assert_eq(notices(f.B.id, NULL), 1, "other people's stay");
	fx_free(&f);
}

Test(notices, account_events_set_up_code_password_and_new_device)
{
	static struct fx f;
	fx_build(&f);
	char phone[16];
	rand_phone(phone);
	struct resp *r = http_json(&f.V.c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)f.ward),
				   json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Năm", "group_id",
					     (json_int_t)f.g1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t nam = jint(jget(r->json, "account"), "id");
	resp_free(r);
	r = http(&f.V.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)nam), NULL, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	char code[16];
	snprintf(code, sizeof code, "%s", jstr(jget(r->json, "setup_code"), "code"));
	resp_free(r);
	cr_assert_eq(notices(nam, "setup_code_issued"), 1);
	cr_assert_eq(notices(f.V.id, NULL), 0, "the volunteer is not told of the code");

	struct client c1, c2;
	client_init(&c1, &S);
	client_init(&c2, &S);
	c1.now = c2.now = f.T0 + 120;
	r = http_json(&c1, "POST", "/api/v1/accounts/password-setup",
		      json_pack("{s:s,s:s,s:s}", "login", phone, "code", code, "password", TEST_PASSWORD));
	cr_assert_lt(r->status, 300, "%s", r->body);
	resp_free(r);
	cr_assert_eq(notices(nam, "password_changed"), 1);

	/* The first login makes the first known device: nothing to tell. Another device: a notice; the
	 * same device again: nothing. */
	cr_assert_eq(login(&c1, phone, TEST_PASSWORD), 201);
	cr_assert_eq(notices(nam, "new_device"), 0);
	cr_assert_eq(login(&c2, phone, TEST_PASSWORD), 201);
	cr_assert_eq(notices(nam, "new_device"), 1);
	cr_assert_eq(login(&c1, phone, TEST_PASSWORD), 201);
	cr_assert_eq(notices(nam, "new_device"), 1);
	client_cleanup(&c1);
	client_cleanup(&c2);
	fx_free(&f);
}

Test(notices, the_servers_thread_writes_the_timed_notices_at_its_clock)
{
	/* A call whose deadline passed an hour ago (real time), still open; its ward's leader. */
	int64_t group, ward = seed_ward(PG, &group);
	struct who L;
	who_new(&L, ward, "Lãnh đạo phường");
	grant(L.id, ward, 0, "leader");
	const char *pw[] = { S64(ward) };
	int64_t cid = db_int(PG,
			     "INSERT INTO campaigns (ward_id, title, opens_at, closes_at, state, config_digest)"
			     " VALUES ($1, 'Đợt đã hết hạn', now() - interval '2 hours', now() - interval '1 hour', 'open',"
			     " repeat('a', 64)) RETURNING id",
			     1, pw);
	cr_assert_eq(notices(L.id, "deadline_passed"), 0);
	/* A server without the test clock: its periodic thread runs notification_timers at start. */
	struct srv S2;
	const char *env[] = { "SANGKIEN_TEST_CLOCK=0", NULL };
	srv_start(&S2, NULL, env);
	long long n = 0;
	for (int i = 0; i < 100 && n == 0; i++) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		n = notices(L.id, "deadline_passed");
	}
	srv_stop(&S2);
	cr_assert_eq(n, 1, "the leader is told within 10 s");
	char *facts = facts_of(L.id, "deadline_passed");
	cr_assert_not_null(strstr(facts, fmt_path("\"campaign_id\": %lld", (long long)cid)), "%s", facts);
	free(facts);
	client_cleanup(&L.c);
}
