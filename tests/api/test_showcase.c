/*
 * Issue 11, "pictures where people look": the author's consents to publish the photos and their
 * contact (sql/026), and the public photos of published winners. Consent off: no photo URL anywhere
 * public and the public route 404s; consent on and a published winner: URLs in the results, the
 * catalogue and the model, served immutable with an ETag and 304; a non-winner, an unpublished call,
 * a PDF, a withdrawn proposal, an award taken away: 404. The contact is the author's only with
 * consent, else the ward's. A consent change is audited; giving one after the deadline is 409.
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
	/* Sessions that outlive a jump of the test clock past the deadline. */
	static const char *const env[] = { "SANGKIEN_SESSION_IDLE=864000", "SANGKIEN_SESSION_ABSOLUTE=864000", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(showcase, .init = up, .fini = down, .timeout = 180);

#define S64(v) fmt_path("%lld", (long long)(v))

/* A valid 2 × 1 RGB PNG (a green and a blue pixel). */
static const unsigned char PNG[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x7b, 0x40, 0xe8, 0xdd, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0x00, 0x04, 0xff, 0x01, 0x07, 0x00, 0x01, 0xff,
	0xe2, 0x23, 0x9e, 0x59, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const char PDF[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

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

/* An open call of ward closing in a day; returns its id. */
static int64_t open_call(struct person *leader, int64_t ward)
{
	char o[40], c[40];
	iso(time(NULL) - 3600, o);
	iso(time(NULL) + 86400, c);
	int64_t cid = created_id(http_json(&leader->c, "POST", fmt_path("/api/v1/wards/%lld/campaigns", (long long)ward),
					   json_pack("{s:s,s:s,s:s}", "title", "Sáng kiến chuyển đổi số", "opens_at", o,
						     "closes_at", c)),
				 "campaign");
	struct resp *r = http_json(&leader->c, "POST", fmt_path("/api/v1/campaigns/%lld/transitions", (long long)cid),
				   json_pack("{s:s}", "to", "open"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	return cid;
}

/* A submitted proposal of author in call cid, complete, with title; returns its id. */
static int64_t submitted(struct person *author, int64_t cid, int64_t group, const char *title)
{
	return created_id(
		http_json(&author->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
			  json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:b}", "group_id", (json_int_t)group, "title", title,
				    "summary", "Tóm tắt", "problem", "Người già không biết quét mã", "model", "Tổ hỗ trợ",
				    "beneficiaries", "Người cao tuổi", "households", 120, "resources",
				    "2 tình nguyện viên, 1 máy tính bảng", "cost_vnd", (json_int_t)5000000, "submit", 1)),
		"proposal");
}

/* Uploads a file to proposal pid; returns the attachment's id and its sha256 into sha. */
static int64_t upload(struct person *author, int64_t pid, const void *body, size_t len, const char *type, char sha[65])
{
	char ct[64];
	snprintf(ct, sizeof ct, "Content-Type: %s", type);
	const char *h[] = { ct, NULL };
	struct resp *r = http_bytes(&author->c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), body,
				    len, h);
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

/*
 * Publishes call cid with the given proposals as winners, in the database: the state, a decision,
 * and catalogue rows (as decision_publish makes them). Returns the model id of the first winner.
 */
static int64_t publish(int64_t ward, int64_t cid, int64_t leader, const int64_t *winners, int n, int64_t *models)
{
	const char *up[] = { S64(cid) };
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, up));
	char snap[1024];
	int k = snprintf(snap, sizeof snap, "{\"campaign_title\":\"Sáng kiến\",\"ranking\":[");
	for (int i = 0; i < n; i++)
		k += snprintf(snap + k, sizeof snap - (size_t)k, "%s{\"rank\":%d,\"proposal_id\":%lld,\"title\":\"P%d\",\"award\":\"Giải %d\"}",
			      i ? "," : "", i + 1, (long long)winners[i], i, i + 1);
	snprintf(snap + k, sizeof snap - (size_t)k, "]}");
	const char *dp[] = { S64(ward), S64(cid), S64(leader), snap };
	int64_t decision = db_int(PG,
				  "INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot,"
				  " decided_by, decided_at, published_by, published_at) VALUES ($2, $1, 1, 'raw', repeat('b', 64),"
				  " $4::jsonb, $3, now(), $3, now()) RETURNING id",
				  4, dp);
	for (int i = 0; i < n; i++) {
		const char *mp[] = { S64(winners[i]), S64(cid), S64(ward), S64(decision), fmt_path("Giải %d", i + 1) };
		models[i] = db_int(PG,
				   "INSERT INTO models (proposal_id, campaign_id, ward_id, decision_id, award, title, summary, model,"
				   " search_text, published_at) SELECT $1, $2, $3, $4, $5, p.title, p.summary, p.model, p.search_text, now()"
				   " FROM proposals p WHERE p.id = $1 RETURNING id",
				   5, mp);
	}
	return models[0];
}

static struct resp *get(struct client *c, const char *path, const char *if_none_match)
{
	char h[200];
	snprintf(h, sizeof h, "If-None-Match: %s", if_none_match ? if_none_match : "");
	const char *headers[] = { h, NULL };
	return http_bytes(c, "GET", path, NULL, 0, if_none_match ? headers : NULL);
}

/* The public photo URL of attachment aid (sha: its SHA-256) at size side. */
static const char *photo_url(int64_t aid, const char *sha, int side)
{
	return fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=%d", (long long)aid, sha, side);
}

static long status_of(struct client *c, const char *path)
{
	struct resp *r = get(c, path, NULL);
	long st = r->status;
	if (st == 404)
		cr_assert_str_eq(err_code(r), "not_found", "%s: %s", path, r->body);
	resp_free(r);
	return st;
}

/* The showcase entry of proposal pid in the public results of cid (NULL: none), a new reference. */
static json_t *results_entry(struct client *c, int64_t cid, int64_t pid)
{
	struct resp *r = get(c, fmt_path("/api/v1/campaigns/%lld/results", (long long)cid), NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *show = json_object_get(r->json, "showcase"), *e, *found = NULL;
	cr_assert(json_is_array(show), "results without showcase: %s", r->body);
	size_t i;
	json_array_foreach(show, i, e) if (json_integer_value(json_object_get(e, "proposal_id")) == pid) found = json_incref(e);
	resp_free(r);
	return found;
}

/* The catalogue entry of model mid in ward's catalogue, a new reference (NULL: none). */
static json_t *catalogue_entry(struct client *c, int64_t ward, int64_t mid)
{
	struct resp *r = get(c, fmt_path("/api/v1/models?ward_id=%lld", (long long)ward), NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *e, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(r->json, "models"), i, e) if (json_integer_value(json_object_get(e, "id")) == mid)
		found = json_incref(e);
	resp_free(r);
	return found;
}

static json_t *model_of(struct client *c, int64_t mid)
{
	struct resp *r = get(c, fmt_path("/api/v1/models/%lld", (long long)mid), NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *m = json_incref(json_object_get(r->json, "model"));
	resp_free(r);
	return m;
}

static size_t photo_count(json_t *o)
{
	return json_array_size(json_object_get(o, "photos"));
}

Test(showcase, consented_winners_photos_are_public_and_immutable_everything_else_is_404)
{
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A, B, C;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL); /* consents to both */
	person_new(&B, ward, group, NULL); /* consents to nothing */
	person_new(&C, ward, group, NULL); /* consents, but does not win */
	int64_t cid = open_call(&L, ward);
	int64_t pa = submitted(&A, cid, group, "Chợ không tiền mặt");
	int64_t pb = submitted(&B, cid, group, "Sổ tay số");
	int64_t pc = submitted(&C, cid, group, "Loa thông minh");
	char sha_a[65], sha_pdf[65], sha_b[65], sha_c[65];
	int64_t aa = upload(&A, pa, PNG, sizeof PNG, "image/png", sha_a);
	int64_t apdf = upload(&A, pa, PDF, sizeof PDF - 1, "application/pdf", sha_pdf);
	int64_t ab = upload(&B, pb, PNG, sizeof PNG, "image/png", sha_b);
	int64_t ac = upload(&C, pc, PNG, sizeof PNG, "image/png", sha_c);

	/* The consents are off by default, shown to the author, and set by the author. */
	struct resp *r = get(&A.c, fmt_path("/api/v1/proposals/%lld", (long long)pa), NULL);
	json_t *p = json_object_get(r->json, "proposal");
	cr_assert(json_is_false(json_object_get(p, "publish_photos")), "%s", r->body);
	cr_assert(json_is_false(json_object_get(p, "publish_contact")), "%s", r->body);
	cr_assert(json_is_null(json_object_get(p, "publish_photos_at")), "%s", r->body);
	resp_free(r);
	r = publicity(&A.c, pa, true, true);
	cr_assert_eq(r->status, 200, "%s", r->body);
	p = json_object_get(r->json, "proposal");
	cr_assert(json_is_true(json_object_get(p, "publish_photos")), "%s", r->body);
	cr_assert(json_is_string(json_object_get(p, "publish_contact_at")), "%s", r->body);
	resp_free(r);
	r = publicity(&C.c, pc, true, false);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	/* Audited, once per change (the same again changes nothing and writes nothing). */
	r = publicity(&A.c, pa, true, true);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	char subject[48];
	snprintf(subject, sizeof subject, "proposal:%lld", (long long)pa);
	const char *ap[] = { subject };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'proposal_publicity_changed' AND subject = $1",
			    1, ap),
		     1);
	/* A panel never sees the consents, blind or not. */
	const char *pq[] = { S64(pa) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals p WHERE id = $1 AND (proposal_panel_json(p, true) ?| $2::text[]"
				" OR proposal_panel_json(p, false) ?| $2::text[])",
			    2, (const char *[]){ pq[0], "{publish_photos,publish_photos_at,publish_contact,publish_contact_at}" }),
		     0);
	/* A bad body changes nothing. */
	r = http(&A.c, "PUT", fmt_path("/api/v1/proposals/%lld/publicity", (long long)pa), "{\"photos\": \"yes\"}", NULL);
	cr_assert_eq(r->status, 400, "%s", r->body);
	resp_free(r);
	/* Another resident's proposal does not exist for them; a leader reads but does not consent. */
	r = publicity(&B.c, pa, false, false);
	cr_assert_eq(r->status, 404, "%s", r->body);
	resp_free(r);
	r = publicity(&L.c, pb, true, true);
	cr_assert_eq(r->status, 404, "%s", r->body);
	resp_free(r);

	/* The ward's public contact, by its leader. */
	r = http_json(&L.c, "PUT", fmt_path("/api/v1/wards/%lld/public-contact", (long long)ward),
		      json_pack("{s:s}", "public_contact", "Văn phòng UBND phường, 0236 3822 000"));
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	r = http_json(&A.c, "PUT", fmt_path("/api/v1/wards/%lld/public-contact", (long long)ward),
		      json_pack("{s:s}", "public_contact", "hacked"));
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);

	/* Before publication nothing is public, consent or not. */
	struct client anon;
	client_init(&anon, &S);
	for (int side = 320; side <= 1024; side += 704)
		cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, side)), 404);

	/* Deadline passed: giving a consent is refused (409), nothing changes. */
	C.c.now = time(NULL) + 2 * 86400;
	r = publicity(&C.c, pc, true, true);
	cr_assert_eq(r->status, 409, "%s", r->body);
	cr_assert_str_eq(err_code(r), "campaign_not_accepting");
	resp_free(r);
	C.c.now = 0;
	const char *cp[] = { S64(pc) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND contact_public_at IS NULL", 1, cp), 1);

	int64_t winners[] = { pa, pb }, models[2];
	publish(ward, cid, L.id, winners, 2, models);

	/* A: URLs in the results, the catalogue and the model page; its contact is the author's. */
	json_t *ra = results_entry(&anon, cid, pa), *rb = results_entry(&anon, cid, pb);
	cr_assert_not_null(ra);
	cr_assert_not_null(rb);
	cr_assert_eq(photo_count(ra), 1, "%s", json_dumps(ra, 0));
	json_t *ph = json_array_get(json_object_get(ra, "photos"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(ph, "src_320")), photo_url(aa, sha_a, 320));
	cr_assert_str_eq(json_string_value(json_object_get(ph, "src_1024")), photo_url(aa, sha_a, 1024));
	json_t *contact = json_object_get(ra, "contact");
	cr_assert_str_eq(json_string_value(json_object_get(contact, "kind")), "author");
	cr_assert_not_null(strstr(json_string_value(json_object_get(contact, "phone")), A.phone + 1));
	/* B consented to nothing: no photo, the ward's contact. */
	cr_assert_eq(photo_count(rb), 0);
	contact = json_object_get(rb, "contact");
	cr_assert_str_eq(json_string_value(json_object_get(contact, "kind")), "ward");
	cr_assert_str_eq(json_string_value(json_object_get(contact, "details")), "Văn phòng UBND phường, 0236 3822 000");
	cr_assert_null(json_object_get(contact, "phone"));
	json_decref(ra);
	json_decref(rb);

	json_t *ca = catalogue_entry(&anon, ward, models[0]), *cb = catalogue_entry(&anon, ward, models[1]);
	cr_assert_not_null(ca);
	cr_assert_not_null(cb);
	cr_assert_eq(photo_count(ca), 1);
	cr_assert_eq(photo_count(cb), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(cb, "contact"), "kind")), "ward");
	json_decref(ca);
	json_decref(cb);
	json_t *ma = model_of(&anon, models[0]);
	cr_assert_eq(photo_count(ma), 1);
	cr_assert_str_eq(json_string_value(json_object_get(ma, "problem")), "Người già không biết quét mã");
	cr_assert_str_eq(json_string_value(json_object_get(ma, "resources")), "2 tình nguyện viên, 1 máy tính bảng");
	cr_assert_eq(json_integer_value(json_object_get(ma, "households")), 120);
	cr_assert_eq(json_integer_value(json_object_get(ma, "cost_vnd")), 5000000);
	json_decref(ma);

	/* The photo: WebP, immutable for a year, a strong ETag, 304 on a repeat. */
	for (int side = 320; side <= 1024; side += 704) {
		r = get(&anon, photo_url(aa, sha_a, side), NULL);
		cr_assert_eq(r->status, 200, "%s", r->body);
		char h[512], etag[128];
		cr_assert(resp_header(r, "Content-Type", h, sizeof h));
		cr_assert_str_eq(h, "image/webp");
		cr_assert(resp_header(r, "Cache-Control", h, sizeof h));
		cr_assert_str_eq(h, "public, max-age=31536000, immutable");
		cr_assert(resp_header(r, "ETag", etag, sizeof etag));
		cr_assert(etag[0] == '"' && strlen(etag) == 66, "%s", etag);
		cr_assert(r->len > 12 && !memcmp(r->body + 8, "WEBP", 4));
		resp_free(r);
		r = get(&anon, photo_url(aa, sha_a, side), etag);
		cr_assert_eq(r->status, 304);
		cr_assert_eq(r->len, 0);
		cr_assert(resp_header(r, "Cache-Control", h, sizeof h));
		cr_assert_str_eq(h, "public, max-age=31536000, immutable");
		resp_free(r);
	}
	/* Not public: no consent, not a winner, a PDF, another size, a wrong hash, no size. */
	cr_assert_eq(status_of(&anon, photo_url(ab, sha_b, 320)), 404);
	cr_assert_eq(status_of(&anon, photo_url(ac, sha_c, 320)), 404);
	cr_assert_eq(status_of(&anon, photo_url(apdf, sha_pdf, 320)), 404);
	cr_assert_eq(status_of(&anon, fmt_path("/api/v1/public/photos/%lld-%.32s.webp?size=640", (long long)aa, sha_a)), 404);
	cr_assert_eq(status_of(&anon, fmt_path("/api/v1/public/photos/%lld-%.32s.webp", (long long)aa, sha_a)), 404);
	char wrong[65];
	memcpy(wrong, sha_a, sizeof wrong);
	wrong[31] = wrong[31] == '0' ? '1' : '0';
	cr_assert_eq(status_of(&anon, photo_url(aa, wrong, 320)), 404);

	/* The award taken away by a correction, or the proposal withdrawn: 404 again. */
	const char *mp[] = { S64(models[0]) };
	PQclear(db_exec(PG, "UPDATE models SET award = NULL WHERE id = $1", 1, mp));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 404);
	PQclear(db_exec(PG, "UPDATE models SET award = 'Giải 1' WHERE id = $1", 1, mp));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 200);
	const char *pp[] = { S64(pa) };
	PQclear(db_exec(PG, "UPDATE proposals SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1", 1, pp));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 404);
	PQclear(db_exec(PG, "UPDATE proposals SET status = 'submitted', withdrawn_at = NULL WHERE id = $1", 1, pp));
	/* The call back in 'decided' (not published): 404. */
	const char *cc[] = { S64(cid) };
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'decided' WHERE id = $1", 1, cc));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 404);
	PQclear(db_exec(PG, "UPDATE campaigns SET state = 'published' WHERE id = $1", 1, cc));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 200);

	/* Consent withdrawn after publication: allowed, audited, and the photo stops at once. */
	r = publicity(&A.c, pa, false, false);
	cr_assert_eq(r->status, 200, "%s", r->body);
	resp_free(r);
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 404);
	ra = results_entry(&anon, cid, pa);
	cr_assert_eq(photo_count(ra), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ra, "contact"), "kind")), "ward");
	json_decref(ra);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM audit_log WHERE action = 'proposal_publicity_changed' AND subject = $1",
			    1, ap),
		     2);
	/* …but not given again once the call is over. */
	r = publicity(&A.c, pa, true, false);
	cr_assert_eq(r->status, 409, "%s", r->body);
	cr_assert_str_eq(err_code(r), "campaign_not_accepting");
	resp_free(r);
	char pa_s[24];
	snprintf(pa_s, sizeof pa_s, "%lld", (long long)pa);
	const char *pq2[] = { pa_s };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM proposals WHERE id = $1 AND photos_public_at IS NULL", 1, pq2), 1);

	/* An author who deletes their account takes the consents back with it. */
	PQclear(db_exec(PG, "UPDATE proposals SET photos_public_at = now(), contact_public_at = now() WHERE id = $1", 1, pq2));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 200);
	const char *dq[] = { S64(A.id) };
	PQclear(db_exec(PG, "INSERT INTO account_deletions (account_id, deleted_at) VALUES ($1, now())", 1, dq));
	cr_assert_eq(status_of(&anon, photo_url(aa, sha_a, 320)), 404);
	json_t *gone = model_of(&anon, models[0]);
	cr_assert_eq(photo_count(gone), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(gone, "contact"), "kind")), "ward");
	json_decref(gone);
	client_cleanup(&anon);
}
