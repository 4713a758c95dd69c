/*
 * Link previews of the public pages: the Open Graph and Twitter-card tags of /call.html?id=,
 * /model.html?id= and /catalogue.html (filled into each template's <!--og--> marker, with absolute
 * URLs under --public-url), and the preview cards they name, /cards/call-{id}.png,
 * /cards/model-{id}.png and /cards/catalogue.png: 1,200 × 630 PNGs (src/render/card.c) rendered
 * once per change of what they show and kept in memory, with an ETag and 304.
 */
#include "config.h"
#include "log.h"
#include "db/share.h"
#include "http/handlers.h"
#include "http/reply.h"
#include "render/card.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Absolute URLs and tags --------------------------------------------------------------------- */

/* s escaped for an HTML attribute value in double quotes, onto m. */
static void attr(FILE *m, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", m); break;
		case '"': fputs("&quot;", m); break;
		case '\'': fputs("&#39;", m); break;
		case '<': fputs("&lt;", m); break;
		case '>': fputs("&gt;", m); break;
		default: fputc(*s, m);
		}
	}
}

static void meta(FILE *m, const char *kind, const char *name, const char *value)
{
	fprintf(m, "<meta %s=\"%s\" content=\"", kind, name);
	attr(m, value);
	fputs("\">\n", m);
}

void share_tags(FILE *m, const char *base, const char *type, const char *page, const char *title,
		const char *description, const char *image)
{
	char url[2048], img[2048];
	snprintf(url, sizeof url, "%s%s", base, page);
	snprintf(img, sizeof img, "%s%s", base, image);
	meta(m, "property", "og:type", type);
	meta(m, "property", "og:site_name", "Sáng kiến");
	meta(m, "property", "og:locale", "vi_VN");
	meta(m, "property", "og:title", title);
	meta(m, "property", "og:description", description);
	meta(m, "property", "og:url", url);
	meta(m, "property", "og:image", img);
	meta(m, "property", "og:image:type", "image/png");
	meta(m, "property", "og:image:width", "1200");
	meta(m, "property", "og:image:height", "630");
	meta(m, "property", "og:image:alt", title);
	meta(m, "name", "twitter:card", "summary_large_image");
	meta(m, "name", "twitter:title", title);
	meta(m, "name", "twitter:description", description);
	meta(m, "name", "twitter:image", img);
	fputs("<link rel=\"canonical\" href=\"", m);
	attr(m, url);
	fputs("\">", m);
}

/* ---- What a card shows -------------------------------------------------------------------------- */

enum card_kind { CARD_CALL, CARD_MODEL, CARD_CATALOGUE };

/* A card's texts, owned (free with content_free), and the fingerprint that names them. */
struct card_content {
	char *kicker, *title, *ward, *lines, *description;
	char fp[17];
};

static void content_free(struct card_content *c)
{
	free(c->kicker);
	free(c->title);
	free(c->ward);
	free(c->lines);
	free(c->description);
	memset(c, 0, sizeof *c);
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void fingerprint(struct card_content *c, enum card_kind kind)
{
	crypto_generichash_state st;
	unsigned char h[8];
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	unsigned char k = (unsigned char)kind;
	crypto_generichash_update(&st, &k, 1);
	const char *parts[] = { c->kicker, c->title, c->ward, c->lines };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		crypto_generichash_update(&st, (const unsigned char *)(parts[i] ? parts[i] : ""),
					  strlen(parts[i] ? parts[i] : "") + 1);
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(c->fp, sizeof c->fp, h, sizeof h);
}

/*
 * Reads what the card of (kind, id) shows. Returns 1 with *c filled, 0 when there is nothing public
 * to show (no such call or model, a draft call), -1 on a database error (replied). req may have no
 * database yet: it is taken here.
 */
static int content_load(struct sk_request *req, enum card_kind kind, int64_t id, struct card_content *c)
{
	memset(c, 0, sizeof *c);
	if (kind == CARD_CATALOGUE) {
		c->kicker = strdup("Danh mục mô hình");
		c->title = strdup("Mô hình chuyển đổi số đã được trao giải");
		c->ward = strdup("Xem, học hỏi và áp dụng cho tổ dân phố của bạn");
		c->description = strdup("Các mô hình chuyển đổi số đã được trao giải trong các phường: tìm, xem chi "
					"tiết và đăng ký áp dụng.");
		fingerprint(c, kind);
		return 1;
	}
	if (sk_req_public_db_or_reply(req) == NULL)
		return -1;
	PGresult *r = NULL;
	enum sk_db_status st = kind == CARD_CALL ? sk_db_share_call(req->db, id, &r) : sk_db_share_model(req->db, id, &r);
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		return 0;
	}
	if (st != SK_DB_OK) {
		PQclear(r);
		sk_reply_db_error(req, st);
		return -1;
	}
	if (kind == CARD_CALL) {
		const char *state = sk_db_str(r, 0, "state");
		if (!strcmp(state, "draft")) {
			PQclear(r);
			return 0;
		}
		bool published = !strcmp(state, "published");
		const char *winners = sk_db_str(r, 0, "winners");
		size_t nwin = 0;
		if (published && *winners) {
			nwin = 1;
			for (const char *p = winners; *p; p++)
				nwin += *p == '\n';
		}
		c->kicker = strdup(published ? "Kết quả đợt kêu gọi sáng kiến" : "Đợt kêu gọi sáng kiến chuyển đổi số");
		c->title = strdup(sk_db_str(r, 0, "title"));
		c->ward = strdup(sk_db_str(r, 0, "ward_name"));
		c->lines = strdup(published ? winners : "");
		c->description = published ? dupf("%s: đã công bố kết quả, %zu mô hình chuyển đổi số được trao giải.",
						  sk_db_str(r, 0, "ward_name"), nwin)
					   : dupf("Đợt kêu gọi đề xuất mô hình chuyển đổi số của %s. Xem thể lệ, "
						  "tiêu chí và gửi sáng kiến của bạn.",
						  sk_db_str(r, 0, "ward_name"));
	} else {
		const char *award = sk_db_str(r, 0, "award");
		c->kicker = *award ? dupf("Mô hình chuyển đổi số · %s", award) : strdup("Mô hình chuyển đổi số");
		c->title = strdup(sk_db_str(r, 0, "title"));
		c->ward = strdup(sk_db_str(r, 0, "ward_name"));
		c->lines = dupf("Đợt: %s", sk_db_str(r, 0, "campaign_title"));
		c->description = dupf("%s%s%s, %s. Xem mô hình và đăng ký áp dụng cho tổ dân phố của bạn.", award,
				      *award ? ": " : "", sk_db_str(r, 0, "ward_name"), sk_db_str(r, 0, "campaign_title"));
	}
	PQclear(r);
	if (!c->kicker || !c->title || !c->ward || !c->lines || !c->description) {
		content_free(c);
		sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return -1;
	}
	fingerprint(c, kind);
	return 1;
}

static void card_path(char *out, size_t n, enum card_kind kind, int64_t id, const char *fp)
{
	if (kind == CARD_CATALOGUE)
		snprintf(out, n, "/cards/catalogue.png?v=%s", fp);
	else
		snprintf(out, n, "/cards/%s-%lld.png?v=%s", kind == CARD_CALL ? "call" : "model", (long long)id, fp);
}

/* ---- Cards in memory ---------------------------------------------------------------------------- */

#define CARD_SLOTS 128

struct card_png {
	atomic_int refs;
	unsigned char *png;
	size_t len;
};

struct card_slot {
	enum card_kind kind;
	int64_t id;
	char fp[17]; /* "" : empty slot */
	struct card_png *card; /* the cache's own reference */
	time_t used;
};

static struct card_slot slots[CARD_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long renders;

long share_card_renders(void)
{
	return atomic_load(&renders);
}

static void card_release(void *cls)
{
	struct card_png *c = cls;
	if (c == NULL || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(c->png);
	free(c);
}

/* The PNG of the card (kind, id) showing content, with a reference for the caller; rendered only
 * when the cache has none for this fingerprint. NULL when rendering failed. */
static struct card_png *card_acquire(enum card_kind kind, int64_t id, const struct card_content *content)
{
	time_t now = time(NULL);
	struct card_png *have = NULL;
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < CARD_SLOTS; i++)
		if (slots[i].card && slots[i].kind == kind && slots[i].id == id && !strcmp(slots[i].fp, content->fp)) {
			have = slots[i].card;
			atomic_fetch_add_explicit(&have->refs, 1, memory_order_relaxed);
			slots[i].used = now;
			break;
		}
	pthread_mutex_unlock(&slots_lock);
	if (have)
		return have;

	struct sk_card in = { content->kicker, content->title, content->ward, content->lines };
	struct card_png *c = calloc(1, sizeof *c);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (c == NULL || sk_card_render_png(&in, &c->png, &c->len) != 0) {
		free(c);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_fetch_add(&renders, 1);
	sk_info("card rendered kind=%d id=%lld bytes=%zu ms=%.1f", (int)kind, (long long)id, c->len,
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	atomic_init(&c->refs, 2); /* the caller's and the cache's */

	struct card_png *old = NULL;
	pthread_mutex_lock(&slots_lock);
	struct card_slot *slot = NULL;
	for (int i = 0; i < CARD_SLOTS && slot == NULL; i++)
		if (slots[i].card && slots[i].kind == kind && slots[i].id == id)
			slot = &slots[i]; /* an older version of the same card */
	for (int i = 0; i < CARD_SLOTS && slot == NULL; i++)
		if (slots[i].card == NULL)
			slot = &slots[i];
	if (slot == NULL) /* full: replace the least recently used */
		for (int i = 0; i < CARD_SLOTS; i++)
			if (slot == NULL || slots[i].used < slot->used)
				slot = &slots[i];
	old = slot->card;
	slot->card = c;
	slot->kind = kind;
	slot->id = id;
	memcpy(slot->fp, content->fp, sizeof slot->fp);
	slot->used = now;
	pthread_mutex_unlock(&slots_lock);
	card_release(old);
	return c;
}

/* Parses "/cards/call-12.png" and the like; false for anything else. */
static bool card_url(const char *url, enum card_kind *kind, int64_t *id)
{
	*id = 0;
	if (!strcmp(url, "/cards/catalogue.png")) {
		*kind = CARD_CATALOGUE;
		return true;
	}
	const char *p;
	if (!strncmp(url, "/cards/call-", 12)) {
		*kind = CARD_CALL;
		p = url + 12;
	} else if (!strncmp(url, "/cards/model-", 13)) {
		*kind = CARD_MODEL;
		p = url + 13;
	} else {
		return false;
	}
	if (*p < '1' || *p > '9')
		return false;
	char *end;
	long long v = strtoll(p, &end, 10);
	if (v <= 0 || v == LLONG_MAX || strcmp(end, ".png") != 0 || end - p > 18)
		return false;
	*id = v;
	return true;
}

void share_card(struct sk_request *req)
{
	enum card_kind kind;
	int64_t id;
	if (!card_url(req->url, &kind, &id)) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such preview image.");
		return;
	}
	struct card_content content;
	int found = content_load(req, kind, id, &content);
	if (found < 0)
		return;
	if (found == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "This page has no preview image.");
		return;
	}
	char etag[64];
	snprintf(etag, sizeof etag, "\"card-%s\"", content.fp);
	struct MHD_Response *resp;
	unsigned status;
	if (sk_if_none_match(req, etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		struct card_png *c = card_acquire(kind, id, &content);
		if (c == NULL) {
			content_free(&content);
			sk_reply_error(req, 500, "internal", NULL, "The preview image could not be drawn.");
			return;
		}
		status = 200;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(c->len, c->png, card_release, c);
		if (resp == NULL)
			card_release(c);
		else
			MHD_add_response_header(resp, "Content-Type", "image/png");
	}
	content_free(&content);
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=300");
	sk_reply_queue(req, status, resp);
}

/* ---- Pages with their tags ---------------------------------------------------------------------- */

/* The file frontend/name read whole (caller frees); NULL when missing. */
static char *read_template(struct sk_request *req, const char *name)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", req->srv->frontend_real, name) >= (int)sizeof path)
		return NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m == NULL || fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The id= of the query string; 0 when absent or not a positive whole number. */
static int64_t query_id(struct sk_request *req)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "id");
	if (v == NULL || *v < '1' || *v > '9' || strlen(v) > 18)
		return 0;
	char *end;
	long long id = strtoll(v, &end, 10);
	return *end == '\0' ? id : 0;
}

bool share_page(struct sk_request *req)
{
	const char *name;
	enum card_kind kind;
	if (!strcmp(req->url, "/call.html"))
		name = "call.html", kind = CARD_CALL;
	else if (!strcmp(req->url, "/model.html"))
		name = "model.html", kind = CARD_MODEL;
	else if (!strcmp(req->url, "/catalogue.html"))
		name = "catalogue.html", kind = CARD_CATALOGUE;
	else
		return false;
	if (strcmp(req->method, "GET") != 0)
		return false;
	char *html = read_template(req, name);
	char *mark = html ? strstr(html, "<!--og-->") : NULL;
	if (mark == NULL) {
		free(html);
		return false; /* served as a plain file */
	}
	int64_t id = kind == CARD_CATALOGUE ? 0 : query_id(req);
	struct card_content content;
	int found = kind == CARD_CATALOGUE || id > 0 ? content_load(req, kind, id, &content) : 0;
	if (found < 0) {
		free(html);
		return true;
	}
	enum card_kind shown = kind;
	char page[64], image[96];
	if (found == 0) { /* no such (public) call or model: the catalogue's preview, nothing of a draft */
		shown = CARD_CATALOGUE;
		id = 0;
		content_load(req, CARD_CATALOGUE, 0, &content);
	}
	if (id > 0)
		snprintf(page, sizeof page, "/%s?id=%lld", name, (long long)id);
	else
		snprintf(page, sizeof page, "/%s", name);
	card_path(image, sizeof image, shown, id, content.fp);
	const char *base = req->srv->cfg->public_url; /* absolute, no trailing '/' (config.c) */

	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (m == NULL) {
		free(html);
		content_free(&content);
		sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return true;
	}
	fwrite(html, 1, (size_t)(mark - html), m);
	share_tags(m, base, shown == CARD_CATALOGUE && kind == CARD_CATALOGUE ? "website" : "article", page,
		   content.title, content.description, image);
	fputs(mark + 9, m);
	free(html);
	content_free(&content);
	if (fclose(m) != 0) {
		free(out);
		sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return true;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(out);
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return true;
	}
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	sk_reply_queue(req, 200, resp);
	return true;
}
