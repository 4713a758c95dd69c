/*
 * Photos (issue 11), serving: an attachment is sent with a strong ETag (its SHA-256), a private but
 * cacheable Cache-Control, and If-None-Match answers 304 with no body; nobody else learns anything
 * from a matching If-None-Match (404 as before).
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

TestSuite(photos, .init = up, .fini = down, .timeout = 120);

#define S64(v) fmt_path("%lld", (long long)(v))

/* A valid 2 × 1 RGB PNG (a green and a blue pixel). */
static const unsigned char PNG[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x7b, 0x40, 0xe8, 0xdd, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0x00, 0x04, 0xff, 0x01, 0x07, 0x00, 0x01, 0xff,
	0xe2, 0x23, 0x9e, 0x59, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

struct person {
	struct client c;
	int64_t id;
};

/* An account with role in ward (a resident: in group), logged in from a loopback address of its own. */
static void person_new(struct person *p, int64_t ward, int64_t group, const char *role)
{
	client_init(&p->c, &S);
	snprintf(p->c.source_ip, sizeof p->c.source_ip, "127.%ld.%ld.%ld", 1 + random() % 250, 1 + random() % 250,
		 2 + random() % 250);
	char phone[16];
	rand_phone(phone);
	p->id = register_account(&p->c, phone, TEST_PASSWORD, ward, group);
	if (role)
		grant_role(PG, p->id, ward, role);
	cr_assert_eq(login(&p->c, phone, TEST_PASSWORD), 201);
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

/* An open call of ward and a draft proposal of author in it; returns the proposal's id. */
static int64_t draft(struct person *leader, struct person *author, int64_t group, int64_t ward)
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
	return created_id(http_json(&author->c, "POST", fmt_path("/api/v1/campaigns/%lld/proposals", (long long)cid),
				    json_pack("{s:I,s:s}", "group_id", (json_int_t)group, "title", "Có ảnh")),
			  "proposal");
}

static struct resp *get_with(struct client *c, int64_t id, const char *if_none_match)
{
	char h[200];
	snprintf(h, sizeof h, "If-None-Match: %s", if_none_match ? if_none_match : "");
	const char *headers[] = { h, NULL };
	return http_bytes(c, "GET", fmt_path("/api/v1/attachments/%lld", (long long)id), NULL, 0,
			  if_none_match ? headers : NULL);
}

Test(photos, attachments_carry_a_strong_etag_and_a_private_cache_lifetime_and_revalidate_with_304)
{
	int64_t group, ward = seed_ward(PG, &group);
	int64_t other_group, other_ward = seed_ward(PG, &other_group);
	struct person L, A, B, L2;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	person_new(&B, ward, group, NULL);
	person_new(&L2, other_ward, other_group, "leader");
	int64_t pid = draft(&L, &A, group, ward);
	const char *up_headers[] = { "Content-Type: image/png", "X-Filename: anh.png", NULL };
	struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), PNG,
				    sizeof PNG, up_headers);
	cr_assert_eq(r->status, 201, "%s", r->body);
	json_t *a = json_object_get(r->json, "attachment");
	int64_t aid = json_integer_value(json_object_get(a, "id"));
	char etag[80];
	snprintf(etag, sizeof etag, "\"%s\"", json_string_value(json_object_get(a, "sha256")));
	resp_free(r);

	/* The first view: the bytes, the SHA-256 as a strong ETag, cacheable by the browser only. */
	r = get_with(&A.c, aid, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	char h[512];
	cr_assert(resp_header(r, "ETag", h, sizeof h), "no ETag");
	cr_assert_str_eq(h, etag);
	cr_assert(resp_header(r, "Cache-Control", h, sizeof h));
	cr_assert_not_null(strstr(h, "private"), "Cache-Control: %s", h);
	cr_assert_not_null(strstr(h, "max-age="), "Cache-Control: %s", h);
	cr_assert_null(strstr(h, "no-store"), "Cache-Control: %s", h);
	size_t full = r->len;
	resp_free(r);
	cr_assert_gt(full, 0);

	/* A repeat view: 304, no body, the same validator. A weak form of it matches too. */
	char weak[90], listed[200];
	snprintf(weak, sizeof weak, "W/%s", etag);
	snprintf(listed, sizeof listed, "\"0000\", %s", etag);
	const char *variants[] = { etag, weak, listed, "*" };
	for (size_t i = 0; i < 4; i++) {
		r = get_with(&A.c, aid, variants[i]);
		cr_assert_eq(r->status, 304, "If-None-Match: %s -> %ld", variants[i], r->status);
		cr_assert_eq(r->len, 0);
		cr_assert(resp_header(r, "ETag", h, sizeof h));
		cr_assert_str_eq(h, etag);
		resp_free(r);
	}
	/* Another validator: the whole file again. */
	r = get_with(&A.c, aid, "\"0123456789abcdef\"");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_eq(r->len, full);
	resp_free(r);

	/* Someone who may not see it learns nothing from guessing the hash: 404, not 304. */
	r = get_with(&B.c, aid, etag);
	cr_assert_eq(r->status, 404, "%ld", r->status);
	resp_free(r);
	r = get_with(&L2.c, aid, etag);
	cr_assert_eq(r->status, 404, "%ld", r->status);
	resp_free(r);
	struct client anon;
	client_init(&anon, &S);
	r = get_with(&anon, aid, etag);
	cr_assert_eq(r->status, 401, "%ld", r->status);
	resp_free(r);
	client_cleanup(&anon);
	client_cleanup(&A.c);
	client_cleanup(&B.c);
	client_cleanup(&L.c);
	client_cleanup(&L2.c);
}
