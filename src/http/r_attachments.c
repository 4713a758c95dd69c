/* Attachments: photos and PDFs of a proposal, typed by content, served only to those who may see it. */
#include "db/proposals.h"
#include "domain/filetype.h"
#include "domain/pdf_meta.h"
#include "domain/text.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/reply.h"
#include "log.h"
#include "media/photo.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The X-Filename header, percent-decoded, cleaned (no path, NFC), owned by req; "tep-dinh-kem" when
 * absent, empty or longer than 200 characters. NULL after replying 400 when it holds a control
 * character (a decoded %00 included: it would have cut the name short), a bidirectional formatting
 * character (U+202E would show "txt.exe" as "exe.txt") or bytes that are not UTF-8.
 */
static const char *filename_of(struct sk_request *req)
{
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Filename");
	if (h == NULL || *h == '\0')
		return "tep-dinh-kem";
	char raw[1024];
	size_t n, base = sk_filename_base(h, raw, sizeof raw, &n);
	char *clean;
	enum sk_text_status st = sk_text_clean(raw + base, n - base, SK_TEXT_SINGLE_LINE, 1, 200, &clean);
	if (st == SK_TEXT_CONTROL_CHAR || st == SK_TEXT_BIDI_CONTROL || st == SK_TEXT_INVALID_UTF8) {
		sk_reply_error(req, 400, "invalid_field", "X-Filename", "The file name %s.", sk_text_status_str(st));
		return NULL;
	}
	if (st != SK_TEXT_OK)
		return "tep-dinh-kem";
	return sk_req_own(req, clean);
}

/* The derived sizes made at upload (sql/030) and served by ?size=. */
static const int derived_sides[] = { 320, 1024 };

/*
 * Makes and stores the derived sizes of stored photo (WebP, from the re-encoded bytes: already
 * upright and clean). A failure is logged and leaves that size absent: the photo is then served
 * full size for it, and the upload still succeeds.
 */
static void store_derived_sizes(struct sk_request *req, int64_t id, const unsigned char *photo, size_t len)
{
	for (size_t i = 0; i < sizeof derived_sides / sizeof *derived_sides; i++) {
		unsigned char *small;
		size_t small_len;
		if (sk_photo_reencode(photo, len, derived_sides[i], "image/webp", &small, &small_len, NULL, NULL) !=
		    SK_PHOTO_OK) {
			sk_warn("req=%s attachment=%lld: the %d px size could not be made", req->id, (long long)id,
				derived_sides[i]);
			continue;
		}
		unsigned char hash[crypto_hash_sha256_BYTES];
		char hex[65];
		crypto_hash_sha256(hash, small, small_len);
		sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
		if (sk_db_attachment_size_add(req->db, id, derived_sides[i], "image/webp", small, small_len, hex) != SK_DB_OK)
			sk_warn("req=%s attachment=%lld: the %d px size could not be stored", req->id, (long long)id,
				derived_sides[i]);
		sk_photo_free(small);
	}
}

void attachments_create(struct sk_request *req)
{
	int64_t pid = sk_param_id(req, 0);
	const char *declared = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *sniffed = sk_filetype_sniff((const unsigned char *)req->body, req->body_len);
	/* A HEIC photo may be declared image/heic or image/heif; it is stored as a JPEG. */
	bool heic = sniffed != NULL && !strcmp(sniffed, "image/heic");
	/* The declared media type must be exactly the sniffed one (parameters after ';' are ignored). */
	if (sniffed == NULL || (!sk_media_type_is(declared, sniffed) && !(heic && sk_media_type_is(declared, "image/heif")))) {
		sk_reply_error(req, 415, "unsupported_media_type", NULL,
			       "Attach a JPEG, PNG, WebP or HEIC photo or a PDF, sent with its own Content-Type.");
		return;
	}
	const char *stored_mime = heic ? "image/jpeg" : sniffed;
	/*
	 * Photos are decoded, turned upright, shrunk to a long side of SK_PHOTO_MAX_SIDE and re-encoded
	 * from their pixels (src/media/photo.c) before anything is hashed or stored: no metadata (GPS
	 * position, camera owner, serial, embedded thumbnail, XMP) can survive, and the stored size and
	 * SHA-256 are those of the re-encoded bytes. PDFs are stored as sent.
	 */
	const char *filename = filename_of(req);
	if (filename == NULL)
		return;
	unsigned char *clean;
	size_t clean_len;
	bool photo = strcmp(sniffed, "application/pdf") != 0;
	if (photo) {
		enum sk_photo_status ps = sk_photo_reencode((const unsigned char *)req->body, req->body_len, SK_PHOTO_MAX_SIDE,
							    stored_mime, &clean, &clean_len, NULL, NULL);
		if (ps == SK_PHOTO_TOO_LARGE) {
			sk_reply_error(req, 400, "invalid_image", NULL,
				       "The photo has more than 100 megapixels; nothing was stored.");
			return;
		}
		if (ps != SK_PHOTO_OK) {
			sk_reply_error(req, 400, "invalid_image", NULL,
				       "The photo is damaged or incomplete (it cannot be decoded); nothing was stored.");
			return;
		}
	} else {
		clean = malloc(req->body_len);
		if (clean == NULL) {
			sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
			return;
		}
		memcpy(clean, req->body, req->body_len);
		clean_len = req->body_len;
		/* The document's author, creator, title…: blank review must not read them (same length). */
		sk_pdf_blank_metadata(clean, clean_len);
	}
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256(hash, clean, clean_len);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	char *json;
	enum sk_db_status st = sk_db_attachment_add(req->db, pid, req->session.account_id, req->now, filename, stored_mime,
						    (const char *)clean, clean_len, hex, req->ip, &json);
	if (st == SK_DB_OK && strcmp(stored_mime, "application/pdf") != 0) {
		json_t *row = json_loads(json, 0, NULL);
		int64_t id = row ? (int64_t)json_integer_value(json_object_get(row, "id")) : 0;
		json_decref(row);
		if (id > 0)
			store_derived_sizes(req, id, clean, clean_len);
	}
	if (photo)
		sk_photo_free(clean);
	else
		free(clean);
	if (st == SK_DB_RULE) {
		const char *rule = sk_db_rule(req->db);
		if (!strcmp(rule, "proposal_not_found"))
			sk_reply_error(req, 404, "not_found", NULL, "There is no such proposal.");
		else if (!strcmp(rule, "too_many_attachments"))
			sk_reply_error(req, 409, "too_many_attachments", NULL, "A proposal has at most 5 attachments.");
		else if (!strcmp(rule, "campaign_not_accepting"))
			sk_reply_error(req, 409, "campaign_not_accepting", NULL, "The deadline has passed: nothing can be added.");
		else
			sk_reply_error(req, 409, rule, NULL, "The attachment cannot be added (%s).", rule);
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	json_t *v = json_loads(json, 0, NULL);
	free(json);
	sk_reply_json(req, 201, json_pack("{s:o}", "attachment", v ? v : json_object()));
}

/*
 * True when the caller is a panelist assigned proposal pid with no conflict; in blind review
 * blind_name gets the attachment's neutral name (tep-N.ext) to send instead of the original.
 */
static bool panelist_may_see(struct sk_request *req, int64_t pid, int64_t aid, char *blind_name, size_t sz)
{
	char a[24], b[24], c[24];
	const char *p[] = { sk_db_i64str(a, pid), sk_db_i64str(b, req->session.account_id), sk_db_i64str(c, aid) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(
		req->db, "attachment_panelist",
		"SELECT k.blind_review, f.name FROM proposals q JOIN campaigns k ON k.id = q.campaign_id"
		" JOIN assignments x ON x.proposal_id = q.id AND x.panelist_id = $2,"
		" LATERAL (SELECT 'tep-' || row_number() OVER (ORDER BY id) || CASE mime WHEN 'image/jpeg' THEN '.jpg'"
		"   WHEN 'image/png' THEN '.png' WHEN 'image/webp' THEN '.webp' ELSE '.pdf' END AS name, id"
		"   FROM attachments WHERE proposal_id = q.id) f"
		" WHERE q.id = $1 AND f.id = $3 AND q.status = 'submitted' AND k.state IN ('appraisal', 'decided', 'published')"
		" AND NOT EXISTS (SELECT 1 FROM panel_conflicts y WHERE y.proposal_id = q.id AND y.panelist_id = $2)"
		" AND EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = $2 AND g.ward_id = k.ward_id AND g.role = 'panelist')",
		3, p, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return false;
	}
	bool ok = st == SK_DB_OK;
	if (ok && sk_db_bool(r, 0, "blind_review"))
		snprintf(blind_name, sz, "%s", sk_db_str(r, 0, "name"));
	PQclear(r);
	return ok;
}

/*
 * How long a browser may reuse an attachment it holds without asking again. Attachments need a
 * session, so the cache is private; the ETag is the SHA-256 of the stored bytes, which never change
 * (an attachment is replaced by deleting it and adding another, with another id), so a revalidation
 * after this costs a 304 and no body. Hook for published winners' photos: once the results pages
 * serve them without a session (issue 11, another part), that route may send
 * "public, max-age=31536000, immutable" with the same ETag.
 */
#define SK_ATTACHMENT_CACHE_CONTROL "private, max-age=3600"

void attachments_get(struct sk_request *req)
{
	/* ?size=320 or ?size=1024: a derived size (sql/030), or the file itself when it has none (a PDF). */
	const char *size = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "size");
	int side = 0;
	if (size != NULL) {
		for (size_t i = 0; i < sizeof derived_sides / sizeof *derived_sides; i++) {
			char s[8];
			snprintf(s, sizeof s, "%d", derived_sides[i]);
			if (!strcmp(size, s))
				side = derived_sides[i];
		}
		if (side == 0) {
			sk_reply_error(req, 400, "invalid_field", "size", "size is 320 or 1024.");
			return;
		}
	}
	PGresult *r = NULL;
	enum sk_db_status st = side ? sk_db_attachment_size_get(req->db, sk_param_id(req, 0), side, &r) : SK_DB_NOROWS;
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		st = sk_db_attachment_get(req->db, sk_param_id(req, 0), &r);
	}
	if (st == SK_DB_NOROWS) {
		PQclear(r);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such attachment.");
		return;
	}
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		return;
	}
	/* Binary results: proposal_id is a big-endian int8. */
	const unsigned char *b = (const unsigned char *)PQgetvalue(r, 0, 0);
	int64_t pid = 0;
	for (int i = 0; i < 8; i++)
		pid = (pid << 8) | b[i];
	PGresult *p;
	st = sk_db_proposal_get(req->db, pid, &p);
	bool allowed = false;
	if (st == SK_DB_OK) {
		int64_t me = req->session.account_id, ward = sk_db_i64(p, 0, "ward_id");
		allowed = sk_db_i64(p, 0, "author_id") == me ||
			  (sk_db_i64(p, 0, "helped_by") == me && sk_has_role(req, ward, SK_ROLE_VOLUNTEER)) ||
			  (sk_has_role(req, ward, SK_ROLE_LEADER) &&
			   strcmp(sk_db_str(p, 0, "status"), "draft") != 0);
	}
	PQclear(p);
	char blind_name[32] = "";
	if (!allowed && !panelist_may_see(req, pid, sk_param_id(req, 0), blind_name, sizeof blind_name)) {
		PQclear(r);
		if (!req->replied)
			sk_reply_error(req, 404, "not_found", NULL, "There is no such attachment.");
		return;
	}
	/* Strong ETag: the SHA-256 of the stored bytes (checked to be 64 hex digits by the table). */
	char etag[70];
	snprintf(etag, sizeof etag, "\"%.*s\"", PQgetlength(r, 0, 5) < 64 ? PQgetlength(r, 0, 5) : 64,
		 PQgetvalue(r, 0, 5));
	if (sk_if_none_match(req, etag)) {
		PQclear(r);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL) {
			sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
			return;
		}
		MHD_add_response_header(resp, "ETag", etag);
		MHD_add_response_header(resp, "Cache-Control", SK_ATTACHMENT_CACHE_CONTROL);
		sk_reply_queue(req, 304, resp);
		return;
	}
	int len = PQgetlength(r, 0, 4);
	void *copy = malloc((size_t)len);
	if (copy == NULL) {
		PQclear(r);
		sk_reply_error(req, 500, "internal", NULL, "Out of memory.");
		return;
	}
	memcpy(copy, PQgetvalue(r, 0, 4), (size_t)len);
	char mime[64], disposition[700], encoded[600];
	snprintf(mime, sizeof mime, "%.*s", PQgetlength(r, 0, 2), PQgetvalue(r, 0, 2));
	/* RFC 5987 filename*: every byte outside a safe set is percent-encoded. */
	const char *name = blind_name[0] ? blind_name : PQgetvalue(r, 0, 1);
	int name_len = blind_name[0] ? (int)strlen(blind_name) : PQgetlength(r, 0, 1);
	size_t n = 0;
	for (int i = 0; i < name_len && n + 4 < sizeof encoded; i++) {
		unsigned char ch = (unsigned char)name[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._", ch))
			encoded[n++] = (char)ch;
		else
			n += (size_t)snprintf(encoded + n, sizeof encoded - n, "%%%02X", ch);
	}
	encoded[n] = '\0';
	snprintf(disposition, sizeof disposition, "attachment; filename=\"tep-dinh-kem\"; filename*=UTF-8''%s", encoded);
	PQclear(r);
	struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)len, copy, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", mime);
	MHD_add_response_header(resp, "Content-Disposition", disposition);
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", SK_ATTACHMENT_CACHE_CONTROL);
	sk_reply_queue(req, 200, resp);
}

void attachments_delete(struct sk_request *req)
{
	enum sk_db_status st =
		sk_db_attachment_delete(req->db, sk_param_id(req, 0), req->session.account_id, req->now, req->ip);
	if (st == SK_DB_RULE) {
		const char *rule = sk_db_rule(req->db);
		if (!strcmp(rule, "campaign_not_accepting"))
			sk_reply_error(req, 409, "campaign_not_accepting", NULL, "The deadline has passed: nothing can be removed.");
		else
			sk_reply_error(req, 404, "not_found", NULL, "There is no such attachment.");
		return;
	}
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		return;
	}
	sk_reply_empty(req, 204);
}
