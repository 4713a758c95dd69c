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

/* Runs a shell command in dir; asserts it succeeded. */
static void sh_in(const char *dir, const char *cmd)
{
	char full[2048];
	snprintf(full, sizeof full, "cd '%s' && { %s; } >/dev/null 2>&1", dir, cmd);
	cr_assert_eq(system(full), 0, "failed: %s", cmd);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* The first line a shell command prints (trimmed), into out. */
static void first_line(const char *cmd, char *out, size_t sz)
{
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (fgets(out, (int)sz, p) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

/*
 * A PNG whose header claims 120 megapixels is refused with 400 invalid_image before it is decoded,
 * and nothing is stored. (Camera photos: camera_files_in_four_formats_… below.)
 */
Test(photos, a_bomb_is_refused_before_decoding_and_stores_nothing)
{
	char dir[] = "/tmp/sk-photos-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[128], cmd[512];
	size_t n;
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	int64_t pid = draft(&L, &A, group, ward);
	struct resp *r;

	/* The bomb: a real PNG header of 12,000 × 10,000 (120 megapixels) with a few rows of data. */
	sh_in(dir, "python3 -c \"import zlib,struct,sys\n"
		   "def c(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))\n"
		   "sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n'+c(b'IHDR',struct.pack('>IIBBBBB',12000,10000,8,0,0,0,0))"
		   "+c(b'IDAT',zlib.compress(bytes(12001*4)))+c(b'IEND',b''))\" > bomb.png");
	snprintf(path, sizeof path, "%s/bomb.png", dir);
	unsigned char *bomb = slurp(path, &n);
	const char *ph[] = { "Content-Type: image/png", NULL };
	const char *q[] = { S64(pid) };
	long long before = db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, q);
	r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), bomb, n, ph);
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	cr_assert_str_eq(err_code(r), "invalid_image");
	resp_free(r);
	free(bomb);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachments WHERE proposal_id = $1", 1, q), before);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	client_cleanup(&A.c);
	client_cleanup(&L.c);
}

/* An iPhone-style HEIC (made with vips through libheif) is accepted as image/heic or image/heif and stored as a JPEG. */
Test(photos, a_heic_photo_is_accepted_and_stored_as_jpeg)
{
	char dir[] = "/tmp/sk-photos-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	sh_in(dir, "vips black b.v 320 240 --bands 3 && vips linear b.v g.v 1 120 && vips copy g.v p.heic");
	char path[128];
	snprintf(path, sizeof path, "%s/p.heic", dir);
	size_t n;
	unsigned char *heic = slurp(path, &n);
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	int64_t pid = draft(&L, &A, group, ward);
	static const char *const types[] = { "Content-Type: image/heic", "Content-Type: image/heif" };
	for (size_t i = 0; i < 2; i++) {
		const char *h[] = { types[i], "X-Filename: IMG_0042.HEIC", NULL };
		struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid),
					    heic, n, h);
		cr_assert_eq(r->status, 201, "%s: %s", types[i], r->body);
		json_t *a = json_object_get(r->json, "attachment");
		cr_assert_str_eq(json_string_value(json_object_get(a, "mime")), "image/jpeg");
		int64_t aid = json_integer_value(json_object_get(a, "id"));
		resp_free(r);
		r = get_with(&A.c, aid, NULL);
		cr_assert_eq(r->status, 200);
		char ct[64];
		cr_assert(resp_header(r, "Content-Type", ct, sizeof ct));
		cr_assert_str_eq(ct, "image/jpeg");
		cr_assert(r->len > 3 && memcmp(r->body, "\xFF\xD8\xFF", 3) == 0, "not a JPEG");
		resp_free(r);
	}
	/* Declared as something else: refused as before. */
	const char *h[] = { "Content-Type: image/png", NULL };
	struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), heic, n, h);
	cr_assert_eq(r->status, 415, "%s", r->body);
	resp_free(r);
	free(heic);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	client_cleanup(&A.c);
	client_cleanup(&L.c);
}

/* Width and height of an image in memory, read with vipsheader through a file in dir. */
static void dims(const char *dir, const struct resp *r, int *w, int *h)
{
	char path[128], cmd[400];
	snprintf(path, sizeof path, "%s/got.img", dir);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(r->body, 1, r->len, f), r->len);
	fclose(f);
	snprintf(cmd, sizeof cmd, "vipsheader -f width '%s'; vipsheader -f height '%s'", path, path);
	FILE *p = popen(cmd, "r");
	*w = *h = 0;
	cr_assert_eq(fscanf(p, "%d %d", w, h), 2);
	pclose(p);
}

static struct resp *get_size(struct client *c, int64_t id, const char *size, const char *if_none_match)
{
	char h[200];
	snprintf(h, sizeof h, "If-None-Match: %s", if_none_match ? if_none_match : "");
	const char *headers[] = { h, NULL };
	return http_bytes(c, "GET", fmt_path("/api/v1/attachments/%lld?size=%s", (long long)id, size), NULL, 0,
			  if_none_match ? headers : NULL);
}

/*
 * A 1,600 × 1,200 photo gets derived sizes: ?size=320 and ?size=1024 give WebP copies of that long
 * side with their own strong ETags (304 on a match); another size is 400 invalid_field (size); a
 * PDF has none and is served whole; a stranger gets 404 for a size as for the photo.
 */
Test(photos, derived_sizes_are_served_with_their_own_etag)
{
	char dir[] = "/tmp/sk-photos-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	sh_in(dir, "vips black b.v 1600 1200 --bands 3 && vips linear b.v g.v 1 140 && vips copy g.v p.jpg");
	char path[128];
	snprintf(path, sizeof path, "%s/p.jpg", dir);
	size_t n;
	unsigned char *jpg = slurp(path, &n);
	int64_t group, ward = seed_ward(PG, &group);
	int64_t other_group, other_ward = seed_ward(PG, &other_group);
	struct person L, A, L2;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	person_new(&L2, other_ward, other_group, "leader");
	int64_t pid = draft(&L, &A, group, ward);
	const char *jh[] = { "Content-Type: image/jpeg", NULL };
	struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), jpg, n,
				    jh);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t aid = json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id"));
	char full_etag[80];
	snprintf(full_etag, sizeof full_etag, "\"%s\"",
		 json_string_value(json_object_get(json_object_get(r->json, "attachment"), "sha256")));
	resp_free(r);
	free(jpg);

	static const char *const sizes[] = { "320", "1024" };
	static const int wants[][2] = { { 320, 240 }, { 1024, 768 } };
	for (size_t i = 0; i < 2; i++) {
		r = get_size(&A.c, aid, sizes[i], NULL);
		cr_assert_eq(r->status, 200, "%s", r->body);
		char ct[64], etag[100], cc[100];
		cr_assert(resp_header(r, "Content-Type", ct, sizeof ct));
		cr_assert_str_eq(ct, "image/webp");
		cr_assert(resp_header(r, "ETag", etag, sizeof etag));
		cr_assert_str_neq(etag, full_etag);
		cr_assert(resp_header(r, "Cache-Control", cc, sizeof cc));
		cr_assert_not_null(strstr(cc, "private"));
		int w, h;
		dims(dir, r, &w, &h);
		cr_assert(w == wants[i][0] && h == wants[i][1], "size %s: %d x %d", sizes[i], w, h);
		resp_free(r);
		r = get_size(&A.c, aid, sizes[i], etag);
		cr_assert_eq(r->status, 304, "%ld", r->status);
		resp_free(r);
		r = get_size(&A.c, aid, sizes[i], full_etag);
		cr_assert_eq(r->status, 200, "the full photo's ETag does not validate a derived size: %ld", r->status);
		resp_free(r);
		r = get_size(&L2.c, aid, sizes[i], NULL);
		cr_assert_eq(r->status, 404, "%ld", r->status);
		resp_free(r);
	}
	static const char *const bad[] = { "100", "320x", "", "-1", "2560" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = get_size(&A.c, aid, bad[i], NULL);
		cr_assert_eq(r->status, 400, "size=%s: %ld", bad[i], r->status);
		cr_assert_str_eq(err_code(r), "invalid_field");
		resp_free(r);
	}
	static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
	const char *ph[] = { "Content-Type: application/pdf", NULL };
	r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), pdf, sizeof pdf - 1, ph);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t pdf_id = json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id"));
	resp_free(r);
	r = get_size(&A.c, pdf_id, "320", NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->len, sizeof pdf - 1);
	resp_free(r);
	/* Removing the photo removes its sizes. */
	const char *q[] = { S64(aid) };
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachment_sizes WHERE attachment_id = $1", 1, q), 2);
	r = http(&A.c, "DELETE", fmt_path("/api/v1/attachments/%lld", (long long)aid), NULL, NULL);
	cr_assert_eq(r->status, 204, "%s", r->body);
	resp_free(r);
	cr_assert_eq(db_int(PG, "SELECT count(*) FROM attachment_sizes WHERE attachment_id = $1", 1, q), 0);

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	client_cleanup(&A.c);
	client_cleanup(&L.c);
	client_cleanup(&L2.c);
}

/*
 * A PDF keeps its bytes' places but loses its document metadata: the Info dictionary's Author,
 * Creator, Title, Producer (literal and hex strings) and an uncompressed XMP packet are blanked,
 * and pdfinfo still reads the stored file (the cross-reference offsets are unchanged).
 */
Test(photos, a_pdf_loses_its_author_creator_and_title)
{
	char dir[] = "/tmp/sk-photos-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	sh_in(dir, "python3 -c \"import sys\n"
		   "objs=[b'<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>', b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',"
		   " b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',"
		   " b'<< /Author (Tran Van Chu-Nha \\\\(0987654321\\\\)) /Creator <4E677579656E> /Title (De an cua ong Nha)"
		   " /Producer (LibreOffice) >>',"
		   " b'<< /Type /Metadata /Subtype /XML /Length 60 >>\\nstream\\n<x:xmpmeta><dc:creator>Tran Van Chu-Nha</dc:creator></x:xmpmeta>\\nendstream']\n"
		   "out=b'%PDF-1.4\\n'; offs=[]\n"
		   "for i,o in enumerate(objs):\n"
		   "  offs.append(len(out)); out+=b'%d 0 obj\\n'%(i+1)+o+b'\\nendobj\\n'\n"
		   "x=len(out); out+=b'xref\\n0 %d\\n0000000000 65535 f \\n'%(len(objs)+1)\n"
		   "for f in offs: out+=b'%010d 00000 n \\n'%f\n"
		   "out+=b'trailer\\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\\nstartxref\\n%d\\n%%%%EOF\\n'%(len(objs)+1,x)\n"
		   "sys.stdout.buffer.write(out)\" > doc.pdf && pdfinfo doc.pdf | grep -q 'Tran Van'");
	char path[128];
	snprintf(path, sizeof path, "%s/doc.pdf", dir);
	size_t n;
	unsigned char *pdf = slurp(path, &n);
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	int64_t pid = draft(&L, &A, group, ward);
	const char *ph[] = { "Content-Type: application/pdf", NULL };
	struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), pdf, n, ph);
	cr_assert_eq(r->status, 201, "%s", r->body);
	int64_t aid = json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id"));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "size")), (json_int_t)n);
	resp_free(r);
	free(pdf);
	r = get_with(&A.c, aid, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->len, n);
	static const char *const leaks[] = { "Tran Van", "0987654321", "De an cua", "LibreOffice", "4E677579656E", "dc:creator" };
	for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++)
		cr_assert_null(memmem(r->body, r->len, leaks[i], strlen(leaks[i])), "%s survives in the stored PDF", leaks[i]);
	snprintf(path, sizeof path, "%s/stored.pdf", dir);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(r->body, 1, r->len, f), r->len);
	fclose(f);
	resp_free(r);
	sh_in(dir, "pdfinfo stored.pdf && ! pdfinfo stored.pdf | grep -q 'Tran Van'");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	client_cleanup(&A.c);
	client_cleanup(&L.c);
}

/*
 * Camera files in the four formats a phone sends, made here with the vips CLI and exiftool: a
 * 300 x 200 photo (black left half, white right half) carrying EXIF (GPS position, Artist, serial
 * number, Orientation 6 = turn 90 degrees clockwise, an embedded JPEG thumbnail), XMP, an ICC
 * profile and, where exiftool can write it, IPTC (JPEG, PNG). Each is uploaded with its own type;
 * the stored photo and both derived sizes (?size=320, ?size=1024) are read back with exiftool:
 * none of it is left, not even the ICC profile or an Orientation tag. The orientation is in the
 * pixels: the JPEG, PNG and WebP come back 200 x 300 with the black half on top. HEIC: libheif
 * turns a photo by its HEIF transformations (irot, imir), and EXIF Orientation in a HEIF file is
 * informative only (ISO/IEC 23008-12; iPhones write both), so it comes back 300 x 200, black on
 * the left, and is not turned twice. vips cannot write irot, so a HEIC turned by irot is not
 * covered here.
 */
Test(photos, camera_files_in_four_formats_lose_all_metadata_in_every_stored_size_and_are_upright, .timeout = 240)
{
	char dir[] = "/tmp/sk-photos-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	/* The ICC profile: libvips' built-in sRGB, taken out of a JPEG it was embedded in. */
	sh_in(dir, "vips black b.v 150 200 --bands 3 && vips linear b.v w.v 1 255 && vips black c.v 300 200 --bands 3"
		   " && vips insert c.v w.v half.v 150 0 && vips copy half.v thumb.jpg"
		   " && vips icc_transform half.v prof.v srgb --input-profile srgb && vips copy prof.v prof.jpg"
		   " && exiftool -b -ICC_Profile prof.jpg > p.icc && test -s p.icc"
		   " && vips copy half.v cam.jpg && vips copy half.v cam.png && vips copy half.v cam.webp"
		   " && vips copy prof.v cam.heic");
	static const struct {
		const char *file, *type, *stored;
		bool turned, iptc;
	} cams[] = {
		{ "cam.jpg", "image/jpeg", "image/jpeg", true, true },
		{ "cam.png", "image/png", "image/png", true, true },
		{ "cam.webp", "image/webp", "image/webp", true, false },
		{ "cam.heic", "image/heic", "image/jpeg", false, false },
	};
	int64_t group, ward = seed_ward(PG, &group);
	struct person L, A;
	person_new(&L, ward, group, "leader");
	person_new(&A, ward, group, NULL);
	int64_t pid = draft(&L, &A, group, ward);
	char cmd[1024], path[160], out[8192];
	for (size_t k = 0; k < sizeof cams / sizeof *cams; k++) {
		snprintf(cmd, sizeof cmd,
			 "exiftool -q -q -overwrite_original -Orientation#=6 -GPSLatitude=10.7769 -GPSLatitudeRef=N"
			 " -GPSLongitude=106.7009 -GPSLongitudeRef=E -Artist='Nguyen Van A' -SerialNumber=CAM123"
			 " -XMP-dc:Creator='Nguyen Van A' -IPTC:By-line='Nguyen Van A' '-ThumbnailImage<=thumb.jpg'"
			 " '-ICC_Profile<=p.icc' %s",
			 cams[k].file);
		sh_in(dir, cmd);
		/* The file carries what a camera writes (exiftool cannot put an ICC profile in a HEIC: vips did). */
		snprintf(cmd, sizeof cmd,
			 "exiftool -a -G1 -s -GPSLatitude -ThumbnailLength -XMP-dc:Creator -IPTC:By-line -ProfileDescription"
			 " -Orientation '%s/%s' | tr '\\n' '|'",
			 dir, cams[k].file);
		first_line(cmd, out, sizeof out);
		cr_assert(strstr(out, "GPSLatitude") && strstr(out, "ThumbnailLength") && strstr(out, "XMP-dc") &&
				  strstr(out, "ProfileDescription") && strstr(out, "Rotate 90 CW") &&
				  (!cams[k].iptc || strstr(out, "By-line")),
			  "%s lacks its metadata: %s", cams[k].file, out);
		snprintf(path, sizeof path, "%s/%s", dir, cams[k].file);
		size_t n;
		unsigned char *bytes = slurp(path, &n);
		char ct[64];
		snprintf(ct, sizeof ct, "Content-Type: %s", cams[k].type);
		const char *h[] = { ct, "X-Filename: IMG_0042", NULL };
		struct resp *r = http_bytes(&A.c, "POST", fmt_path("/api/v1/proposals/%lld/attachments", (long long)pid), bytes,
					    n, h);
		free(bytes);
		cr_assert_eq(r->status, 201, "%s: %s", cams[k].file, r->body);
		int64_t aid = json_integer_value(json_object_get(json_object_get(r->json, "attachment"), "id"));
		resp_free(r);
		static const char *const sizes[] = { NULL, "320", "1024" };
		for (size_t z = 0; z < 3; z++) {
			r = sizes[z] ? get_size(&A.c, aid, sizes[z], NULL) : get_with(&A.c, aid, NULL);
			cr_assert_eq(r->status, 200, "%s ?size=%s: %ld", cams[k].file, sizes[z] ? sizes[z] : "-", r->status);
			int w, hgt;
			dims(dir, r, &w, &hgt); /* writes got.img */
			resp_free(r);
			const char *what = sizes[z] ? sizes[z] : "stored";
			snprintf(cmd, sizeof cmd, "exiftool -a -G1 -s '%s/got.img' | tr '\\n' '|'", dir);
			first_line(cmd, out, sizeof out);
			static const char *const leaks[] = { "GPS",  "Nguyen Van A", "CAM123",	   "XMP",    "IPTC", "By-line",
							     "Thumbnail", "Orientation", "ICC",	   "Profile", "Artist", "Serial" };
			for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++)
				cr_assert_null(strstr(out, leaks[i]), "%s (%s): %s survives: %s", cams[k].file, what, leaks[i],
					       out);
			/* Never enlarged: the photo is smaller than both derived sizes. */
			int tw = cams[k].turned ? 200 : 300, th = cams[k].turned ? 300 : 200;
			cr_assert(w == tw && hgt == th, "%s (%s): %d x %d, not %d x %d", cams[k].file, what, w, hgt, tw, th);
			/* Where the black half went: top (turned) or left (HEIC). */
			snprintf(cmd, sizeof cmd,
				 "cd '%s' && vips crop got.img a.v %d %d 10 10 && vips avg a.v && vips crop got.img b.v %d %d 10 10"
				 " && vips avg b.v",
				 dir, cams[k].turned ? 95 : 20, cams[k].turned ? 20 : 95, cams[k].turned ? 95 : 270,
				 cams[k].turned ? 270 : 95);
			FILE *p = popen(cmd, "r");
			double dark = -1, light = -1;
			cr_assert_eq(fscanf(p, "%lf %lf", &dark, &light), 2, "%s (%s): vips crop failed", cams[k].file, what);
			pclose(p);
			cr_assert(dark < 30 && light > 225, "%s (%s): %.0f where black should be, %.0f where white", cams[k].file,
				  what, dark, light);
		}
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	client_cleanup(&A.c);
	client_cleanup(&L.c);
}
