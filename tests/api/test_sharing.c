/*
 * Link previews of the public pages against the real daemon: every public page (call, results,
 * catalogue, model) carries Open Graph and Twitter-card tags with absolute URLs under --public-url,
 * titles HTML-escaped; each og:image answers a 1,200 × 630 PNG with an ETag and 304; a draft call
 * has no card and its page shows nothing of it.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PUBLIC "https://sangkien.example.vn"

static struct srv S;
static PGconn *PG;

static void up(void)
{
	/* With a trailing slash: the daemon drops it. */
	const char *env[] = { "SANGKIEN_PUBLIC_URL=" PUBLIC "/", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	PQfinish(PG);
}

TestSuite(sharing, .init = up, .fini = down, .timeout = 120);

#define S64(v) fmt_path("%lld", (long long)(v))
#define TRICKY_TITLE "Đợt \"Phố số\" <b>&</b> 2026"
#define TRICKY_ESCAPED "Đợt &quot;Phố số&quot; &lt;b&gt;&amp;&lt;/b&gt; 2026"

struct world {
	int64_t ward, group, open_call, draft_call, published_call, model;
};

static int64_t insert_call(int64_t ward, const char *title, const char *state)
{
	const char *p[] = { S64(ward), title, state };
	return db_int(PG,
		      "INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at, state, config_digest)"
		      " VALUES ($1, $2, 'Mô tả', now() - interval '1 day', now() + interval '30 days', $3,"
		      " CASE WHEN $3 = 'draft' THEN NULL ELSE repeat('a', 64) END) RETURNING id",
		      3, p);
}

/* A ward with an open call (tricky title), a draft call, and a published call with one model. */
static void world_new(struct world *w)
{
	w->ward = seed_ward(PG, &w->group);
	w->open_call = insert_call(w->ward, TRICKY_TITLE, "open");
	w->draft_call = insert_call(w->ward, "Bí mật: đợt nháp chưa công bố", "draft");
	w->published_call = insert_call(w->ward, "Đợt đã công bố", "published");
	struct client c;
	client_init(&c, &S);
	char phone[16];
	rand_phone(phone);
	int64_t author = make_account(&c, PG, w->ward, phone, "Tác giả");
	client_cleanup(&c);
	const char *pp[] = { S64(w->ward), S64(w->published_call), S64(author) };
	int64_t proposal = db_int(PG,
				  "INSERT INTO proposals (ward_id, campaign_id, author_id, title, created_at, updated_at)"
				  " VALUES ($1, $2, $3, 'Chợ không tiền mặt', now(), now()) RETURNING id",
				  3, pp);
	const char *dp[] = { S64(w->ward), S64(w->published_call), S64(author) };
	int64_t decision = db_int(PG,
				  "INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot,"
				  " decided_by, decided_at, published_by, published_at) VALUES ($2, $1, 1, 'raw', repeat('b', 64),"
				  " '{\"campaign_title\":\"Đợt đã công bố\",\"ranking\":[{\"rank\":1,\"title\":\"Chợ không tiền mặt\","
				  "\"award\":\"Giải nhất\"}]}', $3, now(), $3, now()) RETURNING id",
				  3, dp);
	const char *mp[] = { S64(proposal), S64(w->published_call), S64(w->ward), S64(decision) };
	w->model = db_int(PG,
			  "INSERT INTO models (proposal_id, campaign_id, ward_id, decision_id, award, title, summary, model,"
			  " search_text, published_at) VALUES ($1, $2, $3, $4, 'Giải nhất', 'Chợ không tiền mặt', 'Tóm tắt',"
			  " 'Mô hình', 'cho khong tien mat', now()) RETURNING id",
			  4, mp);
}

/* The content of <meta property|name="name" content="…"> in html, unescaped only of nothing (caller frees). */
static char *meta(const char *html, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "\"%s\" content=\"", name);
	const char *p = strstr(html, key);
	if (p == NULL)
		return NULL;
	p += strlen(key);
	const char *e = strchr(p, '"');
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Fetches the image url (absolute, under PUBLIC) from the daemon; asserts a 1,200 × 630 PNG; returns its ETag. */
static void check_card(struct client *c, const char *url, char etag[128])
{
	cr_assert(!strncmp(url, PUBLIC "/cards/", strlen(PUBLIC "/cards/")), "og:image not absolute under --public-url: %s",
		  url);
	struct resp *r = http(c, "GET", url + strlen(PUBLIC), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s: %ld %s", url, r->status, r->body);
	char type[64];
	cr_assert(resp_header(r, "Content-Type", type, sizeof type));
	cr_assert_str_eq(type, "image/png");
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	cr_assert_geq(r->len, 33);
	cr_assert_eq(memcmp(r->body, sig, 8), 0, "not a PNG");
	const unsigned char *ihdr = (const unsigned char *)r->body + 8;
	cr_assert_eq(memcmp(ihdr + 4, "IHDR", 4), 0);
	cr_assert_eq(be32(ihdr + 8), 1200, "width %u", be32(ihdr + 8));
	cr_assert_eq(be32(ihdr + 12), 630, "height %u", be32(ihdr + 12));
	cr_assert(resp_header(r, "ETag", etag, 128), "no ETag");
	resp_free(r);
}

/* GETs page, asserts 200 and every preview tag, absolute og:url equal to want_url; returns og:image (caller frees). */
static char *check_page(struct client *c, const char *page, const char *want_url, const char *want_title)
{
	struct resp *r = http(c, "GET", page, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s: %ld", page, r->status);
	cr_assert_null(strstr(r->body, "<!--og-->"), "%s: marker left", page);
	char *url = meta(r->body, "og:url");
	cr_assert_not_null(url, "%s: no og:url", page);
	cr_assert_str_eq(url, want_url);
	char *title = meta(r->body, "og:title");
	cr_assert_not_null(title, "%s: no og:title", page);
	if (want_title)
		cr_assert_str_eq(title, want_title);
	char *tw = meta(r->body, "twitter:card");
	cr_assert_not_null(tw);
	cr_assert_str_eq(tw, "summary_large_image");
	char *desc = meta(r->body, "og:description");
	cr_assert(desc && *desc, "%s: no og:description", page);
	char *twi = meta(r->body, "twitter:image");
	char *img = meta(r->body, "og:image");
	cr_assert_not_null(img, "%s: no og:image", page);
	cr_assert_str_eq(twi, img);
	free(url);
	free(title);
	free(tw);
	free(desc);
	free(twi);
	resp_free(r);
	return img;
}

Test(sharing, every_public_page_previews_with_absolute_urls_and_a_1200x630_card)
{
	struct world w;
	world_new(&w);
	struct client c;
	client_init(&c, &S);
	char etag[128];

	char *img = check_page(&c, fmt_path("/call.html?id=%lld", (long long)w.open_call),
			       fmt_path(PUBLIC "/call.html?id=%lld", (long long)w.open_call), TRICKY_ESCAPED);
	cr_assert(strstr(img, fmt_path("/cards/call-%lld.png", (long long)w.open_call)), "%s", img);
	check_card(&c, img, etag);
	free(img);

	img = check_page(&c, fmt_path("/call.html?id=%lld", (long long)w.published_call),
			 fmt_path(PUBLIC "/call.html?id=%lld", (long long)w.published_call), "Đợt đã công bố");
	check_card(&c, img, etag);
	free(img);

	img = check_page(&c, fmt_path("/results/%lld", (long long)w.published_call),
			 fmt_path(PUBLIC "/results/%lld", (long long)w.published_call), "Kết quả: Đợt đã công bố");
	cr_assert_str_eq(img, fmt_path(PUBLIC "/cards/call-%lld.png", (long long)w.published_call));
	check_card(&c, img, etag);
	free(img);

	img = check_page(&c, fmt_path("/model.html?id=%lld", (long long)w.model),
			 fmt_path(PUBLIC "/model.html?id=%lld", (long long)w.model), "Chợ không tiền mặt");
	cr_assert(strstr(img, fmt_path("/cards/model-%lld.png", (long long)w.model)), "%s", img);
	check_card(&c, img, etag);
	free(img);

	/* A correction withdraws the model's award: its page and card still work, the call's card changes. */
	char call_etag[128], model_etag[128];
	check_card(&c, fmt_path(PUBLIC "/cards/call-%lld.png", (long long)w.published_call), call_etag);
	const char *mp[] = { S64(w.model) };
	PQclear(db_exec(PG, "UPDATE models SET award = NULL WHERE id = $1", 1, mp));
	img = check_page(&c, fmt_path("/model.html?id=%lld", (long long)w.model),
			 fmt_path(PUBLIC "/model.html?id=%lld", (long long)w.model), "Chợ không tiền mặt");
	check_card(&c, img, model_etag);
	free(img);
	struct resp *page = http(&c, "GET", fmt_path("/model.html?id=%lld", (long long)w.model), NULL, NULL);
	cr_assert_null(strstr(page->body, "(null)"), "%.3000s", page->body);
	resp_free(page);
	check_card(&c, fmt_path(PUBLIC "/cards/call-%lld.png", (long long)w.published_call), etag);
	cr_assert_str_neq(etag, call_etag, "the winners changed, so did the card");

	img = check_page(&c, "/catalogue.html", PUBLIC "/catalogue.html", NULL);
	check_card(&c, img, etag);
	free(img);
	client_cleanup(&c);
}

/* How many times the daemon's log says it drew the card named by what ("kind=0 id=12 "). */
static int renders_of(const char *what)
{
	char *log = srv_log(&S);
	int n = 0;
	for (const char *p = log; p && (p = strstr(p, "card rendered ")) != NULL; p++) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, what);
		n += hit && (eol == NULL || hit < eol);
	}
	free(log);
	return n;
}

Test(sharing, the_card_has_an_etag_and_answers_304_and_changes_with_the_call)
{
	struct world w;
	world_new(&w);
	struct client c;
	client_init(&c, &S);
	char etag[128], again[128];
	const char *path = fmt_path("/cards/call-%lld.png", (long long)w.open_call);
	char url[256];
	snprintf(url, sizeof url, PUBLIC "%s", path);
	check_card(&c, url, etag);
	char inm[200];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *h[] = { inm, NULL };
	struct resp *r = http(&c, "GET", path, NULL, h);
	cr_assert_eq(r->status, 304, "%ld", r->status);
	cr_assert_eq(r->len, 0);
	resp_free(r);
	/* A call edit changes the card: a new tag, and the old one no longer matches. */
	const char *p[] = { S64(w.open_call) };
	/* As the server corrects an opened call's texts: a revision first, in the same transaction (sql/031). */
	PQclear(db_exec(PG, "BEGIN", 0, NULL));
	PQclear(db_exec(PG,
			"INSERT INTO campaign_revisions (ward_id, campaign_id, fields, old_text, new_text, edited_at)"
			" SELECT ward_id, id, '{title}', jsonb_build_object('title', title),"
			" jsonb_build_object('title', 'Tên mới của đợt'), now() FROM campaigns WHERE id = $1",
			1, p));
	PQclear(db_exec(PG, "UPDATE campaigns SET title = 'Tên mới của đợt' WHERE id = $1", 1, p));
	PQclear(db_exec(PG, "COMMIT", 0, NULL));
	r = http(&c, "GET", path, NULL, h);
	cr_assert_eq(r->status, 200, "%ld", r->status);
	resp_free(r);
	check_card(&c, url, again);
	cr_assert_str_neq(etag, again);
	/* Drawn once per change, not per request: twice in all (before and after the edit). */
	const char *what = fmt_path("kind=0 id=%lld ", (long long)w.open_call);
	int renders = 0;
	for (int i = 0; i < 60 && (renders = renders_of(what)) < 2; i++) /* the log is written asynchronously */
		usleep(50000);
	usleep(200000);
	cr_assert_eq(renders_of(what), 2, "drawn %d times", renders_of(what));
	client_cleanup(&c);
}

Test(sharing, a_public_url_that_is_not_an_http_address_is_refused_at_start)
{
	const char *bin = getenv("SANGKIEN_BIN");
	cr_assert_not_null(bin);
	const char *bad[] = { "javascript:alert(1)", "https://", "https://x.vn/\"><script>", "ftp://x.vn",
			      "https://x.vn/?a=1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=0 '%s' --public-url '%s' serve 2>&1", bin, bad[i]);
		FILE *p = popen(cmd, "r");
		cr_assert_not_null(p);
		char out[4096] = "";
		size_t n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		int st = pclose(p);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "%s: accepted", bad[i]);
		cr_assert_not_null(strstr(out, "--public-url"), "%s: %s", bad[i], out);
	}
}

Test(sharing, a_draft_call_has_no_card_and_its_page_shows_nothing_of_it)
{
	struct world w;
	world_new(&w);
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", fmt_path("/cards/call-%lld.png", (long long)w.draft_call), NULL, NULL);
	cr_assert_eq(r->status, 404, "%ld", r->status);
	cr_assert_str_eq(err_code(r), "not_found");
	resp_free(r);
	r = http(&c, "GET", fmt_path("/call.html?id=%lld", (long long)w.draft_call), NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_null(strstr(r->body, "Bí mật"), "the draft's title leaked");
	char *url = meta(r->body, "og:url");
	cr_assert_str_eq(url, PUBLIC "/call.html");
	free(url);
	resp_free(r);
	/* Unknown calls and models, and malformed card paths: 404 with the error shape. */
	const char *bad[] = { "/cards/call-999999999999.png", "/cards/model-999999999999.png", "/cards/call-0.png",
			      "/cards/call-1.jpg", "/cards/call-01.png", "/cards/other.png", "/cards/call-1.png/x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = http(&c, "GET", bad[i], NULL, NULL);
		cr_assert_eq(r->status, 404, "%s: %ld", bad[i], r->status);
		cr_assert_str_eq(err_code(r), "not_found", "%s", bad[i]);
		resp_free(r);
	}
	client_cleanup(&c);
}
