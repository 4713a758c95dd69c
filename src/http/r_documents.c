/*
 * Documents of a call, public: GET /campaigns/{id}/minutes.pdf and /results.xlsx (a published call:
 * the newest published decision) and /poster.pdf (an open or a published call). Each is rendered once
 * per decision (the poster once per change of what it shows) and kept in this process's memory,
 * served with an ETag and 304 on If-None-Match. Rendering is in src/render; this file turns the
 * decision snapshot into its plain structs.
 */
#include "db/decisions.h"
#include "db/documents.h"
#include "http/handlers.h"
#include "http/reply.h"
#include "render/minutes.h"
#include "render/poster.h"
#include "render/xlsx.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum doc_kind { DOC_MINUTES, DOC_XLSX, DOC_POSTER };

/* A rendered document: immutable once built; the last reference frees it. */
struct blob {
	atomic_int refs;
	unsigned char *bytes;
	size_t len;
	char etag[64]; /* with the quotes */
};

#define DOC_SLOTS 96

struct slot {
	int64_t campaign;
	enum doc_kind kind;
	char key[48]; /* what it was rendered from: the decision id, or the poster's version */
	struct blob *blob;
	unsigned long used;
};

static struct slot slots[DOC_SLOTS];
static unsigned long use_counter;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void blob_release(struct blob *b)
{
	if (b == NULL || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(b->bytes);
	free(b);
}

static void blob_release_cb(void *cls)
{
	blob_release(cls);
}

/* The cached document of (cid, kind) rendered from key, with a reference for the caller; NULL if none. */
static struct blob *cache_find(int64_t cid, enum doc_kind kind, const char *key)
{
	struct blob *b = NULL;
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < DOC_SLOTS; i++)
		if (slots[i].blob && slots[i].campaign == cid && slots[i].kind == kind && !strcmp(slots[i].key, key)) {
			b = slots[i].blob;
			atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
			slots[i].used = ++use_counter;
			break;
		}
	pthread_mutex_unlock(&slots_lock);
	return b;
}

/* Keeps b (the cache takes its own reference) as (cid, kind), replacing an older one or the least used. */
static void cache_put(int64_t cid, enum doc_kind kind, const char *key, struct blob *b)
{
	struct blob *drop = NULL;
	pthread_mutex_lock(&slots_lock);
	struct slot *s = NULL;
	for (int i = 0; i < DOC_SLOTS && s == NULL; i++)
		if (slots[i].blob && slots[i].campaign == cid && slots[i].kind == kind)
			s = &slots[i];
	for (int i = 0; i < DOC_SLOTS && s == NULL; i++)
		if (slots[i].blob == NULL)
			s = &slots[i];
	if (s == NULL) { /* full: replace the least recently used */
		s = &slots[0];
		for (int i = 1; i < DOC_SLOTS; i++)
			if (slots[i].used < s->used)
				s = &slots[i];
	}
	drop = s->blob;
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	s->blob = b;
	s->campaign = cid;
	s->kind = kind;
	snprintf(s->key, sizeof s->key, "%s", key);
	s->used = ++use_counter;
	pthread_mutex_unlock(&slots_lock);
	blob_release(drop);
}

/* A blob holding bytes (taken), tagged prefix-key-hash; NULL (bytes freed) when out of memory. */
static struct blob *blob_new(unsigned char *bytes, size_t len, char prefix, const char *key)
{
	struct blob *b = calloc(1, sizeof *b);
	if (b == NULL) {
		free(bytes);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->bytes = bytes;
	b->len = len;
	unsigned char h[crypto_generichash_BYTES_MIN];
	char hex[17];
	crypto_generichash(h, sizeof h, bytes, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, 8);
	snprintf(b->etag, sizeof b->etag, "\"%c%.24s-%s\"", prefix, key, hex);
	return b;
}

/* ---- From the snapshot to the plain structs of src/render ---------------------------------------- */

struct results_input {
	struct sk_doc_results r;
	struct sk_doc_entry *entries;
	const char **criteria;
	double *values; /* 2 * ncriteria per entry */
	json_t *doc;
};

static const char *str_or_null(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static double number_or_nan(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Fills in from the decision row r of sk_db_decision_latest and the campaign row c; false when out of memory. */
static bool results_input_fill(struct results_input *in, PGresult *r, PGresult *c)
{
	memset(in, 0, sizeof *in);
	in->doc = json_loads(sk_db_str(r, 0, "snapshot"), 0, NULL);
	if (in->doc == NULL)
		return false;
	json_t *ranking = json_object_get(in->doc, "ranking");
	size_t n = json_array_size(ranking);
	size_t nc = n ? json_array_size(json_object_get(json_array_get(ranking, 0), "criteria")) : 0;
	in->entries = calloc(n + 1, sizeof *in->entries);
	in->criteria = calloc(nc + 1, sizeof *in->criteria);
	in->values = calloc(2 * nc * n + 1, sizeof *in->values);
	if (!in->entries || !in->criteria || !in->values)
		return false;
	for (size_t c2 = 0; c2 < nc; c2++)
		in->criteria[c2] = str_or_null(json_array_get(json_object_get(json_array_get(ranking, 0), "criteria"), c2),
					       "name");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(ranking, i), *iv = json_object_get(e, "interval");
		struct sk_doc_entry *d = &in->entries[i];
		d->rank = (long)json_integer_value(json_object_get(e, "rank"));
		d->tracking_code = str_or_null(e, "tracking_code");
		d->title = str_or_null(e, "title");
		d->group_name = str_or_null(e, "group_name");
		d->award = str_or_null(e, "award");
		d->reason = str_or_null(e, "reason");
		d->has_score = json_is_number(json_object_get(e, "score"));
		d->score = number_or_nan(json_object_get(e, "score"));
		d->has_interval = json_is_object(iv);
		d->low = number_or_nan(json_object_get(iv, "low"));
		d->high = number_or_nan(json_object_get(iv, "high"));
		d->reviews = (long)json_integer_value(json_object_get(e, "reviews"));
		d->tied_with_next = json_is_true(json_object_get(e, "tied_with_next"));
		double *raw = in->values + 2 * nc * i, *norm = raw + nc;
		json_t *crit = json_object_get(e, "criteria");
		for (size_t k = 0; k < nc; k++) {
			raw[k] = number_or_nan(json_object_get(json_array_get(crit, k), "raw"));
			norm[k] = number_or_nan(json_object_get(json_array_get(crit, k), "normalised"));
		}
		d->criterion_raw = raw;
		d->criterion_normalised = norm;
	}
	in->r = (struct sk_doc_results){
		.ward_name = sk_db_str(c, 0, "ward_name"),
		.campaign_title = str_or_null(in->doc, "campaign_title"),
		.method = str_or_null(in->doc, "method"),
		.decided_at = sk_db_str(r, 0, "decided_at"),
		.published_at = sk_db_str(r, 0, "published_at"),
		.config_digest = str_or_null(in->doc, "config_digest"),
		.score_record_head = str_or_null(in->doc, "score_record_head"),
		.inputs_digest = str_or_null(in->doc, "inputs_digest"),
		.correction_reason = sk_db_str(r, 0, "correction_reason"),
		.version = (long)sk_db_i64(r, 0, "version"),
		.reviews = (long)json_integer_value(json_object_get(in->doc, "reviews")),
		.panelists = (long)json_integer_value(json_object_get(in->doc, "panelists")),
		.tie_warning = json_is_true(json_object_get(in->doc, "tie_warning")),
		.ncriteria = nc,
		.criteria = in->criteria,
		.nentries = n,
		.entries = in->entries,
	};
	return true;
}

static void results_input_cleanup(struct results_input *in)
{
	free(in->entries);
	free(in->criteria);
	free(in->values);
	json_decref(in->doc);
}

/* ---- Replies ------------------------------------------------------------------------------------ */

/* Replies with b (or 304 when the client has it); consumes the caller's reference. */
static void reply_blob(struct sk_request *req, struct blob *b, const char *content_type, const char *disposition)
{
	struct MHD_Response *resp;
	unsigned status;
	if (sk_if_none_match(req, b->etag)) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", b->etag);
		blob_release(b);
	} else {
		status = 200;
		char etag[sizeof b->etag];
		memcpy(etag, b->etag, sizeof etag); /* b may go once the response owns it */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->bytes, blob_release_cb, b);
		if (resp == NULL) {
			blob_release(b);
		} else {
			MHD_add_response_header(resp, "ETag", etag);
			MHD_add_response_header(resp, "Content-Type", content_type);
			MHD_add_response_header(resp, "Content-Disposition", disposition);
		}
	}
	if (resp == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The reply could not be built.");
		return;
	}
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=300");
	sk_reply_queue(req, status, resp);
}

/* The campaign row of the path (sk_db_document_campaign) for the caller to clear; replies 404 and returns NULL otherwise. */
static PGresult *campaign_or_reply(struct sk_request *req, int64_t cid)
{
	PGresult *c = NULL;
	if (cid <= 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		return NULL;
	}
	if (!sk_req_public_db_or_reply(req))
		return NULL;
	enum sk_db_status st = sk_db_document_campaign(req->db, cid, &c);
	if (st != SK_DB_OK) {
		PQclear(c);
		if (st == SK_DB_NOROWS)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such call.");
		else
			sk_reply_db_error(req, st);
		return NULL;
	}
	return c;
}

/* Minutes or XLSX of the newest published decision of the path's call. */
static void results_document(struct sk_request *req, enum doc_kind kind)
{
	int64_t cid = sk_param_id(req, 0);
	PGresult *c = campaign_or_reply(req, cid);
	if (c == NULL)
		return;
	if (sk_db_isnull(c, 0, "decision_id")) {
		PQclear(c);
		sk_reply_error(req, 404, "not_found", NULL, "The results of this call are not published yet.");
		return;
	}
	/* The newest published decision names the document: the snapshot is read only to render it. */
	char key[48];
	snprintf(key, sizeof key, "%s", sk_db_str(c, 0, "decision_id"));
	struct blob *b = cache_find(cid, kind, key);
	PGresult *r = NULL;
	if (b == NULL) {
		enum sk_db_status st = sk_db_decision_latest(req->db, cid, true, &r);
		if (st != SK_DB_OK) {
			PQclear(c);
			PQclear(r);
			if (st == SK_DB_NOROWS)
				sk_reply_error(req, 404, "not_found", NULL, "The results of this call are not published yet.");
			else
				sk_reply_db_error(req, st);
			return;
		}
		snprintf(key, sizeof key, "%lld", (long long)sk_db_i64(r, 0, "id"));
		struct results_input in;
		unsigned char *bytes = NULL;
		size_t len = 0;
		if (results_input_fill(&in, r, c))
			bytes = kind == DOC_MINUTES ? sk_render_minutes(&in.r, &len) : sk_render_xlsx(&in.r, &len);
		results_input_cleanup(&in);
		b = bytes ? blob_new(bytes, len, kind == DOC_MINUTES ? 'm' : 'x', key) : NULL;
		if (b)
			cache_put(cid, kind, key, b);
	}
	PQclear(r);
	PQclear(c);
	if (b == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The document could not be rendered.");
		return;
	}
	char disposition[96];
	if (kind == DOC_MINUTES) {
		snprintf(disposition, sizeof disposition, "inline; filename=\"bien-ban-%lld.pdf\"", (long long)cid);
		reply_blob(req, b, "application/pdf", disposition);
	} else {
		snprintf(disposition, sizeof disposition, "attachment; filename=\"ket-qua-%lld.xlsx\"", (long long)cid);
		reply_blob(req, b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", disposition);
	}
}

void documents_minutes(struct sk_request *req)
{
	results_document(req, DOC_MINUTES);
}

void documents_xlsx(struct sk_request *req)
{
	results_document(req, DOC_XLSX);
}

void documents_poster(struct sk_request *req)
{
	int64_t cid = sk_param_id(req, 0);
	PGresult *c = campaign_or_reply(req, cid);
	if (c == NULL)
		return;
	const char *state = sk_db_str(c, 0, "state");
	bool published = !strcmp(state, "published");
	if (!published && strcmp(state, "open")) {
		PQclear(c);
		sk_reply_error(req, 404, "not_found", NULL, "A poster is offered while the call is open and once its results are published.");
		return;
	}
	char url[4200];
	const char *base = req->srv->cfg->public_url; /* always set (config.c) */
	if (published)
		snprintf(url, sizeof url, "%s/results/%lld", base, (long long)cid);
	else
		snprintf(url, sizeof url, "%s/call.html?id=%lld", base, (long long)cid);
	const char *key = sk_db_str(c, 0, "version");
	struct blob *b = cache_find(cid, DOC_POSTER, key);
	if (b == NULL) {
		struct sk_doc_poster p = { .ward_name = sk_db_str(c, 0, "ward_name"),
					   .campaign_title = sk_db_str(c, 0, "title"),
					   .closes_at = sk_db_str(c, 0, "closes_at_text"),
					   .url = url,
					   .published = published };
		size_t len = 0;
		unsigned char *bytes = sk_render_poster(&p, &len);
		b = bytes ? blob_new(bytes, len, 'p', key) : NULL;
		if (b)
			cache_put(cid, DOC_POSTER, key, b);
	}
	PQclear(c);
	if (b == NULL) {
		sk_reply_error(req, 500, "internal", NULL, "The poster could not be rendered.");
		return;
	}
	char disposition[96];
	snprintf(disposition, sizeof disposition, "inline; filename=\"ap-phich-%lld.pdf\"", (long long)cid);
	reply_blob(req, b, "application/pdf", disposition);
}
