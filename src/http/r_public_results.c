/*
 * The public results of a published call, served from memory: GET /campaigns/{id}/results (JSON),
 * results.csv and the page /results/{id} with its link-preview tags, each also gzip-compressed,
 * with ETags, 304s and Accept-Encoding negotiation. Publication and corrections (r_results.c)
 * call results_forget.
 */
#include "db/decisions.h"
#include "domain/csv.h"
#include "http/handlers.h"
#include "http/reply.h"
#include "http/static.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

/* ---- Public results, served from memory -------------------------------------------------------- */

/*
 * Each process keeps, per campaign, the public results of its newest published decision in
 * every form a client asks for: the JSON document, the CSV export and the /results/{id} page,
 * each as it is and gzip-compressed, built once per decision (and rebuilt only when another
 * decision is published or the page template changes). A built document never changes: a
 * request takes a reference to it under the lock, replies from its bytes without copying them
 * (libmicrohttpd drops the reference once the reply is sent), and whoever drops the last
 * reference frees it. Publishing or correcting in this process forgets the cached document at
 * once; every process (several may serve behind a proxy) checks, at most once every
 * CACHE_CHECK_SECONDS per call, which decision is the newest (one point read of its id) and
 * rebuilds only when it changed. The reads may come from the read database (a standby within
 * --replica-max-lag), except for a call this process has just published or corrected.
 */

#define CACHE_SLOTS 64
#define CACHE_CHECK_SECONDS 1
#define RECENT_SLOTS 16

enum form { FORM_JSON, FORM_CSV, FORM_PAGE, NFORMS };
enum encoding { ENC_IDENTITY, ENC_GZIP, NENCODINGS };

/* One representation: its bytes and the entity tag that names them (with the quotes). */
struct variant {
	unsigned char *body;
	size_t len;
	char etag[64];
};

/* The page template results.html as it was read: a change makes the cache rebuild the page. */
struct template_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct results_doc {
	atomic_int refs;
	int64_t campaign, decision;
	struct template_id template;
	/* body NULL: that form or encoding is not available (no template; compression failed) */
	struct variant v[NFORMS][NENCODINGS];
};

struct cached {
	int64_t campaign;
	struct results_doc *doc; /* the cache's own reference */
	time_t checked;
};

static struct cached cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_epoch; /* bumped by every results_forget, under cache_lock */
/* Calls published or corrected in this process, and when (under cache_lock): read on the primary. */
static struct {
	int64_t campaign;
	time_t at;
} recent[RECENT_SLOTS];
static unsigned recent_next;

/* Drops one reference to doc (NULL: nothing); the last one frees it. */
static void doc_release(struct results_doc *doc)
{
	if (doc == NULL || atomic_fetch_sub_explicit(&doc->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int f = 0; f < NFORMS; f++)
		for (int e = 0; e < NENCODINGS; e++)
			free(doc->v[f][e].body);
	free(doc);
}

/* libmicrohttpd's callback once a reply that points into a document is done with it. */
static void doc_release_cb(void *cls)
{
	doc_release(cls);
}

/* Drops this process's copy of cid's results (other processes re-check within CACHE_CHECK_SECONDS). */
void results_forget(int64_t cid)
{
	struct results_doc *drop[CACHE_SLOTS];
	int n = 0;
	pthread_mutex_lock(&cache_lock);
	cache_epoch++; /* a document being built from a read made before now is not cached */
	recent[recent_next % RECENT_SLOTS].campaign = cid;
	recent[recent_next % RECENT_SLOTS].at = time(NULL);
	recent_next++;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].campaign == cid) {
			drop[n++] = cache[i].doc;
			memset(&cache[i], 0, sizeof cache[i]);
		}
	pthread_mutex_unlock(&cache_lock);
	for (int i = 0; i < n; i++)
		doc_release(drop[i]);
}

/* body as gzip (RFC 1952, level 9: it is done once per decision) into v; false when zlib fails. */
static bool gzip_into(const unsigned char *body, size_t len, struct variant *v)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *out = malloc(cap);
	bool ok = out != NULL && len <= UINT_MAX;
	if (ok) {
		z.next_in = (unsigned char *)body;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
	}
	if (ok) {
		v->body = out;
		v->len = z.total_out;
	} else {
		free(out);
	}
	deflateEnd(&z);
	return ok;
}

/* Takes body (malloc'd, len bytes) as the identity form f of doc, with its gzip twin; etag without quotes. */
static void doc_set(struct results_doc *doc, enum form f, char *body, size_t len, const char *etag)
{
	struct variant *id = &doc->v[f][ENC_IDENTITY], *gz = &doc->v[f][ENC_GZIP];
	id->body = (unsigned char *)body;
	id->len = len;
	snprintf(id->etag, sizeof id->etag, "\"%s\"", etag);
	if (body && gzip_into(id->body, len, gz))
		snprintf(gz->etag, sizeof gz->etag, "\"%s-gz\"", etag);
}

/*
 * The CSV export of a results document (caller frees; NULL when out of memory). Numbers keep the
 * snapshot's 3 decimals with "." (for machines); the score column names the method.
 */
static char *results_csv_text(json_t *doc, size_t *len)
{
	struct sk_csv csv;
	sk_csv_init(&csv);
	const char *method = json_string_value(json_object_get(json_object_get(doc, "snapshot"), "method"));
	const char *score = method && !strcmp(method, "raw") ? "Điểm thô (0–100)"
							     : "Điểm chuẩn hoá theo người chấm (0–100)";
	const char *const header[] = { "Hạng", "Mã theo dõi", "Tên mô hình", "Tổ dân phố", "Giải", score,
				       "Khoảng tin cậy 95% (thấp)", "Khoảng tin cậy 95% (cao)", "Số lượt chấm",
				       "Không tách biệt được với hạng sau", "Lý do điều chỉnh" };
	for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
		sk_csv_field(&csv, header[i]);
	sk_csv_end_row(&csv);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(json_object_get(doc, "snapshot"), "ranking"), i, e) {
		char b[64];
		json_t *iv = json_object_get(e, "interval");
		snprintf(b, sizeof b, "%lld", (long long)json_integer_value(json_object_get(e, "rank")));
		sk_csv_field(&csv, b);
		sk_csv_field(&csv, json_string_value(json_object_get(e, "tracking_code")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "title")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "group_name")));
		sk_csv_field(&csv, json_string_value(json_object_get(e, "award")));
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(e, "score")));
		sk_csv_field(&csv, json_is_number(json_object_get(e, "score")) ? b : "");
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(iv, "low")));
		sk_csv_field(&csv, json_is_object(iv) ? b : "");
		snprintf(b, sizeof b, "%.3f", json_number_value(json_object_get(iv, "high")));
		sk_csv_field(&csv, json_is_object(iv) ? b : "");
		snprintf(b, sizeof b, "%lld", (long long)json_integer_value(json_object_get(e, "reviews")));
		sk_csv_field(&csv, b);
		sk_csv_field(&csv, json_is_true(json_object_get(e, "tied_with_next")) ? "có" : "");
		sk_csv_field(&csv, json_string_value(json_object_get(e, "reason")));
		sk_csv_end_row(&csv);
	}
	return sk_csv_take(&csv, len);
}

static struct template_id template_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return (struct template_id){ false, 0, 0, 0, { 0, 0 } };
	return (struct template_id){ true, st.st_dev, st.st_ino, st.st_size, st.st_mtim };
}

static bool template_same(const struct template_id *a, const struct template_id *b)
{
	return a->exists == b->exists && (!a->exists || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
							 a->mtime.tv_sec == b->mtime.tv_sec &&
							 a->mtime.tv_nsec == b->mtime.tv_nsec));
}

/*
 * The results page: the template at path with its <!--og--> marker replaced by Open Graph and
 * Twitter-card tags for the document's call (caller frees); NULL without a usable template.
 */
static char *results_page_text(const char *path, const char *base, json_t *doc, int64_t cid, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *html = NULL;
	size_t hlen = 0;
	FILE *m = open_memstream(&html, &hlen);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m == NULL || fclose(m) != 0 || html == NULL) {
		free(html);
		return NULL;
	}
	char *mark = strstr(html, "<!--og-->");
	if (mark == NULL) {
		free(html);
		return NULL;
	}
	json_t *snap = json_object_get(doc, "snapshot");
	const char *title = json_string_value(json_object_get(snap, "campaign_title"));
	size_t winners = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(snap, "ranking"), i, e) winners += json_is_string(json_object_get(e, "award"));
	char *out = NULL;
	m = open_memstream(&out, len);
	if (m == NULL) {
		free(html);
		return NULL;
	}
	fwrite(html, 1, (size_t)(mark - html), m);
	/* Absolute URLs under --public-url, and the call's card as the preview image (r_share.c). */
	char page[48], image[64], og_title[1024], description[256];
	snprintf(page, sizeof page, "/results/%lld", (long long)cid);
	snprintf(image, sizeof image, "/cards/call-%lld.png", (long long)cid);
	snprintf(og_title, sizeof og_title, "Kết quả: %s", title ? title : "");
	snprintf(description, sizeof description,
		 "%zu mô hình chuyển đổi số được trao giải. Xem bảng xếp hạng, điểm theo từng tiêu chí và lý do "
		 "quyết định.",
		 winners);
	share_tags(m, base, "article", page, og_title, description, image);
	fputs(mark + 9, m);
	free(html);
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Builds every form of the results of the decision row r (sk_db_decision_latest) of campaign cid,
 * with one reference for the caller; NULL when out of memory.
 */
static struct results_doc *doc_build(PGresult *r, int64_t cid, const char *template_path,
				     const struct template_id *template, const char *base)
{
	struct results_doc *doc = calloc(1, sizeof *doc);
	if (doc == NULL)
		return NULL;
	atomic_init(&doc->refs, 1);
	doc->campaign = cid;
	doc->decision = sk_db_i64(r, 0, "id");
	doc->template = *template;
	json_t *snap = json_loads(sk_db_str(r, 0, "snapshot"), 0, NULL);
	json_t *d = json_pack("{s:I,s:I,s:I,s:s,s:s?,s:s?,s:o}", "campaign_id", (json_int_t)cid, "decision_id",
			      (json_int_t)doc->decision, "version", (json_int_t)sk_db_i64(r, 0, "version"), "decided_at",
			      sk_db_str(r, 0, "decided_at"), "published_at", sk_db_str(r, 0, "published_at"),
			      "correction_reason", sk_db_str(r, 0, "correction_reason"), "snapshot", snap ? snap : json_object());
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	if (text == NULL) {
		json_decref(d);
		doc_release(doc);
		return NULL;
	}
	char tag[48];
	snprintf(tag, sizeof tag, "d%lld", (long long)doc->decision);
	doc_set(doc, FORM_JSON, text, strlen(text), tag);
	size_t len;
	char *csv = results_csv_text(d, &len);
	if (csv == NULL) {
		json_decref(d);
		doc_release(doc);
		return NULL;
	}
	doc_set(doc, FORM_CSV, csv, len, tag);
	char *page = template->exists ? results_page_text(template_path, base, d, cid, &len) : NULL;
	if (page) {
		/* The page also depends on the template: its tag names the bytes. */
		unsigned char h[crypto_generichash_BYTES_MIN];
		char hex[17];
		crypto_generichash(h, sizeof h, (const unsigned char *)page, len, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, 8);
		snprintf(tag, sizeof tag, "d%lld-%s", (long long)doc->decision, hex);
		doc_set(doc, FORM_PAGE, page, len, tag);
	}
	json_decref(d);
	return doc;
}

/*
 * The results of cid with a reference for the caller (doc_release when done), from the cache,
 * or built from the newest published decision. Replies itself and returns NULL otherwise.
 */
static struct results_doc *results_acquire(struct sk_request *req, int64_t cid)
{
	time_t now = time(NULL);
	struct results_doc *doc = NULL, *have = NULL;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].campaign == cid && cid != 0) {
			have = cache[i].doc;
			atomic_fetch_add_explicit(&have->refs, 1, memory_order_relaxed);
			if (now - cache[i].checked < CACHE_CHECK_SECONDS)
				doc = have;
			break;
		}
	uint64_t epoch = cache_epoch;
	bool changed_here = false;
	for (int i = 0; i < RECENT_SLOTS; i++)
		if (recent[i].campaign == cid && now - recent[i].at <= req->srv->cfg->replica_max_lag)
			changed_here = true;
	pthread_mutex_unlock(&cache_lock);
	if (doc)
		return doc;
	char template_path[4200];
	snprintf(template_path, sizeof template_path, "%s/results.html", req->srv->frontend_real);
	struct template_id template = template_stat(template_path);
	struct sk_dbconn *db = changed_here ? sk_req_db_or_reply(req) : sk_req_public_db_or_reply(req);
	int64_t latest = 0;
	if (have && db && template_same(&have->template, &template) &&
	    sk_db_decision_latest_id(db, cid, &latest) == SK_DB_OK && latest == have->decision) {
		/* Still the newest: keep it, and check again in CACHE_CHECK_SECONDS. */
		pthread_mutex_lock(&cache_lock);
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (cache[i].campaign == cid && cache[i].doc == have && cache_epoch == epoch)
				cache[i].checked = now;
		pthread_mutex_unlock(&cache_lock);
		return have;
	}
	PGresult *r = NULL;
	enum sk_db_status st = db ? sk_db_decision_latest(db, cid, true, &r) : SK_DB_ERROR;
	if (req->replied) {
		doc_release(have);
		return NULL;
	}
	if (st != SK_DB_OK) {
		PQclear(r);
		doc_release(have);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "The results of this call are not published yet.");
		else
			sk_reply_db_error(req, st);
		return NULL;
	}
	if (have && have->decision == sk_db_i64(r, 0, "id") && template_same(&have->template, &template)) {
		doc = have; /* still the newest: keep it, built once */
	} else {
		doc_release(have);
		doc = doc_build(r, cid, template_path, &template, req->srv->cfg->public_url);
	}
	PQclear(r);
	if (doc == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The results could not be built.");
		return NULL;
	}
	pthread_mutex_lock(&cache_lock);
	/* Cached only when no publication or correction in this process came after the read. */
	if (cache_epoch == epoch) {
		struct cached *slot = NULL;
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (cache[i].campaign == cid || (slot == NULL && cache[i].campaign == 0))
				slot = &cache[i];
		if (slot == NULL) /* full: replace the oldest */
			for (int i = 0; i < CACHE_SLOTS; i++)
				if (slot == NULL || cache[i].checked < slot->checked)
					slot = &cache[i];
		if (slot->doc != doc) {
			have = slot->doc;
			atomic_fetch_add_explicit(&doc->refs, 1, memory_order_relaxed);
			slot->doc = doc;
		} else {
			have = NULL;
		}
		slot->campaign = cid;
		slot->checked = now;
	} else {
		have = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	doc_release(have);
	return doc;
}

/* ---- Content negotiation and conditional requests ---------------------------------------------- */

/* The q of each coding in Accept-Encoding, in thousandths; -1 when not listed. */
struct accept_q {
	int gzip, identity, any;
};

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], in thousandths; -1 when malformed. */
static int parse_qvalue(const char *s, size_t n)
{
	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && (s[1] != '.' || n > 5)))
		return -1;
	int q = (s[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Adds one Accept-Encoding field value to *a (a malformed element is ignored). */
static void accept_encoding_parse(const char *v, struct accept_q *a)
{
	const char *p = v;
	while (*p) {
		while (*p == ',' || is_ows(*p))
			p++;
		if (!*p)
			break;
		const char *name = p;
		while (*p && *p != ',' && *p != ';' && !is_ows(*p))
			p++;
		size_t nlen = (size_t)(p - name);
		int q = 1000;
		bool bad = false;
		while (*p && *p != ',') { /* parameters: ; q=0.5 */
			while (is_ows(*p))
				p++;
			if (*p != ';') {
				if (*p && *p != ',')
					bad = true;
				while (*p && *p != ',')
					p++;
				break;
			}
			p++;
			while (is_ows(*p))
				p++;
			const char *pn = p;
			while (*p && *p != '=' && *p != ',' && *p != ';' && !is_ows(*p))
				p++;
			size_t pnlen = (size_t)(p - pn);
			if (*p != '=') {
				bad = true;
				continue;
			}
			const char *pv = ++p;
			while (*p && *p != ',' && *p != ';' && !is_ows(*p))
				p++;
			if (pnlen == 1 && (pn[0] == 'q' || pn[0] == 'Q')) {
				q = parse_qvalue(pv, (size_t)(p - pv));
				bad |= q < 0;
			}
		}
		if (bad || nlen == 0)
			continue;
		int *slot = (nlen == 4 && !strncasecmp(name, "gzip", 4)) || (nlen == 6 && !strncasecmp(name, "x-gzip", 6))
				    ? &a->gzip
			    : nlen == 8 && !strncasecmp(name, "identity", 8) ? &a->identity
			    : nlen == 1 && name[0] == '*'                    ? &a->any
									     : NULL;
		if (slot && q > *slot)
			*slot = q;
	}
}

static enum MHD_Result accept_encoding_each(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	if (key && value && !strcasecmp(key, MHD_HTTP_HEADER_ACCEPT_ENCODING))
		accept_encoding_parse(value, cls);
	return MHD_YES;
}

/*
 * Whether the request takes gzip (RFC 9110 12.5.3): gzip (or *) with q > 0, preferred at least
 * as much as identity. Otherwise identity is sent, also when the client refused it (the
 * fallback every client understands). Every Accept-Encoding line counts.
 */
bool sk_wants_gzip(struct sk_request *req)
{
	struct accept_q a = { -1, -1, -1 };
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, accept_encoding_each, &a);
	int gzip = a.gzip >= 0 ? a.gzip : a.any >= 0 ? a.any : 0;
	int identity = a.identity >= 0 ? a.identity : a.any >= 0 ? a.any : 1000;
	return gzip > 0 && gzip >= identity;
}

/*
 * Replies with form f of doc in the encoding the request takes, or 304 when it already has it;
 * consumes the caller's reference to doc. The body is doc's own bytes, not a copy.
 */
static void reply_form(struct sk_request *req, struct results_doc *doc, enum form f, const char *content_type,
		       const char *disposition)
{
	bool gz = doc->v[f][ENC_GZIP].body != NULL && sk_wants_gzip(req);
	const struct variant *v = &doc->v[f][gz ? ENC_GZIP : ENC_IDENTITY];
	struct MHD_Response *resp;
	unsigned status;
	if (sk_if_none_match(req, v->etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", v->etag);
		doc_release(doc);
	} else {
		status = 200;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(v->len, v->body, doc_release_cb, doc);
		if (resp == NULL) {
			doc_release(doc);
		} else {
			MHD_add_response_header(resp, "ETag", v->etag); /* copied: doc may go before the headers */
			MHD_add_response_header(resp, "Content-Type", content_type);
			if (gz)
				MHD_add_response_header(resp, "Content-Encoding", "gzip");
			if (disposition)
				MHD_add_response_header(resp, "Content-Disposition", disposition);
		}
	}
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=300");
	sk_reply_queue(req, status, resp);
}

void results_get(struct sk_request *req)
{
	struct results_doc *doc = results_acquire(req, sk_param_id(req, 0));
	if (doc)
		reply_form(req, doc, FORM_JSON, "application/json; charset=utf-8", NULL);
}

void results_csv(struct sk_request *req)
{
	struct results_doc *doc = results_acquire(req, sk_param_id(req, 0));
	if (doc == NULL)
		return;
	char disposition[96];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"ket-qua-%lld.csv\"", (long long)sk_param_id(req, 0));
	reply_form(req, doc, FORM_CSV, "text/csv; charset=utf-8", disposition);
}

/* The public results page with link-preview (Open Graph) tags filled in on the server. */
void results_page(struct sk_request *req, int64_t cid)
{
	struct results_doc *doc = results_acquire(req, cid);
	if (doc == NULL)
		return;
	if (doc->v[FORM_PAGE][ENC_IDENTITY].body == NULL) {
		doc_release(doc);
		sk_reply_error(req, 500, "internal", NULL, "The results page is missing.");
		return;
	}
	reply_form(req, doc, FORM_PAGE, "text/html; charset=utf-8", NULL);
}
