/*
 * The leader's call after it opened (issue 9) against the real daemon: text corrections kept as public
 * revisions while the configuration stays frozen; the deadline extended only later, with a reason, by
 * the ward's leader only, recorded and public; the configuration seal unchanged and recomputable; a
 * resident submits between the old and the new deadline; the call closes only after the new one.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct srv S;
static PGconn *PG;
static int64_t T; /* the test clock, days ahead of real time */

static void up(void)
{
	srv_start(&S, NULL, NULL);
	PG = db_connect(NULL);
	T = (int64_t)time(NULL) + 86400 * 20;
	T -= T % 60;
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(lifecycle, .init = up, .fini = down, .timeout = 120);

static const char *i64s(char *buf, int64_t v)
{
	snprintf(buf, 24, "%lld", (long long)v);
	return buf;
}
/* A decimal string for a query parameter, alive until the end of the enclosing block. */
#define S64(v) i64s((char[24]){ 0 }, (v))

static json_t *jget(json_t *o, const char *k)
{
	return json_object_get(o, k);
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

/* Like EXPECT for a 400 with code naming field. */
#define EXPECT_400(call, code, fieldname)                                                                    \
	do {                                                                                                 \
		struct resp *r_ = (call);                                                                    \
		cr_assert_eq(r_->status, 400, "%s:%d: expected 400, got %ld %s", __FILE__, __LINE__,         \
			     r_->status, r_->body ? r_->body : "");                                          \
		cr_assert_str_eq(err_code(r_), (code), "%s:%d: %s", __FILE__, __LINE__, r_->body);           \
		cr_assert_str_eq(err_field(r_), (fieldname), "%s:%d: %s", __FILE__, __LINE__, r_->body);     \
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
	char login[24];
};

/* Logs w in again at time now (sessions end after 30 idle minutes of the server's clock). */
static void relogin(struct who *w, int64_t now)
{
	client_forget_session(&w->c);
	w->c.now = now;
	cr_assert_eq(login(&w->c, w->login, TEST_PASSWORD), 201);
}

/* An account of ward holding role (a resident: in group), with its own loopback address, logged in at T. */
static void person(struct who *w, int64_t ward, int64_t group, const char *role)
{
	memset(w, 0, sizeof *w);
	client_init(&w->c, &S);
	snprintf(w->c.source_ip, sizeof w->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	w->c.now = T;
	char phone[16];
	rand_phone(phone);
	w->id = make_account(&w->c, PG, ward, phone, "Người thử");
	if (role) {
		const char *p[] = { S64(w->id), S64(ward), !strcmp(role, "resident") ? S64(group) : NULL, role };
		PQclear(db_exec(PG, "INSERT INTO role_grants (account_id, ward_id, group_id, role) VALUES ($1, $2, $3, $4)",
				4, p));
	}
	snprintf(w->login, sizeof w->login, "+84%s", phone + 1);
	cr_assert_eq(login(&w->c, w->login, TEST_PASSWORD), 201);
}

static void bye(struct who *w)
{
	client_cleanup(&w->c);
}

static struct resp *transition(struct client *c, int64_t id, const char *to)
{
	return http_json(c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)id),
			 json_pack("{s:s}", "to", to));
}

/* A call of ward with the default criteria, opened when open. */
static int64_t campaign(struct client *leader, int64_t ward, int64_t opens, int64_t closes, bool open)
{
	char o[40], c[40];
	iso(opens, o);
	iso(closes, c);
	struct resp *r = http_json(leader, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
				   json_pack("{s:s,s:s,s:s,s:s}", "title", "Phong trào sáng kiến 2026", "description",
					     "Mô tả ban đầu", "opens_at", o, "closes_at", c));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = json_integer_value(jget(jget(r->json, "campaign"), "id"));
	resp_free(r);
	if (open)
		EXPECT(transition(leader, id, "open"), 200, NULL);
	return id;
}

static struct resp *patch(struct client *c, int64_t id, json_t *body)
{
	return http_json(c, "PATCH", fmt_path("/api/v1/campaigns/%lld", (long long)id), body);
}

static struct resp *extend(struct client *c, int64_t id, int64_t closes, const char *reason)
{
	char t[40];
	iso(closes, t);
	json_t *body = reason ? json_pack("{s:s,s:s}", "closes_at", t, "reason", reason) : json_pack("{s:s}", "closes_at", t);
	return http_json(c, "POST", fmt_path("/api/v1/campaigns/%lld/deadline", (long long)id), body);
}

static struct resp *get(struct client *c, int64_t id)
{
	return http(c, "GET", fmt_path("/api/v1/campaigns/%lld", (long long)id), NULL, NULL);
}

/* Everything a refused request must leave alone, as one comparable text. */
static char *call_state(int64_t id)
{
	const char *p[] = { S64(id) };
	return db_text(PG,
		       "SELECT c.title || '|' || c.description || '|' || c.state || '|' || c.closes_at || '|'"
		       " || coalesce(c.config_digest, '-') || '|'"
		       " || (SELECT count(*) FROM campaign_revisions r WHERE r.campaign_id = c.id) || '|'"
		       " || (SELECT count(*) FROM campaign_extensions e WHERE e.campaign_id = c.id) || '|'"
		       " || (SELECT count(*) FROM audit_log a WHERE a.subject = 'campaign:' || c.id)"
		       " FROM campaigns c WHERE c.id = $1",
		       1, p);
}

static char *recomputed_digest(int64_t id)
{
	const char *p[] = { S64(id) };
	return db_text(PG, "SELECT encode(sha256(convert_to(campaign_config_text($1), 'UTF8')), 'hex')", 1, p);
}

static bool sql_refused(const char *sql, int64_t id)
{
	const char *p[] = { S64(id) };
	PGresult *r = PQexecParams(PG, sql, 1, NULL, p, NULL, NULL, 0);
	bool refused = PQresultStatus(r) == PGRES_FATAL_ERROR;
	PQclear(r);
	return refused;
}

Test(lifecycle, texts_change_after_opening_as_public_revisions_and_the_rest_stays_frozen)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct who L, anon;
	person(&L, ward, group, "leader");
	memset(&anon, 0, sizeof anon);
	client_init(&anon.c, &S);
	anon.c.now = T;
	int64_t id = campaign(&L.c, ward, T - 3600, T + 600, false);

	/* A draft's edits are not revisions. */
	EXPECT(patch(&L.c, id, json_pack("{s:s}", "title", "Tên nháp mới")), 200, NULL);
	EXPECT(transition(&L.c, id, "open"), 200, NULL);
	const char *pid[] = { S64(id) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaign_revisions WHERE campaign_id = $1", 1, pid), 0);
	char *digest = db_text(PG, "SELECT config_digest FROM campaigns WHERE id = $1", 1, pid);

	L.c.now = T + 60;
	struct resp *r = patch(&L.c, id, json_pack("{s:s,s:s}", "title", "Tên đã sửa", "description", "Mô tả đã sửa"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *revs = jget(jget(r->json, "campaign"), "revisions");
	cr_assert_eq(json_array_size(revs), 1, "%s", r->body);
	resp_free(r);

	/* Public: anyone reads the revision's date and fields, not who made it. */
	r = get(&anon.c, id);
	cr_assert_eq(r->status, 200);
	json_t *c = jget(r->json, "campaign");
	revs = jget(c, "revisions");
	cr_assert_eq(json_array_size(revs), 1, "%s", r->body);
	json_t *rev = json_array_get(revs, 0);
	char want[40];
	iso(T + 60, want);
	cr_assert_str_eq(jstr(rev, "revised_at"), want);
	cr_assert_eq(json_array_size(jget(rev, "fields")), 2);
	cr_assert_str_eq(json_string_value(json_array_get(jget(rev, "fields"), 0)), "title");
	cr_assert_str_eq(json_string_value(json_array_get(jget(rev, "fields"), 1)), "description");
	cr_assert_null(jget(rev, "edited_by"));
	cr_assert_str_eq(jstr(c, "title"), "Tên đã sửa");
	cr_assert_eq(json_array_size(jget(c, "extensions")), 0);
	resp_free(r);

	/* Stored with who, when, the old and the new text; audited with the revision. */
	char *row = db_text(PG,
			    "SELECT (old_text->>'title') || '|' || (old_text->>'description') || '|' || (new_text->>'title')"
			    " || '|' || (new_text->>'description') || '|' || edited_by FROM campaign_revisions WHERE campaign_id = $1",
			    1, pid);
	char expect[256];
	snprintf(expect, sizeof expect, "Tên nháp mới|Mô tả ban đầu|Tên đã sửa|Mô tả đã sửa|%lld", (long long)L.id);
	cr_assert_str_eq(row, expect);
	free(row);
	const char *pa[] = { fmt_path("campaign:%lld", (long long)id), S64(L.id) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'campaign_edited' AND subject = $1"
			    " AND actor_account_id = $2 AND detail->'fields' = '[\"title\",\"description\"]'::jsonb"
			    " AND (detail->>'revision')::bigint IS NOT NULL",
			    2, pa),
		     1);

	/* The same text again is no revision. */
	EXPECT(patch(&L.c, id, json_pack("{s:s}", "title", "Tên đã sửa")), 200, NULL);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaign_revisions WHERE campaign_id = $1", 1, pid), 1);

	/* Criteria, weights, dates and settings stay frozen: refused, nothing changes. */
	char *before = call_state(id);
	char later[40];
	iso(T + 7200, later);
	json_t *frozen[] = {
		json_pack("{s:s}", "closes_at", later),
		json_pack("{s:s,s:s}", "title", "Kèm đổi hạn", "closes_at", later),
		json_pack("{s:b}", "blind_review", 0),
		json_pack("{s:i}", "reviews_required", 4),
		json_pack("{s:s}", "ranking_method", "raw"),
		json_pack("{s:[{s:s,s:i}]}", "criteria", "name", "Một tiêu chí", "weight", 1),
	};
	for (size_t i = 0; i < sizeof frozen / sizeof frozen[0]; i++)
		EXPECT(patch(&L.c, id, frozen[i]), 409, "campaign_frozen");
	char *after = call_state(id);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);

	/* After the deadline: closed, then in appraisal, the texts can still be corrected. */
	L.c.now = T + 700;
	EXPECT(transition(&L.c, id, "closed"), 200, NULL);
	EXPECT(patch(&L.c, id, json_pack("{s:s}", "description", "Sửa sau khi đóng")), 200, NULL);
	EXPECT(transition(&L.c, id, "appraisal"), 200, NULL);
	EXPECT(patch(&L.c, id, json_pack("{s:s}", "rules", "Thể lệ sửa lỗi chính tả")), 200, NULL);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaign_revisions WHERE campaign_id = $1", 1, pid), 3);

	/* The seal did not move and still recomputes. */
	char *now_digest = db_text(PG, "SELECT config_digest FROM campaigns WHERE id = $1", 1, pid);
	char *recomputed = recomputed_digest(id);
	cr_assert_str_eq(now_digest, digest);
	cr_assert_str_eq(recomputed, digest);
	free(now_digest);
	free(recomputed);
	free(digest);

	/* Once decided, the texts freeze (state set directly: deciding needs a whole panel). */
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'decided' WHERE id = $1", 1, pid));
	EXPECT(patch(&L.c, id, json_pack("{s:s}", "title", "Quá muộn")), 409, "campaign_frozen");

	/* Revisions are append-only. */
	cr_assert(sql_refused("UPDATE campaign_revisions SET new_text = '{}' WHERE campaign_id = $1", id));
	cr_assert(sql_refused("DELETE FROM campaign_revisions WHERE campaign_id = $1", id));
	bye(&L);
	bye(&anon);
}

Test(lifecycle, the_leader_extends_the_deadline_and_a_resident_submits_before_the_new_one)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct who L, R, anon;
	person(&L, ward, group, "leader");
	person(&R, ward, group, "resident");
	memset(&anon, 0, sizeof anon);
	client_init(&anon.c, &S);
	anon.c.now = T;
	int64_t old_deadline = T + 600, new_deadline = T + 7200;
	int64_t id = campaign(&L.c, ward, T - 3600, old_deadline, true);
	const char *pid[] = { S64(id) };
	char *digest = db_text(PG, "SELECT config_digest FROM campaigns WHERE id = $1", 1, pid);

	L.c.now = T + 120;
	struct resp *r = extend(&L.c, id, new_deadline, "  Mưa bão, nhiều hộ chưa kịp gửi.  ");
	cr_assert_eq(r->status, 200, "%s", r->body);
	char want_old[40], want_new[40], want_at[40];
	iso(old_deadline, want_old);
	iso(new_deadline, want_new);
	iso(T + 120, want_at);
	cr_assert_str_eq(jstr(jget(r->json, "campaign"), "closes_at"), want_new);
	resp_free(r);

	/* Public: the new deadline, the one the call opened with, and the extension with its reason. */
	r = get(&anon.c, id);
	cr_assert_eq(r->status, 200);
	json_t *c = jget(r->json, "campaign");
	cr_assert_str_eq(jstr(c, "closes_at"), want_new);
	cr_assert_str_eq(jstr(c, "original_closes_at"), want_old);
	cr_assert_eq(json_array_size(jget(c, "extensions")), 1, "%s", r->body);
	json_t *e = json_array_get(jget(c, "extensions"), 0);
	cr_assert_str_eq(jstr(e, "old_closes_at"), want_old);
	cr_assert_str_eq(jstr(e, "new_closes_at"), want_new);
	cr_assert_str_eq(jstr(e, "reason"), "Mưa bão, nhiều hộ chưa kịp gửi.");
	cr_assert_str_eq(jstr(e, "extended_at"), want_at);
	cr_assert_null(jget(e, "extended_by"));
	cr_assert_str_eq(jstr(c, "config_digest"), digest);
	resp_free(r);

	/* Audited; the seal still recomputes from the configuration as it opened. */
	const char *pa[] = { fmt_path("campaign:%lld", (long long)id), S64(L.id), S64(old_deadline), S64(new_deadline) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM audit_log WHERE action = 'campaign_deadline_extended' AND subject = $1"
			    " AND actor_account_id = $2 AND (detail->>'old_closes_at')::bigint = $3"
			    " AND (detail->>'new_closes_at')::bigint = $4",
			    4, pa),
		     1);
	char *recomputed = recomputed_digest(id);
	cr_assert_str_eq(recomputed, digest);
	free(recomputed);

	/* After the old deadline, before the new one: the resident submits and edits; the call does not close. */
	R.c.now = old_deadline + 300;
	L.c.now = old_deadline + 300;
	r = http_json(&R.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)id),
		      json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title",
				"Sổ tay số của tổ", "summary", "Tóm tắt", "problem", "Vấn đề", "model", "Cách làm",
				"beneficiaries", "Các hộ", "households", 40, "resources", "Hai người", "cost_vnd",
				(json_int_t)1000000, "submit", 1));
	cr_assert_eq(r->status, 201, "a submission between the old and the new deadline: %s", r->body);
	int64_t proposal = json_integer_value(jget(jget(r->json, "proposal"), "id"));
	int64_t version = json_integer_value(jget(jget(r->json, "proposal"), "version"));
	resp_free(r);
	EXPECT(http_json(&R.c, "PATCH", fmt_path("/api/v1/proposals/%lld", (long long)proposal),
			 json_pack("{s:I,s:s}", "version", (json_int_t)version, "title", "Sổ tay số của tổ (sửa)")),
	       200, NULL);
	r = get(&anon.c, id);
	cr_assert(json_is_true(jget(jget(r->json, "campaign"), "accepting")), "%s", r->body);
	resp_free(r);
	anon.c.now = old_deadline + 300;
	r = get(&anon.c, id);
	cr_assert(json_is_true(jget(jget(r->json, "campaign"), "accepting")), "%s", r->body);
	cr_assert(json_is_false(jget(jget(r->json, "campaign"), "deadline_passed")), "%s", r->body);
	resp_free(r);
	r = http(&anon.c, "GET", fmt_path("/api/v1/campaigns?ward_id=%lld", (long long)ward), NULL, NULL);
	cr_assert(json_is_false(jget(json_array_get(jget(r->json, "campaigns"), 0), "deadline_passed")), "%s", r->body);
	resp_free(r);
	anon.c.now = new_deadline;
	r = http(&anon.c, "GET", fmt_path("/api/v1/campaigns?ward_id=%lld", (long long)ward), NULL, NULL);
	cr_assert(json_is_true(jget(json_array_get(jget(r->json, "campaigns"), 0), "deadline_passed")), "%s", r->body);
	resp_free(r);
	EXPECT(transition(&L.c, id, "closed"), 409, "deadline_not_reached");

	/* A second extension chains from the first; the original deadline stays the sealed one. */
	EXPECT(extend(&L.c, id, new_deadline + 3600, "Thêm một giờ"), 200, NULL);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM campaign_extensions WHERE campaign_id = $1", 1, pid), 2);
	recomputed = recomputed_digest(id);
	cr_assert_str_eq(recomputed, digest);
	free(recomputed);

	/* After the new deadline: closed to submissions, and the call may close; then no more extensions. */
	relogin(&L, new_deadline + 3600);
	EXPECT(transition(&L.c, id, "closed"), 200, NULL);
	EXPECT(extend(&L.c, id, new_deadline + 86400, "Mở lại"), 409, "campaign_not_open");

	/* The database itself keeps the deadline and the record honest. */
	cr_assert(sql_refused("UPDATE campaigns SET closes_at = closes_at + interval '1 day' WHERE id = $1", id));
	cr_assert(sql_refused("UPDATE campaign_extensions SET reason = 'khác' WHERE campaign_id = $1", id));
	cr_assert(sql_refused("DELETE FROM campaign_extensions WHERE campaign_id = $1", id));
	free(digest);
	bye(&L);
	bye(&R);
	bye(&anon);
}

Test(lifecycle, an_open_call_past_its_deadline_but_not_closed_may_be_extended)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct who L;
	person(&L, ward, group, "leader");
	int64_t id = campaign(&L.c, ward, T - 3600, T + 600, true);
	L.c.now = T + 900;
	EXPECT_400(extend(&L.c, id, T + 800, "Quá hạn"), "deadline_in_past", "closes_at");
	EXPECT(extend(&L.c, id, T + 4000, "Gia hạn sau hạn cũ"), 200, NULL);
	bye(&L);
}

Test(lifecycle, refusals_change_nothing)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t group2, ward2 = seed_ward(PG, &group2);
	struct who L, R, V, P, L2, Lrev, anon;
	person(&L, ward, group, "leader");
	person(&R, ward, group, "resident");
	person(&V, ward, group, "volunteer");
	person(&P, ward, group, "panelist");
	person(&L2, ward2, group2, "leader");
	person(&Lrev, ward, group, "leader");
	memset(&anon, 0, sizeof anon);
	client_init(&anon.c, &S);
	anon.c.now = T;
	int64_t id = campaign(&L.c, ward, T - 3600, T + 600, true);
	int64_t draft = campaign(&L.c, ward, T + 3600, T + 7200, false);
	int64_t published = campaign(&L.c, ward, T - 3600, T + 300, true);
	const char *pp[] = { S64(published) };
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, pp));

	/* The leader role taken away after logging in: refused at once. */
	EXPECT(extend(&Lrev.c, id, T + 7200, "Trước khi bị thu hồi"), 200, NULL);
	const char *pl[] = { S64(Lrev.id) };
	PQclear(db_exec(PG, "DELETE FROM role_grants WHERE account_id = $1 AND role = 'leader'", 1, pl));

	char *before = call_state(id);
	char *before_draft = call_state(draft);
	char *before_pub = call_state(published);
	int64_t later = T + 86400;

	EXPECT(extend(&anon.c, id, later, "Người lạ"), 401, NULL);
	EXPECT(extend(&R.c, id, later, "Cư dân"), 403, "forbidden");
	EXPECT(extend(&V.c, id, later, "Tình nguyện viên"), 403, "forbidden");
	EXPECT(extend(&P.c, id, later, "Hội đồng"), 403, "forbidden");
	EXPECT(extend(&L2.c, id, later, "Phường khác"), 403, "forbidden");
	EXPECT(extend(&Lrev.c, id, later, "Đã bị thu hồi"), 403, "forbidden");
	EXPECT(extend(&R.c, draft, later, "Bản nháp"), 404, "not_found");
	EXPECT(extend(&L.c, 999999999, later, "Không có"), 404, "not_found");
	/* Texts too: only the ward's leader. */
	EXPECT(patch(&R.c, id, json_pack("{s:s}", "title", "Tên của cư dân")), 403, "forbidden");
	EXPECT(patch(&L2.c, id, json_pack("{s:s}", "title", "Tên của phường khác")), 403, "forbidden");
	EXPECT(patch(&Lrev.c, id, json_pack("{s:s}", "title", "Tên của người bị thu hồi")), 403, "forbidden");

	/* Bad input from the leader. */
	EXPECT_400(extend(&L.c, id, T + 7200, "Bằng hạn hiện tại"), "deadline_not_later", "closes_at");
	EXPECT_400(extend(&L.c, id, T + 3600, "Sớm hơn"), "deadline_not_later", "closes_at");
	EXPECT_400(extend(&L.c, id, T + 86400 * 400, "Quá xa"), "deadline_too_far", "closes_at");
	EXPECT_400(extend(&L.c, id, later, NULL), "invalid_field", "reason");
	EXPECT_400(extend(&L.c, id, later, ""), "invalid_field", "reason");
	EXPECT_400(extend(&L.c, id, later, "   "), "invalid_field", "reason");
	char long_reason[600];
	memset(long_reason, 'a', 501);
	long_reason[501] = 0;
	EXPECT_400(extend(&L.c, id, later, long_reason), "invalid_field", "reason");
	const char *path = fmt_path("/api/v1/campaigns/%lld/deadline", (long long)id);
	EXPECT_400(http_json(&L.c, "POST", path, json_pack("{s:s,s:s}", "closes_at", "ngày mai", "reason", "x")),
		   "invalid_field", "closes_at");
	EXPECT_400(http_json(&L.c, "POST", path, json_pack("{s:s}", "reason", "Không có hạn")), "invalid_field",
		   "closes_at");
	EXPECT_400(http_json(&L.c, "POST", path, json_pack("{s:i,s:s}", "closes_at", 1, "reason", "x")), "invalid_field",
		   "closes_at");
	char t[40];
	iso(later, t);
	EXPECT_400(http_json(&L.c, "POST", path, json_pack("{s:s,s:s,s:b}", "closes_at", t, "reason", "x", "reopen", 1)),
		   "invalid_field", "reopen");
	EXPECT(http(&L.c, "POST", path, "{\"closes_at\":", NULL), 400, "invalid_json");
	/* A draft's dates are edited, not extended; a published call is over. */
	EXPECT(extend(&L.c, draft, later, "Bản nháp"), 409, "campaign_not_open");
	EXPECT(extend(&L.c, published, later, "Đã công bố"), 409, "campaign_not_open");

	char *after = call_state(id), *after_draft = call_state(draft), *after_pub = call_state(published);
	cr_assert_str_eq(after, before);
	cr_assert_str_eq(after_draft, before_draft);
	cr_assert_str_eq(after_pub, before_pub);
	free(after);
	free(after_draft);
	free(after_pub);
	free(before);
	free(before_draft);
	free(before_pub);
	bye(&L);
	bye(&R);
	bye(&V);
	bye(&P);
	bye(&L2);
	bye(&Lrev);
	bye(&anon);
}

Test(lifecycle, the_seal_of_a_call_showing_groups_still_recomputes_after_an_extension)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct who L;
	person(&L, ward, group, "leader");
	char o[40], c[40];
	iso(T - 3600, o);
	iso(T + 600, c);
	struct resp *r = http_json(&L.c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
				   json_pack("{s:s,s:s,s:s,s:b}", "title", "Đợt thấy tổ", "opens_at", o, "closes_at", c,
					     "blind_shows_group", 1));
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t id = json_integer_value(jget(jget(r->json, "campaign"), "id"));
	resp_free(r);
	EXPECT(transition(&L.c, id, "open"), 200, NULL);
	const char *pid[] = { S64(id) };
	char *digest = db_text(PG, "SELECT config_digest FROM campaigns WHERE id = $1", 1, pid);
	EXPECT(extend(&L.c, id, T + 7200, "Thêm thời gian"), 200, NULL);
	char *text = db_text(PG, "SELECT campaign_config_text($1)", 1, pid);
	cr_assert(strstr(text, "blind_shows_group=true\n") != NULL, "%s", text);
	char want[64];
	iso(T + 600, want);
	char line[80];
	snprintf(line, sizeof line, "closes_at=%s\n", want);
	cr_assert(strstr(text, line) != NULL, "the sealed text keeps the original deadline: %s", text);
	free(text);
	char *recomputed = recomputed_digest(id);
	cr_assert_str_eq(recomputed, digest);
	free(recomputed);
	free(digest);
	cr_assert(sql_refused("UPDATE campaigns SET blind_shows_group = false WHERE id = $1", id));
	bye(&L);
}
