/*
 * Attacks on notices (issue 13): another resident, another ward's leader, a panelist and a
 * volunteer try to read or mark someone else's notices, or learn of them through the list, the
 * unread count, /me or the settings; a panelist's notices must never name an author (blind review).
 * The fixture is the one of tests/api/test_notifications.c.
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

TestSuite(notices_attack, .init = up, .fini = down, .timeout = 240);

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



/* Everything w can see of notices, in both languages: the list, /me and the settings. */
static char *seen_by(struct who *w)
{
	char *all = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&all, &n);
	static const char *const paths[] = { "/api/v1/me/notifications?limit=100", "/api/v1/me/notifications?limit=100&lang=en",
					     "/api/v1/me", "/api/v1/me/notification-settings" };
	for (size_t i = 0; i < 4; i++) {
		struct resp *r = http(&w->c, "GET", paths[i], NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
		fputs(r->body, m);
		resp_free(r);
	}
	fclose(m);
	return all;
}

Test(notices_attack, nobody_reads_marks_or_learns_of_someone_elses_notices)
{
	static struct fx f;
	fx_build(&f);
	char codeA[32];
	int64_t pA = propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số của chị Ánh"), codeA);
	(void)pA;
	/* V submits for resident C, who has no password yet (the assisted flow). */
	char phone[16];
	rand_phone(phone);
	struct resp *r = http_json(&f.V.c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)f.ward),
				   json_pack("{s:s,s:s,s:I}", "phone", phone, "display_name", "Bà Cúc", "group_id",
					     (json_int_t)f.g1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t cuc = jint(jget(r->json, "account"), "id");
	resp_free(r);
	json_t *b = proposal_body(f.g1, "Sổ tay số của bà Cúc");
	json_object_set_new(b, "on_behalf_of", json_integer(cuc));
	json_object_set_new(b, "consent", json_pack("{s:s,s:b}", "text_version", "v1", "given", 1));
	char codeC[32];
	propose(&f.V, f.cid, b, codeC);
	cr_assert_eq(notices(cuc, "proposal_received"), 1, "the author is told");
	cr_assert_eq(notices(f.V.id, NULL), 0, "the volunteer who typed it is not");

	const char *pa[] = { S64(f.A.id) };
	PGresult *ids = db_exec(PG, "SELECT id FROM notifications WHERE account_id = $1", 1, pa);
	cr_assert_eq(PQntuples(ids), 1);
	int64_t a_notice = atoll(PQgetvalue(ids, 0, 0));
	PQclear(ids);

	struct who *attackers[] = { &f.B, &f.L2, &f.P1, &f.V, &f.L };
	for (size_t i = 0; i < sizeof attackers / sizeof attackers[0]; i++) {
		struct who *w = attackers[i];
		/* Read: the list, /me and the settings say nothing of A's or Cúc's notices. */
		char *all = seen_by(w);
		cr_assert_null(strstr(all, codeA), "%s sees A's notice: %s", w->name, all);
		cr_assert_null(strstr(all, codeC), "%s sees Cúc's notice: %s", w->name, all);
		cr_assert_null(strstr(all, fmt_path("\"id\":%lld,\"event\"", (long long)a_notice)), "%s: %s", w->name, all);
		cr_assert_null(strstr(all, f.A.phone + 1), "%s sees A's phone: %s", w->name, all);
		free(all);
		/* Parameters naming someone else are ignored or refused, never obeyed. */
		r = http(&w->c, "GET", fmt_path("/api/v1/me/notifications?account_id=%lld&before=%lld", (long long)f.A.id,
						(long long)a_notice + 1),
			 NULL, NULL);
		cr_assert(r->status == 200 || r->status == 400, "%s", r->body);
		cr_assert_null(strstr(r->body, codeA), "%s: %s", w->name, r->body);
		resp_free(r);
		/* Mark: A's notice stays unread, whatever is sent. */
		r = http_json(&w->c, "POST", "/api/v1/me/notifications/read", json_pack("{s:[I]}", "ids", (json_int_t)a_notice));
		cr_assert_eq(r->status, 200, "%s", r->body);
		resp_free(r);
		r = http_json(&w->c, "POST", "/api/v1/me/notifications/read", json_pack("{s:b}", "all", 1));
		cr_assert_eq(r->status, 200, "%s", r->body);
		resp_free(r);
		r = http(&w->c, "POST", "/api/v1/me/notifications/read",
			 fmt_path("{\"ids\":[%lld],\"account_id\":%lld}", (long long)a_notice, (long long)f.A.id), NULL);
		cr_assert_eq(r->status, 400, "an unknown key is refused: %s", r->body);
		resp_free(r);
		const char *pn[] = { S64(a_notice) };
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM notifications WHERE id = $1 AND read_at IS NULL", 1, pn), 1,
			     "%s marked A's notice read", w->name);
		/* Settings: only one's own row changes. */
		r = http_json(&w->c, "PUT", "/api/v1/me/notification-settings",
			      json_pack("{s:b,s:b,s:b,s:b,s:s}", "sms", 0, "zalo", 0, "email", 0, "notify_helper", 1,
					"email_address", "ke.gian@example.vn"));
		cr_assert_eq(r->status, 200, "%s", r->body);
		resp_free(r);
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM notification_settings WHERE account_id = $1", 1, pa), 0);
	}
	/* A still sees their own, unread. */
	r = http(&f.A.c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(jint(r->json, "unread_notifications"), 1, "%s", r->body);
	resp_free(r);
	fx_free(&f);
}

Test(notices_attack, a_panelists_notices_never_name_an_author)
{
	static struct fx f;
	fx_build(&f);
	char codeA[32];
	propose(&f.A, f.cid, proposal_body(f.g1, "Bảng tin số của chị Ánh"), codeA);
	propose(&f.B, f.cid, proposal_body(f.g2, "Sổ liên lạc của anh Bình"), NULL);
	fx_now(&f, f.T0 + 700);
	EXPECT(transition(&f.L, f.cid, "closed"), 200, NULL);
	EXPECT(transition(&f.L, f.cid, "appraisal"), 200, NULL);
	EXPECT(http_json(&f.L.c, "PUT", fmt_path("/api/v1/campaigns/%lld/panel", (long long)f.cid),
			 json_pack("{s:[I,I]}", "panelist_ids", (json_int_t)f.P1.id, (json_int_t)f.P2.id)),
	       200, NULL);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/assignments", (long long)f.cid),
			 json_pack("{s:s}", "mode", "all")),
	       200, NULL);
	int64_t D = f.T0 + 86400 * 3;
	const char *pd[] = { S64(f.cid), S64(D) };
	PQclear(db_exec(PG, "UPDATE campaigns SET scoring_deadline = to_timestamp($2) WHERE id = $1", 2, pd));
	timers(D - 40 * 3600);
	timers(D - 3 * 3600);
	review_all(&f.P1, f.cid, f.crit);
	EXPECT(http_json(&f.L.c, "POST", fmt_path("/api/v1/campaigns/%lld/panel/lock", (long long)f.cid),
			 json_pack("{s:b,s:s}", "allow_missing", 1, "note", "Hết hạn chấm")),
	       200, NULL);
	cr_assert_geq(notices(f.P2.id, NULL), 4, "assigned, two reminders, locked");
	struct who *panel[] = { &f.P1, &f.P2 };
	for (int i = 0; i < 2; i++) {
		char *all = seen_by(panel[i]);
		static const char *const author_traces[] = { "Ánh", "Bình", "Bảng tin số", "Sổ liên lạc", "tracking_code" };
		for (size_t k = 0; k < sizeof author_traces / sizeof author_traces[0]; k++)
			cr_assert_null(strstr(all, author_traces[k]), "%s's notices name \"%s\": %s", panel[i]->name,
				       author_traces[k], all);
		cr_assert_null(strstr(all, codeA), "%s: %s", panel[i]->name, all);
		free(all);
		const char *pp[] = { S64(panel[i]->id) };
		cr_assert_eq(db_int(PG,
				    "SELECT count(*) FROM notifications WHERE account_id = $1"
				    " AND (facts ? 'proposal_id' OR facts ? 'title' OR facts ? 'tracking_code')",
				    1, pp),
			     0, "a panelist's notice holds no proposal facts");
	}
	fx_free(&f);
}
