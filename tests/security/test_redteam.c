/*
 * Red team of what landed on 2026-12-07 (publication consents and public photos, several processes
 * behind a trusted proxy with a read replica, the security follow-ups of sql/031), and of what was
 * left open. Each test is one attempt, by one role, written so that it passes only when the attempt
 * fails. The attempts that succeeded against the code as it was, each fixed in the commit that
 * added its test, are marked "FOUND".
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
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

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(redteam, .init = up, .fini = down, .timeout = 240);

#define S64(v) fmt_path("%lld", (long long)(v))

/* A valid 2 × 1 RGB PNG. */
static const unsigned char PNG[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x7b, 0x40, 0xe8, 0xdd, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0x00, 0x04, 0xff, 0x01, 0x07, 0x00, 0x01, 0xff,
	0xe2, 0x23, 0x9e, 0x59, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

struct person {
	struct client c;
	int64_t id;
	char phone[16];
};

static void own_ip(struct client *c, struct srv *s)
{
	client_init(c, s);
	snprintf(c->source_ip, sizeof c->source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
}

/* A resident of ward registered through the API (role: a further role, NULL: none), logged in. */
static void person_new(struct person *p, struct srv *s, int64_t ward, int64_t group, const char *role)
{
	own_ip(&p->c, s);
	rand_phone(p->phone);
	p->id = register_account(&p->c, p->phone, TEST_PASSWORD, ward, group);
	if (role)
		grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

/* An account holding role in ward (0: installation-wide) and no other, logged in. */
static void staff_new(struct person *p, struct srv *s, int64_t ward, const char *role)
{
	own_ip(&p->c, s);
	rand_phone(p->phone);
	p->id = make_account(&p->c, PG, ward ? ward : seed_ward(PG, NULL), p->phone, "Cán bộ");
	grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, p->phone, TEST_PASSWORD), 201);
}

static int64_t created_id(struct resp *r, const char *what)
{
	cr_assert_eq(r->status, 201, "%s: %ld %s", what, r->status, r->body);
	int64_t id = json_integer_value(json_object_get(json_object_get(r->json, what), "id"));
	resp_free(r);
	return id;
}

static void iso(time_t t, char out[40])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t open_call(struct person *leader, int64_t ward)
{
	char o[40], c[40];
	iso(time(NULL) - 3600, o);
	iso(time(NULL) + 86400, c);
	int64_t cid = created_id(http_json(&leader->c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
					   json_pack("{s:s,s:s,s:s}", "title", "Đợt đỏ", "opens_at", o, "closes_at", c)),
				 "campaign");
	struct resp *r = http_json(&leader->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
				   json_pack("{s:s}", "to", "open"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	return cid;
}

static int64_t proposal(struct client *c, int64_t cid, int64_t group, const char *title)
{
	return created_id(http_json(c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
				    json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:b}", "group_id", (json_int_t)group, "title",
					      title, "summary", "Tóm tắt", "problem", "Vấn đề", "model", "Mô hình",
					      "beneficiaries", "Người dân", "households", 40, "cost_vnd", (json_int_t)1000000,
					      "submit", 1)),
			  "proposal");
}

static int64_t upload(struct client *c, int64_t pid, char sha[65])
{
	const char *h[] = { "Content-Type: image/png", NULL };
	struct resp *r = http_bytes(c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), PNG,
				    sizeof PNG, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *a = json_object_get(r->json, "attachment");
	snprintf(sha, 65, "%s", json_string_value(json_object_get(a, "sha256")));
	int64_t id = json_integer_value(json_object_get(a, "id"));
	resp_free(r);
	return id;
}

static struct resp *publicity(struct client *c, int64_t pid, bool photos, bool contact)
{
	return http_json(c, "PUT", fmt_path("/api/v1/proposals/%lld/publicity", (long long)pid),
			 json_pack("{s:b,s:b}", "photos", photos, "contact", contact));
}

static long publicity_status(struct client *c, int64_t pid, bool photos, bool contact)
{
	struct resp *r = publicity(c, pid, photos, contact);
	long st = r->status;
	resp_free(r);
	return st;
}

/* Call cid published in the database, with the n proposals of winners in the catalogue; model ids into models. */
static void publish(int64_t ward, int64_t cid, int64_t leader, const int64_t *winners, int n, int64_t *models)
{
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, (const char *[]){ S64(cid) }));
	const char *dp[] = { S64(ward), S64(cid), S64(leader) };
	int64_t decision = db_int(PG,
				  "INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot,"
				  " decided_by, decided_at, published_by, published_at) VALUES ($2, $1, 1, 'raw', repeat('b', 64),"
				  " '{\"ranking\":[]}', $3, now(), $3, now()) RETURNING id",
				  3, dp);
	for (int i = 0; i < n; i++) {
		const char *mp[] = { S64(winners[i]), S64(cid), S64(ward), S64(decision) };
		int64_t m = db_int(PG,
				   "INSERT INTO models (proposal_id, campaign_id, ward_id, decision_id, award, title, summary, model,"
				   " search_text, published_at) SELECT $1, $2, $3, $4, 'Giải Nhất', p.title, p.summary, p.model,"
				   " p.search_text, now() FROM proposals p WHERE p.id = $1 RETURNING id",
				   4, mp);
		if (models)
			models[i] = m;
	}
}

/* The photo's public address (without the host). */
static const char *photo_path(int64_t id, const char *sha, const char *size)
{
	return fmt_path("/api/v1/public/photos/%lld-%.32s.webp%s", (long long)id, sha, size);
}

static long get_status(struct client *c, const char *path)
{
	struct resp *r = http_bytes(c, "GET", path, NULL, 0, NULL);
	long st = r->status;
	if (st != 404 && st != 200)
		cr_log_warn("%s: %ld %s", path, st, r->body);
	resp_free(r);
	return st;
}

/* A raw request line and headers to S from 127.0.0.1; the status (0: no reply). */
static int raw(const char *method, const char *target, const char *headers, char *reply, size_t replysz)
{
	char req[4096];
	snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n", method, target,
		 headers ? headers : "");
	return raw_status(&S, req, reply, replysz);
}

/* ------------------------------------------------------------------------- */
/* Public photos                                                             */
/* ------------------------------------------------------------------------- */

Test(redteam, the_public_photo_route_gives_nothing_to_odd_names_sizes_methods_or_ranges)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, W, A;
	person_new(&L, &S, ward, group, "leader");
	person_new(&W, &S, ward, group, NULL);
	person_new(&A, &S, ward, group, NULL);
	int64_t cid = open_call(&L, ward);
	int64_t pw = proposal(&W.c, cid, group, "Đồng ý"), pa = proposal(&A.c, cid, group, "Không đồng ý");
	char sw[65], sa[65];
	int64_t aw = upload(&W.c, pw, sw), aa = upload(&A.c, pa, sa);
	cr_assert_eq(publicity_status(&W.c, pw, true, false), 200);
	int64_t winners[] = { pw, pa }, models[2];
	publish(ward, cid, L.id, winners, 2, models);
	struct client anon;
	client_init(&anon, &S);
	cr_assert_eq(get_status(&anon, photo_path(aw, sw, "?size=320")), 200);

	/* Duplicated, padded, encoded and case-changed sizes; a NUL; a second query
	 * (libmicrohttpd looks argument names up without regard to case, and keeps the first of two: the
	 * same public bytes, so ?SIZE=320 and a repeated size serve them; nothing else does.) */
	const char *sizes[] = { "?size=320&size=2560", "?SIZE=320", "?size=2560&size=320", "?size=320%00", "?size=%2B320",
				"?size=320.0", "?size=%20320", "?size=-320", "?size=1e3", "?size=99999999999999999999" };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		long st = get_status(&anon, photo_path(aw, sw, sizes[i]));
		cr_assert(st == 404 || (st == 200 && i < 2), "%s: %ld", sizes[i], st);
	}
	/* The other winner (no consent), by its own name, with the public one's hash, with every size. */
	cr_assert_eq(get_status(&anon, photo_path(aa, sa, "?size=320")), 404);
	cr_assert_eq(get_status(&anon, photo_path(aa, sa, "?size=1024")), 404);
	cr_assert_eq(get_status(&anon, photo_path(aa, sw, "?size=320")), 404);
	/* Overlong and out-of-range ids, signs, leading zeros, whitespace. */
	const char *names[] = { "9223372036854775808", "99999999999999999999999999999", "-1", "+1", "0", " 1", "1 " };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char target[256];
		snprintf(target, sizeof target, "/api/v1/public/photos/%s-%.32s.webp?size=320", names[i], sw);
		char reply[2048];
		int st = raw("GET", target, NULL, reply, sizeof reply);
		cr_assert(st == 404 || st == 400, "%s: %d", target, st);
	}
	/* Traversal and encoded separators towards the private route or the file system. */
	const char *paths[] = {
		fmt_path("/api/v1/public/photos/../attachments/%lld?size=320", (long long)aa),
		fmt_path("/api/v1/public/photos/..%%2Fattachments%%2F%lld?size=320", (long long)aa),
		fmt_path("/api/v1/public/photos/%lld-%.32s.webp%%2F?size=320", (long long)aw, sw),
		fmt_path("/api/v1/public/photos/%lld-%.32s.webp/?size=320", (long long)aw, sw),
		fmt_path("/api/v1/public/photos/%lld-%.32s.webp%%00?size=320", (long long)aw, sw),
		fmt_path("/api/v1/public/photos/%lld-%.32s%%2Ewebp?size=320", (long long)aa, sa),
		"/api/v1/public/photos/..%2F..%2F..%2Fetc%2Fpasswd?size=320",
		"/api/v1/public/photos/%2e%2e/%2e%2e/etc/passwd?size=320",
		"/api/v1/public/photos/?size=320",
		"/api/v1/public/photos?size=320",
	};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		char reply[16384];
		int st = raw("GET", paths[i], NULL, reply, sizeof reply);
		cr_assert(st == 404 || st == 400 || (i == 5 && st == 404), "%s: %d", paths[i], st);
		cr_assert(strstr(reply, "root:") == NULL && strstr(reply, "\x89PNG") == NULL, "%s leaked bytes", paths[i]);
	}
	/* HEAD: for the refused one the same as for an unknown one, and never a body. */
	char reply[16384], ref[16384];
	int head_unknown = raw("HEAD", photo_path(aw + 1000000, sw, "?size=320"), NULL, ref, sizeof ref);
	int head_refused = raw("HEAD", photo_path(aa, sa, "?size=320"), NULL, reply, sizeof reply);
	cr_assert(head_refused == head_unknown && head_refused >= 400, "HEAD: %d against %d", head_refused, head_unknown);
	int head = raw("HEAD", photo_path(aw, sw, "?size=320"), NULL, reply, sizeof reply);
	cr_assert(head == 200 || head == head_unknown, "HEAD: %d", head);
	cr_assert(strstr(reply, "RIFF") == NULL, "a body in the HEAD reply");
	/* Range: never a partial reply of a photo that is not public, never a 5xx. */
	cr_assert_eq(raw("GET", photo_path(aa, sa, "?size=320"), "Range: bytes=0-15\r\n", reply, sizeof reply), 404);
	int ranged = raw("GET", photo_path(aw, sw, "?size=320"), "Range: bytes=0-15\r\n", reply, sizeof reply);
	cr_assert(ranged == 200 || ranged == 206, "Range: %d", ranged);
	/* If-None-Match with the public photo's tag on the other winner's address: 404, not 304. */
	char etag_header[128];
	snprintf(etag_header, sizeof etag_header, "If-None-Match: \"%s\"\r\n", sw);
	cr_assert_eq(raw("GET", photo_path(aa, sa, "?size=320"), etag_header, reply, sizeof reply), 404);
	cr_assert_eq(raw("GET", photo_path(aa, sw, "?size=320"), "If-None-Match: *\r\n", reply, sizeof reply), 404);

	/* The public one stops at once: award taken away by a correction, proposal withdrawn, consent withdrawn. */
	PQclear(db_exec(PG, "UPDATE models SET award = NULL WHERE id = $1", 1, (const char *[]){ S64(models[0]) }));
	cr_assert_eq(get_status(&anon, photo_path(aw, sw, "?size=320")), 404, "a photo of a model without an award");
	PQclear(db_exec(PG, "UPDATE models SET award = 'Giải Nhất' WHERE id = $1", 1, (const char *[]){ S64(models[0]) }));
	cr_assert_eq(get_status(&anon, photo_path(aw, sw, "?size=320")), 200);
	cr_assert_eq(publicity_status(&W.c, pw, false, false), 200, "withdrawing is always possible");
	cr_assert_eq(get_status(&anon, photo_path(aw, sw, "?size=320")), 404);
	/* … and cannot be given again after the deadline. */
	struct resp *r = publicity(&W.c, pw, true, false);
	cr_assert_eq(r->status, 409, "consent after the deadline: %ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "campaign_not_accepting");
	resp_free(r);
	cr_assert_eq(get_status(&anon, photo_path(aw, sw, "?size=320")), 404);
	client_cleanup(&anon);
	client_cleanup(&L.c);
	client_cleanup(&W.c);
	client_cleanup(&A.c);
}

/* ------------------------------------------------------------------------- */
/* Consents                                                                  */
/* ------------------------------------------------------------------------- */

Test(redteam, nobody_but_the_author_or_their_helper_consents_and_never_after_the_deadline)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t group2, ward2 = seed_ward(PG, &group2);
	struct person L, A, R, P, V, L2, WA, IA;
	person_new(&L, &S, ward, group, "leader");
	person_new(&A, &S, ward, group, NULL);
	person_new(&R, &S, ward, group, NULL);
	person_new(&P, &S, ward, group, "panelist");
	person_new(&V, &S, ward, group, "volunteer");
	person_new(&L2, &S, ward2, group2, "leader");
	staff_new(&WA, &S, ward, "admin");
	staff_new(&IA, &S, 0, "admin");
	int64_t cid = open_call(&L, ward);
	int64_t pa = proposal(&A.c, cid, group, "Của chị A");
	struct client *others[] = { &L.c, &R.c, &P.c, &V.c, &L2.c, &WA.c, &IA.c };
	for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
		cr_assert_eq(publicity_status(others[i], pa, true, true), 404, "caller %zu gave A's consent", i);
		/* Through the edit route, with the consents as fields. */
		struct resp *r = http_json(others[i], "PATCH", fmt_path("/api/v1/proposals/%lld", (long long)pa),
					   json_pack("{s:b,s:b,s:s,s:s}", "publish_photos", 1, "publish_contact", 1,
						     "publish_photos_at", "2026-01-01T00:00:00Z", "title", "Đổi tên"));
		cr_assert(r->status >= 400, "caller %zu edited A's proposal: %ld", i, r->status);
		resp_free(r);
	}
	/* The author through the edit route: the consent fields are not taken from there. */
	struct resp *r = http_json(&A.c, "PATCH", fmt_path("/api/v1/proposals/%lld", (long long)pa),
				   json_pack("{s:b,s:b}", "publish_photos", 1, "publish_contact", 1));
	resp_free(r);
	const char *pp[] = { S64(pa) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND photos_public_at IS NULL"
				" AND contact_public_at IS NULL", 1, pp), 1, "a consent given outside PUT /publicity");
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'proposal_publicity_changed'"
				" AND subject = 'proposal:' || $1", 1, pp), 0);
	/* Malformed bodies change nothing. */
	const char *bodies[] = { "{\"photos\":\"true\",\"contact\":true}", "{\"photos\":1,\"contact\":1}", "{\"photos\":true}",
				 "{\"photos\":true,\"contact\":true,\"photos\":false}", "[]", "null" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		r = http(&A.c, "PUT", fmt_path("/api/v1/proposals/%lld/publicity", (long long)pa), bodies[i], NULL);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bodies[i], r->status, r->body);
		resp_free(r);
	}
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND photos_public_at IS NULL", 1, pp), 1);
	/* Closed (the deadline passed): giving is refused by every route, withdrawing is not. */
	cr_assert_eq(publicity_status(&A.c, pa, false, true), 200);
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'closed' WHERE id = $1", 1, (const char *[]){ S64(cid) }));
	r = publicity(&A.c, pa, true, true);
	cr_assert_eq(r->status, 409, "%ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "campaign_not_accepting");
	resp_free(r);
	cr_assert_eq(publicity_status(&A.c, pa, false, false), 200);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND photos_public_at IS NULL"
				" AND contact_public_at IS NULL", 1, pp), 1);
	struct client *all[] = { &L.c, &A.c, &R.c, &P.c, &V.c, &L2.c, &WA.c, &IA.c };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		client_cleanup(all[i]);
}

/* ------------------------------------------------------------------------- */
/* The showcase                                                              */
/* ------------------------------------------------------------------------- */

/* Whether the last 9 digits of phone appear in body. */
static bool shows_phone(const char *body, const char *phone)
{
	return body != NULL && strstr(body, phone + 1) != NULL;
}

Test(redteam, the_showcase_shows_a_contact_only_for_a_consenting_current_winner)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, W, N, X;
	person_new(&L, &S, ward, group, "leader");
	person_new(&W, &S, ward, group, NULL); /* consents to both */
	person_new(&N, &S, ward, group, NULL); /* consents to nothing */
	person_new(&X, &S, ward, group, NULL); /* consents; loses the award in a correction */
	int64_t cid = open_call(&L, ward);
	int64_t pw = proposal(&W.c, cid, group, "Mô hình W"), pn = proposal(&N.c, cid, group, "Mô hình N"),
		px = proposal(&X.c, cid, group, "Mô hình X");
	cr_assert_eq(publicity_status(&W.c, pw, true, true), 200);
	cr_assert_eq(publicity_status(&X.c, px, true, true), 200);
	int64_t winners[] = { pw, pn, px }, models[3];
	publish(ward, cid, L.id, winners, 3, models);
	/* X's award is taken away by a correction; the model stays for its adoptions. */
	PQclear(db_exec(PG, "UPDATE models SET award = NULL WHERE id = $1", 1, (const char *[]){ S64(models[2]) }));

	struct client anon;
	client_init(&anon, &S);
	const char *paths[] = { fmt_path("/api/v1/campaigns/%lld/results", (long long)cid), "/api/v1/models",
				fmt_path("/api/v1/models?ward_id=%lld", (long long)ward),
				fmt_path("/api/v1/models/%lld", (long long)models[0]),
				fmt_path("/api/v1/models/%lld", (long long)models[1]),
				fmt_path("/api/v1/models/%lld", (long long)models[2]) };
	bool w_seen = false;
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct resp *r = http(&anon, "GET", paths[i], NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %ld %s", paths[i], r->status, r->body);
		cr_assert_not(shows_phone(r->body, N.phone), "%s shows the number of a winner who did not consent", paths[i]);
		cr_assert_not(shows_phone(r->body, X.phone), "FOUND: %s shows the number of a model that lost its award", paths[i]);
		w_seen |= shows_phone(r->body, W.phone);
		resp_free(r);
	}
	cr_assert(w_seen, "the consenting winner's contact is shown somewhere (sanity)");
	/* W withdraws the proposal's contact: gone everywhere. A withdrawn proposal shows nothing of its author. */
	cr_assert_eq(publicity_status(&W.c, pw, true, false), 200);
	struct resp *r = http(&anon, "GET", fmt_path("/api/v1/models/%lld", (long long)models[0]), NULL, NULL);
	cr_assert_not(shows_phone(r->body, W.phone), "%s", r->body);
	resp_free(r);
	PQclear(db_exec(PG, "UPDATE proposals SET contact_public_at = now(), status = 'withdrawn', withdrawn_at = now()"
			    " WHERE id = $1", 1, (const char *[]){ S64(pw) }));
	r = http(&anon, "GET", fmt_path("/api/v1/models/%lld", (long long)models[0]), NULL, NULL);
	cr_assert_not(shows_phone(r->body, W.phone), "FOUND: a withdrawn proposal's author shown as contact: %s", r->body);
	cr_assert(strstr(r->body, "/public/photos/") == NULL, "%s", r->body);
	resp_free(r);
	client_cleanup(&anon);
	client_cleanup(&L.c);
	client_cleanup(&W.c);
	client_cleanup(&N.c);
	client_cleanup(&X.c);
}

Test(redteam, no_panel_view_carries_the_consents)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A;
	person_new(&L, &S, ward, group, "leader");
	person_new(&A, &S, ward, group, NULL);
	int64_t cid = open_call(&L, ward);
	int64_t pa = proposal(&A.c, cid, group, "Mù");
	cr_assert_eq(publicity_status(&A.c, pa, true, true), 200);
	const char *pp[] = { S64(pa) };
	cr_assert_eq(db_int(PG,
			    "SELECT count(*) FROM proposals p, LATERAL (VALUES (proposal_panel_json(p, true)),"
			    " (proposal_panel_json(p, false))) v(j) WHERE p.id = $1"
			    " AND (j ?| ARRAY['publish_photos', 'publish_photos_at', 'publish_contact', 'publish_contact_at']"
			    "  OR j::text LIKE '%public%')",
			    1, pp),
		     0);
	client_cleanup(&L.c);
	client_cleanup(&A.c);
}

/* ------------------------------------------------------------------------- */
/* X-Forwarded-For through a trusted proxy                                   */
/* ------------------------------------------------------------------------- */

/* A failed login of a fresh login to s from 127.0.0.5 with the given extra headers; the status and the audited ip. */
static long proxied_login(struct srv *s, const char *const *headers, char **ip)
{
	struct client c;
	client_init(&c, s);
	snprintf(c.source_ip, sizeof c.source_ip, "127.0.0.5");
	char phone[16], body[256];
	rand_phone(phone);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"đoán bừa mật khẩu\"}", phone);
	struct resp *r = http(&c, "POST", "/api/v1/sessions", body, headers);
	long st = r->status;
	resp_free(r);
	client_cleanup(&c);
	*ip = db_text(PG, "SELECT host(ip) FROM audit_log WHERE action = 'login_failed' AND subject = $1", 1,
		      (const char *[]){ fmt_path("+84%s", phone + 1) });
	return st;
}

static void assert_proxied(struct srv *s, const char *const *headers, const char *want)
{
	char *ip = NULL;
	long st = proxied_login(s, headers, &ip);
	cr_assert_eq(st, 401, "%s: %ld", headers[0], st);
	cr_assert(ip != NULL && !strcmp(ip, want), "%s: audited %s, expected %s", headers[0], ip ? ip : "(none)", want);
	free(ip);
}

Test(redteam, forged_forwarded_for_through_the_trusted_proxy)
{
	struct srv s;
	const char *env[] = { "SANGKIEN_TRUSTED_PROXY=127.0.0.5/32,10.0.0.0/8", "SANGKIEN_LOGIN_MAX_PER_IP=100000", NULL };
	srv_start(&s, NULL, env);
	/* IPv6, mapped IPv4, spaces and tabs. */
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: 198.51.100.30 , 2001:db8::7", NULL }, "2001:db8::7");
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: ::ffff:198.51.100.31", NULL }, "198.51.100.31");
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: \t198.51.100.32\t ", NULL }, "198.51.100.32");
	/* Ports, brackets, zone ids, a trailing dot, octal-looking and short forms: not addresses, the proxy's own. */
	const char *odd[] = { "[2001:db8::8]:443", "198.51.100.33:80", "fe80::1%eth0", "198.51.100.34.", "0198.051.100.035",
			      "3325256738", "198.51.100", "unknown", "_hidden", "" };
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		assert_proxied(&s, (const char *[]){ fmt_path("X-Forwarded-For: 203.0.113.40, %s", odd[i]), NULL },
			       "127.0.0.5");
	/* Several header fields: read as one list in order; the right-most untrusted entry counts. */
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: 203.0.113.41", "X-Forwarded-For: 198.51.100.35", NULL },
		       "198.51.100.35");
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: 203.0.113.42", "X-Forwarded-For: 198.51.100.36, 10.9.9.9", NULL },
		       "198.51.100.36");
	/* A chain of trusted entries only: the left-most, never one the client chose beyond it. */
	assert_proxied(&s, (const char *[]){ "X-Forwarded-For: 10.1.1.1, 10.2.2.2", NULL }, "10.1.1.1");
	/* Thousands of entries the client wrote left of its address. */
	size_t n = 1500, len = n * 16 + 64;
	char *many = malloc(len);
	char *p = many + snprintf(many, len, "X-Forwarded-For: ");
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, (size_t)(many + len - p), "203.0.113.%zu,", i % 250);
	snprintf(p, (size_t)(many + len - p), " 198.51.100.37");
	char *ip = NULL;
	long st = proxied_login(&s, (const char *[]){ many, NULL }, &ip);
	cr_assert((st == 401 && ip && !strcmp(ip, "198.51.100.37")) || st == 431 || st == 400 || st == 0,
		  "%zu entries: %ld, audited %s", n, st, ip ? ip : "(none)");
	free(ip);
	free(many);
	/* A header over the size limit, and an obs-fold, on raw connections from the proxy's address is not
	 * possible (raw_status connects from 127.0.0.1): from an untrusted peer they still must not crash it. */
	size_t big = 128 * 1024;
	char *huge = malloc(big + 512);
	int k = snprintf(huge, 256, "GET /api/v1/version HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ");
	memset(huge + k, '1', big);
	snprintf(huge + k + big, 256, "\r\nConnection: close\r\n\r\n");
	char reply[4096];
	int hs = raw_status(&s, huge, reply, sizeof reply);
	cr_assert(hs == 0 || (hs >= 400 && hs < 500), "an oversized header: %d", hs);
	free(huge);
	int fs = raw_status(&s,
			    "GET /api/v1/version HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.50,\r\n 198.51.100.38\r\n"
			    "Connection: close\r\n\r\n",
			    reply, sizeof reply);
	cr_assert(fs == 200 || fs == 400 || fs == 0, "obs-fold: %d", fs);
	/* Still serving. */
	struct client c;
	client_init(&c, &s);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
	srv_stop(&s);
}

/* ------------------------------------------------------------------------- */
/* The read replica                                                          */
/* ------------------------------------------------------------------------- */

/* url with its database replaced by name (URI form or key=value form). */
static void url_for(const char *url, const char *name, char *out, size_t outsz)
{
	const char *scheme = strstr(url, "://");
	if (scheme == NULL) {
		snprintf(out, outsz, "%s dbname='%s'", url, name);
		return;
	}
	const char *path = strchr(scheme + 3, '/');
	const char *query = strchr(scheme + 3, '?');
	if (path == NULL || (query && query < path))
		path = query ? query : url + strlen(url);
	const char *rest = query ? query : "";
	snprintf(out, outsz, "%.*s/%s%s", (int)(path - url), url, name, rest);
}

/* A second database, migrated, that never receives the primary's writes: what comes from it shows the pool. */
static void replica_new(const char *name, char *url, size_t urlsz)
{
	PQclear(db_exec(PG, fmt_path("DROP DATABASE IF EXISTS %s", name), 0, NULL));
	PQclear(db_exec(PG, fmt_path("CREATE DATABASE %s", name), 0, NULL));
	url_for(getenv("SANGKIEN_TEST_DATABASE_URL"), name, url, urlsz);
	const char *bin = getenv("SANGKIEN_BIN"), *src = getenv("SANGKIEN_SRC");
	pid_t pid = fork();
	if (pid == 0) {
		setenv("DATABASE_URL", url, 1);
		setenv("SANGKIEN_SQL_DIR", fmt_path("%s/sql", src ? src : "."), 1);
		execl(bin, bin, "migrate", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "migrating %s failed", name);
}

Test(redteam, a_forged_session_cookie_does_not_send_public_reads_to_the_primary)
{
	char name[64], url[1200];
	snprintf(name, sizeof name, "sangkien_redteam_replica_%d", (int)getpid());
	replica_new(name, url, sizeof url);
	struct srv s;
	const char *env[] = { fmt_path("SANGKIEN_DATABASE_READ_URL=%s", url), NULL };
	srv_start(&s, NULL, env);
	int64_t ward = seed_ward(PG, NULL);
	char *code = db_text(PG, "SELECT code FROM wards WHERE id = $1", 1, (const char *[]){ S64(ward) });
	/* Any number of strangers, each with a made-up cookie of the right length, or of another. */
	const char *cookies[] = { "Cookie: sk_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				  "Cookie: sk_session=x", "Cookie: sk_session=" };
	struct client anon;
	client_init(&anon, &s);
	for (size_t i = 0; i < sizeof cookies / sizeof *cookies; i++) {
		const char *h[] = { cookies[i], NULL };
		struct resp *r = http(&anon, "GET", "/api/v1/wards", NULL, h);
		cr_assert_eq(r->status, 200, "%s", r->body);
		cr_assert(strstr(r->body, code) == NULL, "FOUND: '%s' moved a public read to the primary", cookies[i]);
		resp_free(r);
	}
	client_cleanup(&anon);
	free(code);
	srv_stop(&s);
	PQclear(db_exec(PG, fmt_path("DROP DATABASE IF EXISTS %s WITH (FORCE)", name), 0, NULL));
}

/* ------------------------------------------------------------------------- */
/* Revisions of an opened call's texts                                       */
/* ------------------------------------------------------------------------- */

Test(redteam, a_revision_left_from_another_transaction_does_not_cover_a_change)
{
	int64_t ward = seed_ward(PG, NULL);
	int64_t cid = db_int(PG,
			     "INSERT INTO campaigns (ward_id, title, description, rules, opens_at, closes_at, state, config_digest)"
			     " VALUES ($1, 'Gọi đề xuất', 'Mô tả', 'Một hộ một đề xuất.', now() - interval '1 day',"
			     " now() + interval '1 day', 'open', repeat('0', 64)) RETURNING id",
			     1, (const char *[]){ S64(ward) });
	/* A revision that claims a change (committed alone: a path that wrote it and did not change the text). */
	PQclear(db_exec(PG,
			"INSERT INTO campaign_revisions (ward_id, campaign_id, fields, old_text, new_text, edited_at)"
			" VALUES ($1, $2, '{rules}', '{\"rules\": \"Một hộ một đề xuất.\"}', '{\"rules\": \"Mười đề xuất.\"}', now())",
			2, (const char *[]){ S64(ward), S64(cid) }));
	/* Later, anywhere, the change it describes. */
	PGresult *res = PQexecParams(PG, "UPDATE campaigns SET rules = 'Mười đề xuất.' WHERE id = $1", 1, NULL,
				     (const char *[]){ S64(cid) }, NULL, NULL, 0);
	ExecStatusType rs = PQresultStatus(res);
	PQclear(res);
	cr_assert_neq(rs, PGRES_COMMAND_OK, "FOUND: a revision written in another transaction covered a later change");
	/* A revision naming one field does not cover two; nor a title change disguised as the rules'. */
	db_exec(PG, "BEGIN", 0, NULL);
	PQclear(db_exec(PG,
			"INSERT INTO campaign_revisions (ward_id, campaign_id, fields, old_text, new_text, edited_at)"
			" VALUES ($1, $2, '{rules}', '{\"rules\": \"Một hộ một đề xuất.\", \"title\": \"Gọi đề xuất\"}',"
			" '{\"rules\": \"Hai đề xuất.\", \"title\": \"Tên khác\"}', now())",
			2, (const char *[]){ S64(ward), S64(cid) }));
	res = PQexecParams(PG, "UPDATE campaigns SET rules = 'Hai đề xuất.', title = 'Tên khác' WHERE id = $1", 1, NULL,
			   (const char *[]){ S64(cid) }, NULL, NULL, 0);
	rs = PQresultStatus(res);
	PQclear(res);
	PQclear(db_exec(PG, "ROLLBACK", 0, NULL));
	cr_assert_neq(rs, PGRES_COMMAND_OK, "a field left out of the revision's list changed");
}

/* ------------------------------------------------------------------------- */
/* Left open on 2026-12-07                                                   */
/* ------------------------------------------------------------------------- */

Test(redteam, an_administrator_viewing_one_account_is_audited)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person WA, IA, R;
	staff_new(&WA, &S, ward, "admin");
	staff_new(&IA, &S, 0, "admin");
	person_new(&R, &S, ward, group, NULL);
	struct resp *r = http(&WA.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)R.id), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http(&IA.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)R.id), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	/* Not found, or outside the ward admin's wards: no view, nothing to audit. */
	r = http(&WA.c, "GET", fmt_path("/api/v1/admin/accounts/%lld", (long long)IA.id), NULL, NULL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	resp_free(r);
	const char *q = "SELECT count(*) FROM audit_log WHERE action = 'account_viewed' AND actor_account_id = $1"
			" AND subject = 'account:' || $2";
	cr_assert_eq(db_int(PG, q, 2, (const char *[]){ S64(WA.id), S64(R.id) }), 1, "a ward admin's view is not audited");
	cr_assert_eq(db_int(PG, q, 2, (const char *[]){ S64(IA.id), S64(R.id) }), 1, "an installation admin's view is not audited");
	cr_assert_eq(db_int(PG, q, 2, (const char *[]){ S64(WA.id), S64(IA.id) }), 0);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'account_viewed' AND actor_account_id = $1"
				" AND ward_id = $2", 2, (const char *[]){ S64(WA.id), S64(ward) }),
		     1, "the ward admin's view is filed under their ward");
	client_cleanup(&WA.c);
	client_cleanup(&IA.c);
	client_cleanup(&R.c);
}

static long redeem(struct client *c, const char *login_, const char *code, const char *password)
{
	struct resp *r = http_json(c, "POST", "/api/v1/accounts/password-setup",
				   json_pack("{s:s,s:s,s:s}", "login", login_, "code", code, "password", password));
	long st = r->status;
	resp_free(r);
	return st;
}

Test(redteam, a_set_up_and_the_forgetting_of_failures_are_one_transaction)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, R;
	person_new(&L, &S, ward, group, "leader");
	person_new(&R, &S, ward, group, NULL);
	struct client x;
	own_ip(&x, &S);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(login(&x, R.phone, "không phải mật khẩu"), 401);
	struct resp *c = http(&L.c, "POST", fmt_path("/api/v1/accounts/%lld/setup-code", (long long)R.id), NULL, NULL);
	cr_assert_eq(c->status, 201, "%s", c->body);
	char code[16];
	snprintf(code, sizeof code, "%s", json_string_value(json_object_get(json_object_get(c->json, "setup_code"), "code")));
	resp_free(c);
	/* The forgetting fails (as a lost connection or a lock timeout would): the set-up must not half happen. */
	const char *lp[] = { fmt_path("+84%s", R.phone + 1) };
	char *key = db_text(PG, "SELECT encode(auth_login_key($1), 'hex')", 1, lp);
	char trig[64];
	snprintf(trig, sizeof trig, "redteam_refuse_%lld", (long long)R.id);
	PQclear(db_exec(PG,
			"CREATE OR REPLACE FUNCTION redteam_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS"
			" $$BEGIN RAISE EXCEPTION 'refused by the red-team test'; END$$",
			0, NULL));
	PQclear(db_exec(PG,
			fmt_path("CREATE TRIGGER %s BEFORE DELETE ON auth_failures FOR EACH ROW"
				 " WHEN (OLD.login_key = '\\x%s'::bytea) EXECUTE FUNCTION redteam_refuse_delete()",
				 trig, key),
			0, NULL));
	char *before = db_text(PG, "SELECT password_hash FROM accounts WHERE id = $1", 1, (const char *[]){ S64(R.id) });
	long st = redeem(&x, R.phone, code, "mật khẩu mới của chủ 2026");
	long failures = db_int(PG, "SELECT count(*) FROM auth_failures WHERE login_key = auth_login_key($1)", 1, lp);
	char *after = db_text(PG, "SELECT password_hash FROM accounts WHERE id = $1", 1, (const char *[]){ S64(R.id) });
	PQclear(db_exec(PG, fmt_path("DROP TRIGGER %s ON auth_failures", trig), 0, NULL));
	bool half = st == 204 ? failures != 0 : strcmp(before ? before : "", after ? after : "") != 0;
	cr_assert_not(half, "FOUND: the set-up answered %ld with %ld failures left and the password %s", st, failures,
		      strcmp(before ? before : "", after ? after : "") ? "changed" : "unchanged");
	if (st != 204) /* all or nothing: the code is still good */
		cr_assert_eq(redeem(&x, R.phone, code, "mật khẩu mới của chủ 2026"), 204);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM auth_failures WHERE login_key = auth_login_key($1)", 1, lp), 0);
	free(key);
	free(before);
	free(after);
	client_cleanup(&x);
	client_cleanup(&L.c);
	client_cleanup(&R.c);
}

Test(redteam, people_searches_have_an_hourly_budget_per_person)
{
	struct srv s;
	const char *env[] = { "SANGKIEN_PEOPLE_SEARCHES=3", NULL };
	srv_start(&s, NULL, env);
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, L2, WA, R;
	staff_new(&L, &s, ward, "leader");
	staff_new(&L2, &s, ward, "leader");
	staff_new(&WA, &s, ward, "admin");
	person_new(&R, &s, ward, group, NULL);
	const char *lq = fmt_path("/api/v1/wards/%lld/residents?q=Nguy", (long long)ward);
	for (int i = 0; i < 3; i++) {
		struct resp *r = http(&L.c, "GET", lq, NULL, NULL);
		cr_assert_eq(r->status, 200, "search %d: %ld %s", i, r->status, r->body);
		resp_free(r);
	}
	struct resp *r = http(&L.c, "GET", fmt_path("/api/v1/wards/%lld/residents?q=%s", (long long)ward, R.phone), NULL, NULL);
	cr_assert_eq(r->status, 429, "FOUND: a fourth search answered %ld", r->status);
	cr_assert_str_eq(err_code(r), "too_many_searches");
	char h[64];
	cr_assert(resp_header(r, "Retry-After", h, sizeof h) && atol(h) > 0 && atol(h) <= 3600, "Retry-After");
	cr_assert(strstr(r->body, R.phone + 1) == NULL);
	resp_free(r);
	/* Another leader of the ward keeps their own budget. */
	r = http(&L2.c, "GET", lq, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	/* An administrator: a search by text, and a lookup by number, count alike. */
	const char *aq[] = { "/api/v1/admin/accounts?q=Nguy", fmt_path("/api/v1/admin/accounts?login=%s", R.phone),
			     "/api/v1/admin/accounts?q=Tran" };
	for (int i = 0; i < 3; i++) {
		r = http(&WA.c, "GET", aq[i], NULL, NULL);
		cr_assert_eq(r->status, 200, "admin search %d: %ld %s", i, r->status, r->body);
		resp_free(r);
	}
	r = http(&WA.c, "GET", fmt_path("/api/v1/admin/accounts?login=%s", R.phone), NULL, NULL);
	cr_assert_eq(r->status, 429, "%ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "too_many_searches");
	resp_free(r);
	/* A refused search is neither run nor audited. */
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'people_searched' AND actor_account_id = $1",
			    1, (const char *[]){ S64(L.id) }),
		     3);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'people_searched' AND actor_account_id = $1",
			    1, (const char *[]){ S64(WA.id) }),
		     3);
	client_cleanup(&L.c);
	client_cleanup(&L2.c);
	client_cleanup(&WA.c);
	client_cleanup(&R.c);
	srv_stop(&s);
}

/* ------------------------------------------------------------------------- */
/* Budgets raced across server processes                                     */
/* ------------------------------------------------------------------------- */

struct burst {
	struct client c;
	const char *path; /* GET path, or NULL: a "find a resident" POST */
	int64_t ward, group;
	const char *phone;
	const char *refusal;
	int ok, refused, other;
};

static void *twice(void *arg)
{
	struct burst *b = arg;
	for (int i = 0; i < 2; i++) {
		struct resp *x = b->path ? http(&b->c, "GET", b->path, NULL, NULL)
					 : http_json(&b->c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)b->ward),
						     json_pack("{s:s,s:s,s:I}", "phone", b->phone, "display_name", "Bà Tư",
							       "group_id", (json_int_t)b->group));
		if (x->status == 200)
			b->ok++;
		else if (x->status == 429 && !strcmp(err_code(x), b->refusal))
			b->refused++;
		else
			b->other++;
		resp_free(x);
	}
	return NULL;
}

/* n sessions of login, half on each of two servers, each trying twice at once; asserts exactly max answered. */
static void race(struct srv two[2], const char *phone, const char *path, int64_t ward, int64_t group, const char *who_phone,
		 const char *refusal, int max)
{
	enum { N = 6 };
	struct burst b[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		memset(&b[i], 0, sizeof b[i]);
		own_ip(&b[i].c, &two[i % 2]);
		cr_assert_eq(login(&b[i].c, phone, TEST_PASSWORD), 201);
		b[i].path = path;
		b[i].ward = ward;
		b[i].group = group;
		b[i].phone = who_phone;
		b[i].refusal = refusal;
	}
	for (int i = 0; i < N; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, twice, &b[i]), 0);
	int ok = 0, refused = 0, other = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		ok += b[i].ok;
		refused += b[i].refused;
		other += b[i].other;
		client_cleanup(&b[i].c);
	}
	cr_assert_eq(other, 0);
	cr_assert_eq(ok, max, "%s: %d answered across two processes with a budget of %d (%d refused)", refusal, ok, max,
		     refused);
	cr_assert_eq(refused, 2 * N - max);
}

Test(redteam, budgets_hold_when_raced_across_two_server_processes)
{
	struct srv two[2];
	const char *env[] = { "SANGKIEN_PEOPLE_SEARCHES=4", "SANGKIEN_RESIDENT_LOOKUPS=4", NULL };
	srv_start(&two[0], NULL, env);
	srv_start(&two[1], NULL, env);
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, V, R;
	staff_new(&L, &two[0], ward, "leader");
	staff_new(&V, &two[0], ward, "volunteer");
	person_new(&R, &two[0], ward, group, NULL);
	race(two, L.phone, fmt_path("/api/v1/wards/%lld/residents?q=Nguy", (long long)ward), ward, group, NULL,
	     "too_many_searches", 4);
	race(two, V.phone, NULL, ward, group, R.phone, "too_many_lookups", 4);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM people_searches WHERE searcher_id = $1", 1,
			    (const char *[]){ S64(L.id) }),
		     4);
	client_cleanup(&L.c);
	client_cleanup(&V.c);
	client_cleanup(&R.c);
	srv_stop(&two[0]);
	srv_stop(&two[1]);
}

/* ------------------------------------------------------------------------- */
/* The ward's public contact; photos after publication                       */
/* ------------------------------------------------------------------------- */

Test(redteam, only_the_wards_leaders_and_admins_set_its_public_contact)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t group2, ward2 = seed_ward(PG, &group2);
	struct person R, V, P, L2, WA2, L, WA;
	person_new(&R, &S, ward, group, NULL);
	person_new(&V, &S, ward, group, "volunteer");
	person_new(&P, &S, ward, group, "panelist");
	person_new(&L2, &S, ward2, group2, "leader");
	staff_new(&WA2, &S, ward2, "admin");
	person_new(&L, &S, ward, group, "leader");
	staff_new(&WA, &S, ward, "admin");
	const char *path = fmt_path("/api/v1/wards/%lld/public-contact", (long long)ward);
	struct client *others[] = { &R.c, &V.c, &P.c, &L2.c, &WA2.c };
	for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
		struct resp *r = http_json(others[i], "PUT", path, json_pack("{s:s}", "public_contact", "Gọi 0999 999 999"));
		cr_assert_eq(r->status, 403, "caller %zu: %ld %s", i, r->status, r->body);
		resp_free(r);
	}
	struct client anon;
	client_init(&anon, &S);
	struct resp *r = http_json(&anon, "PUT", path, json_pack("{s:s}", "public_contact", "x"));
	cr_assert_eq(r->status, 401, "%ld", r->status);
	resp_free(r);
	/* Texts that would mislead on a public page: bidirectional controls, NUL, too long. */
	const char *bad[] = { "{\"public_contact\":\"Gọi \\u202e999\"}", "{\"public_contact\":\"a\\u0000b\"}",
			      "{\"public_contact\":1}", "{}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = http(&L.c, "PUT", path, bad[i], NULL);
		cr_assert_eq(r->status, 400, "%s: %ld %s", bad[i], r->status, r->body);
		resp_free(r);
	}
	char *contact = db_text(PG, "SELECT public_contact FROM wards WHERE id = $1", 1, (const char *[]){ S64(ward) });
	cr_assert_str_eq(contact, "");
	free(contact);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'ward_public_contact_changed' AND ward_id = $1",
			    1, (const char *[]){ S64(ward) }),
		     0);
	r = http_json(&WA.c, "PUT", path, json_pack("{s:s}", "public_contact", "Văn phòng phường, 028 1234 5678"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	client_cleanup(&anon);
	struct client *all[] = { &R.c, &V.c, &P.c, &L2.c, &WA2.c, &L.c, &WA.c };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		client_cleanup(all[i]);
}

Test(redteam, no_photo_joins_a_published_winner_after_the_deadline)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, W, V;
	person_new(&L, &S, ward, group, "leader");
	person_new(&W, &S, ward, group, NULL);
	person_new(&V, &S, ward, group, "volunteer");
	int64_t cid = open_call(&L, ward);
	int64_t pw = proposal(&W.c, cid, group, "Đồng ý");
	char sw[65];
	upload(&W.c, pw, sw);
	cr_assert_eq(publicity_status(&W.c, pw, true, true), 200);
	int64_t winners[] = { pw };
	publish(ward, cid, L.id, winners, 1, NULL);
	const char *h[] = { "Content-Type: image/png", NULL };
	struct client *who[] = { &W.c, &L.c, &V.c };
	for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
		struct resp *r = http_bytes(who[i], "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pw), PNG,
					    sizeof PNG, h);
		cr_assert(r->status >= 400 && r->status < 500, "caller %zu added a photo after publication: %ld", i, r->status);
		resp_free(r);
	}
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, (const char *[]){ S64(pw) }), 1);
	client_cleanup(&L.c);
	client_cleanup(&W.c);
	client_cleanup(&V.c);
}
