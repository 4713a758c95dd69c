/*
 * Public photos (issue 11): only the photos of published winners whose author consented are served
 * without a session. A stranger, a resident of another ward, a panelist and a volunteer try to reach
 * the others through the public route (guessed ids, a wrong or another photo's hash, other sizes,
 * odd spellings of the name): every try is the same 404 as for an id that never existed, with no
 * validator and nothing cacheable. A volunteer cannot give the publication consent for a resident
 * they did not help, nor once their volunteer role is gone.
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

TestSuite(photos, .init = up, .fini = down, .timeout = 180);

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

static void person_new(struct person *p, int64_t ward, int64_t group, const char *role)
{
	client_init(&p->c, &S);
	snprintf(p->c.source_ip, sizeof p->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	rand_phone(p->phone);
	p->id = register_account(&p->c, p->phone, TEST_PASSWORD, ward, group);
	if (role)
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
					   json_pack("{s:s,s:s,s:s}", "title", "Đợt ảnh", "opens_at", o, "closes_at", c)),
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

static int64_t upload(struct client *c, int64_t pid, const unsigned char *png, size_t len, char sha[65])
{
	const char *h[] = { "Content-Type: image/png", NULL };
	struct resp *r = http_bytes(c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), png, len, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *a = json_object_get(r->json, "attachment");
	snprintf(sha, 65, "%s", json_string_value(json_object_get(a, "sha256")));
	int64_t id = json_integer_value(json_object_get(a, "id"));
	resp_free(r);
	return id;
}

static long publicity(struct client *c, int64_t pid, bool photos)
{
	struct resp *r = http_json(c, "PUT", fmt_path("/api/v1/proposals/%lld/publicity", (long long)pid),
				   json_pack("{s:b,s:b}", "photos", photos, "contact", photos));
	long st = r->status;
	resp_free(r);
	return st;
}

/* Call cid published in the database with the n proposals of winners in the catalogue. */
static void publish(int64_t ward, int64_t cid, int64_t leader, const int64_t *winners, int n)
{
	const char *up[] = { S64(cid) };
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, up));
	const char *dp[] = { S64(ward), S64(cid), S64(leader) };
	int64_t decision = db_int(PG,
				  "INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot,"
				  " decided_by, decided_at, published_by, published_at) VALUES ($2, $1, 1, 'raw', repeat('b', 64),"
				  " '{\"ranking\":[]}', $3, now(), $3, now()) RETURNING id",
				  3, dp);
	for (int i = 0; i < n; i++) {
		const char *mp[] = { S64(winners[i]), S64(cid), S64(ward), S64(decision) };
		PQclear(db_exec(PG,
				"INSERT INTO models (proposal_id, campaign_id, ward_id, decision_id, award, title, summary, model,"
				" search_text, published_at) SELECT $1, $2, $3, $4, 'Giải Nhất', p.title, p.summary, p.model,"
				" p.search_text, now() FROM proposals p WHERE p.id = $1",
				4, mp));
	}
}

/* GET path as c; asserts the one 404 (same body as for an id that never existed, no validator). */
static void refused(struct client *c, const char *path, const char *reference_body)
{
	struct resp *r = http_bytes(c, "GET", path, NULL, 0, NULL);
	cr_assert_eq(r->status, 404, "%s: %ld %s", path, r->status, r->body);
	cr_assert_str_eq(err_code(r), "not_found", "%s", path);
	cr_assert_str_eq(r->body, reference_body, "%s: %s", path, r->body);
	char h[256];
	cr_assert_not(resp_header(r, "ETag", h, sizeof h), "%s: an ETag on a 404", path);
	cr_assert(resp_header(r, "Cache-Control", h, sizeof h));
	cr_assert_str_eq(h, "no-store", "%s", path);
	resp_free(r);
}

Test(photos, nobody_reaches_a_photo_that_is_not_a_consented_published_winner)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t group2, ward2 = seed_ward(PG, &group2);
	struct person L, A, W, R, P, V, S2;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);  /* wins, never consents */
	person_new(&W, ward, group, NULL);  /* wins, consents: the one public photo */
	person_new(&R, ward, group, NULL);  /* consents, does not win */
	person_new(&P, ward, group, "panelist");
	person_new(&V, ward, group, "volunteer");
	person_new(&S2, ward2, group2, NULL);
	int64_t cid = open_call(&L, ward);
	int64_t pa = proposal(&A.c, cid, group, "Không đồng ý"), pw = proposal(&W.c, cid, group, "Đồng ý");
	int64_t pr = proposal(&R.c, cid, group, "Không đoạt giải");
	char sa[65], sw[65], sr[65];
	int64_t aa = upload(&A.c, pa, PNG, sizeof PNG, sa);
	int64_t aw = upload(&W.c, pw, PNG, sizeof PNG, sw);
	int64_t ar = upload(&R.c, pr, PNG, sizeof PNG, sr);
	cr_assert_eq(publicity(&W.c, pw, true), 200);
	cr_assert_eq(publicity(&R.c, pr, true), 200);

	/* A volunteer of the ward who did not help A cannot consent for A; nor a panelist, nor another ward. */
	cr_assert_eq(publicity(&V.c, pa, true), 404);
	cr_assert_eq(publicity(&P.c, pa, true), 404);
	cr_assert_eq(publicity(&S2.c, pa, true), 404);
	struct client anon;
	client_init(&anon, &S);
	cr_assert_eq(publicity(&anon, pa, true), 401);
	const char *pp[] = { S64(pa) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND photos_public_at IS NULL"
				" AND contact_public_at IS NULL", 1, pp), 1);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'proposal_publicity_changed'"
				" AND subject = 'proposal:' || $1", 1, pp), 0);

	/* The volunteer who helped a resident can, while holding the role; not after it is revoked. */
	struct person H;
	client_init(&H.c, &S);
	rand_phone(H.phone);
	struct resp *r = http_json(&V.c, "POST", fmt_path("/api/v1/wards/%lld/assisted-residents", (long long)ward),
				   json_pack("{s:s,s:s,s:I}", "phone", H.phone, "display_name", "Bà Năm", "group_id",
					     (json_int_t)group));
	cr_assert_eq(r->status, 201, "%s", r->body);
	H.id = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	int64_t ph = created_id(http_json(&V.c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
					  json_pack("{s:s,s:I,s:I,s:{s:s,s:b}}", "title", "Giúp bà Năm", "group_id",
						    (json_int_t)group, "on_behalf_of", (json_int_t)H.id, "consent",
						    "text_version", "v1", "given", 1)),
				"proposal");
	cr_assert_eq(publicity(&V.c, ph, true), 200);
	cr_assert_eq(publicity(&V.c, ph, false), 200);
	const char *rv[] = { S64(V.id), S64(ward) };
	PQclear(db_exec(PG, "DELETE FROM role_grants WHERE account_id = $1 AND ward_id = $2 AND role = 'volunteer'", 2, rv));
	cr_assert_eq(publicity(&V.c, ph, true), 404);
	client_cleanup(&H.c);

	int64_t winners[] = { pa, pw };
	publish(ward, cid, L.id, winners, 2);

	/* The reference: an id that never existed. */
	struct resp *ref = http_bytes(&anon, "GET", fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320",
							      (long long)(aw + 1000000), sw), NULL, 0, NULL);
	cr_assert_eq(ref->status, 404, "%s", ref->body);
	char reference[512];
	snprintf(reference, sizeof reference, "%s", ref->body);
	resp_free(ref);

	/* The one public photo is public to all (sanity of what follows). */
	r = http_bytes(&anon, "GET", fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)aw, sw), NULL, 0,
		       NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);

	char wrong[65];
	memcpy(wrong, sw, sizeof wrong);
	wrong[0] = wrong[0] == 'f' ? 'e' : 'f';
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (sw[i] >= 'a' && sw[i] <= 'f') ? (char)(sw[i] - 32) : sw[i];
	struct client *who[] = { &anon, &S2.c, &P.c, &V.c, &L.c, &A.c };
	for (size_t k = 0; k < sizeof who / sizeof *who; k++) {
		struct client *c = who[k];
		/* Not consented (a winner), not a winner (consented), guessed neighbours of the public one. */
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)aa, sa), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=1024", (long long)aa, sa), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)ar, sr), reference);
		for (int64_t d = -3; d <= 3; d++)
			if (d != 0)
				refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)(aw + d), sw),
					reference);
		/* The public one under a wrong hash, another size, no size, odd spellings. */
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)aw, wrong), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)aw, upper), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.31s.webp?size=320", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=2560", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=0320", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.jpg?size=320", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/0%lld-%.32s.webp?size=320", (long long)aw, sw), reference);
		refused(c, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=320", (long long)aa, sw), reference);
	}
	/* The private route stays private for the stranger and the other ward. */
	r = http_bytes(&S2.c, "GET", fmt_path("/api/v1/attachments/%lld?size=320", (long long)aw), NULL, 0, NULL);
	cr_assert_eq(r->status, 404, "%s", r->body);
	resp_free(r);
	client_cleanup(&anon);
}
