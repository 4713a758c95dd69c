/*
 * The documents of a call (issue 10) against the real daemon: the minutes PDF (read back with
 * pdftotext and pdfinfo), the XLSX of the ranking (opened as a zip by python3, its numbers equal to
 * the results JSON's), the QR poster (rasterised by pdftoppm and decoded by zbarimg to the call's or
 * the results' absolute address under --public-url), ETags and 304s, and the refusals (404) for
 * calls without published results and for a poster of a call that is neither open nor published.
 * The published calls are inserted directly from bench/documents_seed.sql (the same seed as the benchmark).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct srv S;
static PGconn *PG;
static int64_t WARD, ACCOUNT;

#define PUBLIC_URL "https://phuong-hai-chau.example.vn"

static void up(void)
{
	const char *env[] = { "SANGKIEN_PUBLIC_URL=" PUBLIC_URL "/", NULL }; /* the trailing '/' is dropped */
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
	int64_t group;
	WARD = seed_ward(PG, &group);
	char phone[16], login[20];
	rand_phone(phone);
	snprintf(login, sizeof login, "+84%s", phone + 1);
	const char *p[] = { login };
	ACCOUNT = db_int(PG, "INSERT INTO accounts (login, login_kind, display_name) VALUES ($1, 'phone', 'Lãnh đạo')"
			     " RETURNING id", 1, p);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(documents, .init = up, .fini = down, .timeout = 120);

/* ---- Helpers ------------------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot read %s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* The standard output of the shell command (caller frees); fails the test when it exits non-zero. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	int rc = pclose(p);
	cr_assert_eq(rc, 0, "%s exited %d; output:\n%s", cmd, rc, buf);
	return buf;
}

/* Writes the body of r to a new temporary file named …suffix; returns its path (static storage per slot). */
static const char *save(const struct resp *r, const char *suffix)
{
	static char paths[4][64];
	static int next;
	char *path = paths[next++ % 4];
	snprintf(path, 64, "/tmp/sk-doc-XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, r->body, r->len), (ssize_t)r->len);
	close(fd);
	return path;
}

/* A published call of n proposals (bench/documents_seed.sql); returns its id. */
static int64_t seed_published(int n, const char *title)
{
	char *sql = slurp(fmt_path("%s/bench/documents_seed.sql", getenv("SANGKIEN_SRC")));
	const char *p[] = { fmt_path("%lld", (long long)WARD), fmt_path("%lld", (long long)ACCOUNT), fmt_path("%d", n),
			    title };
	int64_t cid = db_int(PG, sql, 4, p);
	free(sql);
	return cid;
}

/* A call in state (no decision); returns its id. */
static int64_t seed_call(const char *state, const char *title)
{
	const char *p[] = { fmt_path("%lld", (long long)WARD), title, state };
	return db_int(PG,
		      "INSERT INTO campaigns (ward_id, title, opens_at, closes_at, state, config_digest)"
		      " VALUES ($1, $2, now() - interval '1 day', '2026-12-31 10:00:00+00', $3,"
		      "  CASE WHEN $3 = 'draft' THEN NULL ELSE repeat('d', 64) END) RETURNING id",
		      3, p);
}

static struct resp *get(const char *path, const char *if_none_match)
{
	struct client c;
	client_init(&c, &S);
	char h[256];
	snprintf(h, sizeof h, "If-None-Match: %s", if_none_match ? if_none_match : "");
	const char *headers[] = { h, NULL };
	struct resp *r = http(&c, "GET", path, NULL, if_none_match ? headers : NULL);
	client_cleanup(&c);
	return r;
}

/* The text of a PDF (pages first..last) as pdftotext reads it, every run of white space made one space. */
static char *pdf_text(const char *path, int first, int last)
{
	char *text = run(fmt_path("pdftotext -enc UTF-8 -f %d -l %d '%s' -", first, last, path));
	char *w = text;
	for (const char *r = text; *r; r++) {
		bool space = *r == ' ' || *r == '\n' || *r == '\t' || *r == '\f';
		if (space && (w == text || w[-1] == ' '))
			continue;
		*w++ = space ? ' ' : *r;
	}
	*w = '\0';
	return text;
}

static void assert_contains(const char *text, const char *needle)
{
	cr_assert(strstr(text, needle) != NULL, "missing \"%s\" in:\n%s", needle, text);
}

/* ---- The minutes ---------------------------------------------------------------------------------- */

Test(documents, minutes_pdf_has_header_winners_signatures_and_two_pages)
{
	int64_t cid = seed_published(10, "Sáng kiến chuyển đổi số phường Hải Châu 2026");
	struct resp *r = get(fmt_path("/api/v1/campaigns/%lld/minutes.pdf", (long long)cid), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	char ct[128];
	cr_assert(resp_header(r, "Content-Type", ct, sizeof ct));
	cr_assert_str_eq(ct, "application/pdf");
	cr_assert(r->len > 4 && !memcmp(r->body, "%PDF", 4));
	const char *path = save(r, ".pdf");
	char *info = run(fmt_path("pdfinfo '%s'", path));
	cr_assert(strstr(info, "\nPages:           2\n") != NULL, "two A4 pages for ten proposals:\n%s", info);
	assert_contains(info, "595.276 x 841.89 pts (A4)");
	free(info);
	char *text = pdf_text(path, 1, 1);
	assert_contains(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
	assert_contains(text, "Độc lập - Tự do - Hạnh phúc");
	assert_contains(text, "ỦY BAN NHÂN DÂN");
	assert_contains(text, "BIÊN BẢN");
	assert_contains(text, "Sáng kiến chuyển đổi số phường Hải Châu 2026");
	assert_contains(text, "Giải Nhất: Mô hình số 1: bản đồ số tổ dân phố");
	assert_contains(text, "Giải Nhì: Mô hình số 2");
	assert_contains(text, "Giải Nhì: Mô hình số 3");
	assert_contains(text, "Khuyến khích: Mô hình số 5");
	cr_assert(strstr(text, "Mô hình số 4:") == NULL, "the 4th has no award:\n%s", text);
	assert_contains(text, "trùng với mô hình đã được phường triển khai");
	assert_contains(text, "không tách biệt được");
	assert_contains(text, "TỔ TRƯỞNG TỔ THẨM ĐỊNH");
	assert_contains(text, "CHỦ TỊCH");
	assert_contains(text, "(Ký, ghi rõ họ tên)");
	assert_contains(text, "chuẩn hóa");
	free(text);
	char digest[65];
	memset(digest, 'c', 64);
	digest[64] = '\0';
	text = pdf_text(path, 2, 2);
	assert_contains(text, "PHỤ LỤC: MÃ KIỂM CHỨNG");
	assert_contains(text, digest);
	free(text);
	unlink(path);
	resp_free(r);
}

Test(documents, etag_and_304_rendered_once)
{
	int64_t cid = seed_published(10, "Gọi đề xuất 2026 (ETag)");
	const char *kinds[] = { "minutes.pdf", "results.xlsx" };
	for (int k = 0; k < 2; k++) {
		const char *path = fmt_path("/api/v1/campaigns/%lld/%s", (long long)cid, kinds[k]);
		struct resp *a = get(path, NULL);
		cr_assert_eq(a->status, 200, "%s: %ld", kinds[k], a->status);
		char etag[128], etag2[128];
		cr_assert(resp_header(a, "ETag", etag, sizeof etag), "%s has an ETag", kinds[k]);
		struct resp *b = get(path, NULL);
		cr_assert(resp_header(b, "ETag", etag2, sizeof etag2));
		cr_assert_str_eq(etag, etag2, "rendered once: the same document");
		cr_assert_eq(a->len, b->len);
		cr_assert(!memcmp(a->body, b->body, a->len), "the same bytes");
		struct resp *c = get(path, etag);
		cr_assert_eq(c->status, 304, "%s: %ld", kinds[k], c->status);
		cr_assert_eq(c->len, 0);
		struct resp *d = get(path, "\"other\"");
		cr_assert_eq(d->status, 200);
		resp_free(a);
		resp_free(b);
		resp_free(c);
		resp_free(d);
	}
}

/* ---- The spreadsheet ------------------------------------------------------------------------------ */

static const char XLSX_READER[] =
	"import sys, re, zipfile, xml.etree.ElementTree as ET\n"
	"M = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'\n"
	"z = zipfile.ZipFile(sys.argv[1])\n"
	"ss = [''.join(t.text or '' for t in si.iter(M + 't')) for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall(M + 'si')]\n"
	"def cells(name):\n"
	"    rows = {}\n"
	"    for c in ET.fromstring(z.read(name)).iter(M + 'c'):\n"
	"        ref = c.get('r'); col = re.match('[A-Z]+', ref).group(); v = c.find(M + 'v')\n"
	"        if v is None: continue\n"
	"        t = c.get('t')\n"
	"        rows.setdefault(int(ref[len(col):]), {})[col] = ss[int(v.text)] if t == 's' else (float(v.text) if t is None else 'BAD')\n"
	"    return rows\n"
	"def num(x):\n"
	"    return repr(x) if isinstance(x, float) else 'NOTNUM'\n"
	"s1 = cells('xl/worksheets/sheet1.xml'); s2 = cells('xl/worksheets/sheet2.xml')\n"
	"print('method|' + s1[2]['B'])\n"
	"print('header|' + '|'.join(s1[4][k] for k in 'ABCDEFGHIJK'))\n"
	"print('crit|' + '|'.join(s2[1][k] for k in 'CDEFGH'))\n"
	"for r in sorted(k for k in s1 if k > 4):\n"
	"    x = s1[r]; y = s2[r - 3]\n"
	"    print('row', num(x['A']), x['B'], num(x['F']), num(x['G']), num(x['H']), num(x['I']), x.get('E', '-').replace(' ', '_'), *[num(y[k]) for k in 'ABCDEFGH' if k != 'B'])\n";

Test(documents, xlsx_numbers_equal_the_results_json)
{
	int64_t cid = seed_published(12, "Gọi đề xuất 2026 (bảng tính)");
	struct resp *j = get(fmt_path("/api/v1/campaigns/%lld/results", (long long)cid), NULL);
	cr_assert_eq(j->status, 200);
	json_t *ranking = json_object_get(json_object_get(j->json, "snapshot"), "ranking");
	cr_assert_eq(json_array_size(ranking), 12);
	struct resp *r = get(fmt_path("/api/v1/campaigns/%lld/results.xlsx", (long long)cid), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	char ct[128];
	cr_assert(resp_header(r, "Content-Type", ct, sizeof ct));
	cr_assert_str_eq(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	const char *path = save(r, ".xlsx");
	char script[] = "/tmp/sk-xlsx-XXXXXX.py";
	int fd = mkstemps(script, 3);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, XLSX_READER, sizeof XLSX_READER - 1), (ssize_t)(sizeof XLSX_READER - 1));
	close(fd);
	char *out = run(fmt_path("python3 '%s' '%s'", script, path));
	unlink(script);
	unlink(path);
	assert_contains(out, "method|normalised\n");
	assert_contains(out, "header|Hạng|Mã theo dõi|Tên mô hình|Tổ dân phố|Giải|Điểm|Khoảng tin cậy 95% (thấp)|"
			     "Khoảng tin cậy 95% (cao)|Số lượt chấm|Không tách biệt được với hạng sau|Lý do điều chỉnh\n");
	assert_contains(out, "crit|Tính mới (điểm gốc)|Tính mới (chuẩn hóa)|Khả thi (điểm gốc)|");
	cr_assert(strstr(out, "NOTNUM") == NULL && strstr(out, "BAD") == NULL, "numbers as numbers:\n%s", out);
	size_t rows = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "row ", 4))
			continue;
		double rank, score, low, high, reviews, brank, v[6];
		char code[64], award[64];
		int n = sscanf(line, "row %lf %63s %lf %lf %lf %lf %63s %lf %lf %lf %lf %lf %lf %lf", &rank, code, &score,
			       &low, &high, &reviews, award, &brank, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
		cr_assert_eq(n, 14, "%s", line);
		json_t *e = json_array_get(ranking, rows);
		json_t *iv = json_object_get(e, "interval"), *crit = json_object_get(e, "criteria");
		cr_assert_eq(rank, (double)json_integer_value(json_object_get(e, "rank")));
		cr_assert_eq(brank, rank);
		cr_assert_str_eq(code, json_string_value(json_object_get(e, "tracking_code")));
		cr_assert_eq(score, json_number_value(json_object_get(e, "score")), "%s", line);
		cr_assert_eq(low, json_number_value(json_object_get(iv, "low")), "%s", line);
		cr_assert_eq(high, json_number_value(json_object_get(iv, "high")), "%s", line);
		cr_assert_eq(reviews, (double)json_integer_value(json_object_get(e, "reviews")));
		const char *want = json_string_value(json_object_get(e, "award"));
		char want_award[64];
		snprintf(want_award, sizeof want_award, "%s", want ? want : "-");
		for (char *sp = strchr(want_award, ' '); sp; sp = strchr(sp, ' '))
			*sp = '_';
		cr_assert_str_eq(award, want_award, "%s", line);
		for (int k = 0; k < 3; k++) {
			cr_assert_eq(v[2 * k], json_number_value(json_object_get(json_array_get(crit, k), "raw")), "%s", line);
			cr_assert_eq(v[2 * k + 1], json_number_value(json_object_get(json_array_get(crit, k), "normalised")),
				     "%s", line);
		}
		rows++;
	}
	cr_assert_eq(rows, 12);
	free(out);
	resp_free(r);
	resp_free(j);
}

/* ---- The poster ------------------------------------------------------------------------------------ */

/* What zbarimg reads from the poster at path (rasterised by pdftoppm). */
static char *poster_qr(const char *pdf)
{
	char png[64];
	snprintf(png, sizeof png, "%.*s", (int)(strlen(pdf) - 4), pdf);
	free(run(fmt_path("pdftoppm -r 150 -png -singlefile '%s' '%s'", pdf, png)));
	char *out = run(fmt_path("zbarimg --quiet --raw '%s.png'", png));
	unlink(fmt_path("%s.png", png));
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

Test(documents, poster_qr_names_the_call_then_the_results)
{
	int64_t open = seed_call("open", "Mời đề xuất mô hình chuyển đổi số 2027");
	struct resp *r = get(fmt_path("/api/v1/campaigns/%lld/poster.pdf", (long long)open), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	const char *path = save(r, ".pdf");
	char *qr = poster_qr(path);
	cr_assert_str_eq(qr, fmt_path(PUBLIC_URL "/call.html?id=%lld", (long long)open));
	free(qr);
	char *text = pdf_text(path, 1, 1);
	assert_contains(text, "Mời đề xuất mô hình chuyển đổi số 2027");
	assert_contains(text, "Hạn nộp đề xuất: 17:00 ngày 31/12/2026");
	free(text);
	char *info = run(fmt_path("pdfinfo '%s'", path));
	assert_contains(info, "\nPages:           1\n");
	free(info);
	unlink(path);
	char etag[128];
	cr_assert(resp_header(r, "ETag", etag, sizeof etag));
	struct resp *again = get(fmt_path("/api/v1/campaigns/%lld/poster.pdf", (long long)open), etag);
	cr_assert_eq(again->status, 304);
	resp_free(again);
	resp_free(r);

	int64_t published = seed_published(3, "Gọi đề xuất đã công bố");
	r = get(fmt_path("/api/v1/campaigns/%lld/poster.pdf", (long long)published), NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	path = save(r, ".pdf");
	qr = poster_qr(path);
	cr_assert_str_eq(qr, fmt_path(PUBLIC_URL "/results/%lld", (long long)published));
	free(qr);
	unlink(path);
	resp_free(r);
}

/* ---- Refusals --------------------------------------------------------------------------------------- */

static void assert_not_found(int64_t cid, const char *doc)
{
	struct resp *r = get(fmt_path("/api/v1/campaigns/%lld/%s", (long long)cid, doc), NULL);
	cr_assert_eq(r->status, 404, "%s of %lld: %ld", doc, (long long)cid, r->status);
	cr_assert_str_eq(err_code(r), "not_found", "%s", r->body);
	resp_free(r);
}

Test(documents, refused_without_published_results)
{
	const char *states[] = { "draft", "open", "closed", "appraisal", "decided" };
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		int64_t cid = seed_call(states[i], fmt_path("Gọi đề xuất (%s)", states[i]));
		if (!strcmp(states[i], "decided")) { /* a decision not yet published stays private */
			const char *p[] = { fmt_path("%lld", (long long)cid), fmt_path("%lld", (long long)ACCOUNT) };
			PQclear(db_exec(PG,
					"INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot,"
					" decided_by, decided_at) SELECT id, ward_id, 1, 'raw', repeat('e', 64),"
					" '{\"ranking\": []}', $2, now() FROM campaigns WHERE id = $1",
					2, p));
		}
		assert_not_found(cid, "minutes.pdf");
		assert_not_found(cid, "results.xlsx");
		if (strcmp(states[i], "open"))
			assert_not_found(cid, "poster.pdf");
	}
	assert_not_found(999999999, "minutes.pdf");
	assert_not_found(999999999, "results.xlsx");
	assert_not_found(999999999, "poster.pdf");
}

/* ---- Memory ------------------------------------------------------------------------------------------ */

Test(documents, a_second_daemon_renders_the_same_bytes_and_exits_clean)
{
	int64_t published = seed_published(10, "Gọi đề xuất (bộ nhớ)"), open = seed_call("open", "Gọi đề xuất mở (bộ nhớ)");
	const char *first[] = { fmt_path("/api/v1/campaigns/%lld/minutes.pdf", (long long)published),
				fmt_path("/api/v1/campaigns/%lld/results.xlsx", (long long)published) };
	struct resp *earlier[2];
	for (int i = 0; i < 2; i++) {
		earlier[i] = get(first[i], NULL);
		cr_assert_eq(earlier[i]->status, 200);
	}
	usleep(1200 * 1000); /* the second process renders at another second of the clock */
	struct srv own;
	srv_start(&own, NULL, NULL);
	struct client c;
	client_init(&c, &own);
	const char *paths[] = { fmt_path("/api/v1/campaigns/%lld/minutes.pdf", (long long)published),
				fmt_path("/api/v1/campaigns/%lld/results.xlsx", (long long)published),
				fmt_path("/api/v1/campaigns/%lld/poster.pdf", (long long)published),
				fmt_path("/api/v1/campaigns/%lld/poster.pdf", (long long)open) };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct resp *r = http(&c, "GET", paths[i], NULL, NULL);
		cr_assert_eq(r->status, 200, "%s: %ld", paths[i], r->status);
		if (i < 2) { /* dated by the publication: another process renders the same bytes */
			struct resp *other = earlier[i];
			char a[128], b[128];
			cr_assert(resp_header(r, "ETag", a, sizeof a) && resp_header(other, "ETag", b, sizeof b));
			cr_assert_str_eq(a, b, "%s: the same ETag from two processes", paths[i]);
			cr_assert_eq(r->len, other->len);
			cr_assert(!memcmp(r->body, other->body, r->len));
			resp_free(other);
		}
		resp_free(r);
	}
	client_cleanup(&c);
	int rc = srv_stop(&own);
	char *log = srv_log(&own);
	cr_assert(strstr(log, "LeakSanitizer") == NULL && strstr(log, "runtime error") == NULL, "%s", log);
	cr_assert_eq(rc, 0, "exit %d; log:\n%s", rc, log);
	free(log);
}

/* ---- A correction, and the configuration ------------------------------------------------------------- */

Test(documents, a_correction_renders_new_minutes)
{
	int64_t cid = seed_published(10, "Gọi đề xuất (đính chính)");
	const char *path = fmt_path("/api/v1/campaigns/%lld/minutes.pdf", (long long)cid);
	struct resp *before = get(path, NULL);
	cr_assert_eq(before->status, 200);
	char etag[128], etag2[128];
	cr_assert(resp_header(before, "ETag", etag, sizeof etag));
	const char *p[] = { fmt_path("%lld", (long long)cid) };
	PQclear(db_exec(PG,
			"INSERT INTO decisions (campaign_id, ward_id, version, supersedes, correction_reason, method,"
			" inputs_digest, snapshot, decided_by, decided_at, published_by, published_at)"
			" SELECT campaign_id, ward_id, 2, id, 'Sửa tên tổ dân phố của mô hình hạng 2.', method, inputs_digest,"
			"  jsonb_set(snapshot, '{correction_reason}', '\"Sửa tên tổ dân phố của mô hình hạng 2.\"'),"
			"  decided_by, now(), published_by, now()"
			" FROM decisions WHERE campaign_id = $1 AND version = 1",
			1, p));
	struct resp *after = get(path, etag);
	cr_assert_eq(after->status, 200, "the old ETag no longer matches: %ld", after->status);
	cr_assert(resp_header(after, "ETag", etag2, sizeof etag2));
	cr_assert_str_neq(etag, etag2);
	const char *file = save(after, ".pdf");
	char *text = pdf_text(file, 1, 1);
	assert_contains(text, "Đính chính: Sửa tên tổ dân phố của mô hình hạng 2.");
	assert_contains(text, "công bố lần 2");
	free(text);
	unlink(file);
	resp_free(before);
	resp_free(after);
}

Test(documents, public_url_must_be_http_or_https)
{
	const char *bin = getenv("SANGKIEN_BIN");
	cr_assert(bin);
	const char *bad[] = { "javascript:alert(1)", "ftp://phuong.example.vn", "phuong.example.vn" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *p = popen(fmt_path("SANGKIEN_PUBLIC_URL='%s' '%s' serve 2>&1", bad[i], bin), "r");
		cr_assert(p);
		char out[4096] = "";
		size_t n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		int rc = pclose(p);
		cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "%s: status %d: %s", bad[i], rc, out);
		assert_contains(out, "--public-url");
	}
}
