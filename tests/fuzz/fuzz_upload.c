/*
 * Fuzz target: what reads an upload (POST /api/v1/proposals/{id}/attachments,
 * src/http/r_attachments.c) up to the database: the X-Filename header through
 * sk_filename_base and sk_text_clean as filename_of does, the type by magic bytes
 * (sk_filetype_sniff) against the declared Content-Type, and the photo pipeline (src/media/photo.c,
 * with a small long side so that a run stays fast). The input is "Content-Type\nX-Filename\nbody".
 * Invariants:
 *  - the stored name is 1..200 code points of NFC-cleaned UTF-8 with no '/', '\' nor control
 *    character, or the fallback "tep-dinh-kem";
 *  - a file is accepted only with a known type (JPEG, PNG, WebP, PDF, HEIC) whose magic bytes it
 *    holds and that the Content-Type names exactly (sk_media_type_is: type/subtype, then only
 *    parameters; a HEIC photo may be declared image/heif, as the handler allows); the re-encoding
 *    of an accepted photo either refuses it (invalid, too large) with no output, or gives a file
 *    of the type the pipeline stores it as.
 */
#include "domain/filetype.h"
#include "domain/text.h"
#include "fuzz.h"
#include "media/photo.h"

#include <string.h>
#include <strings.h>

/* Splits off the text up to the next '\n' (or the end) as a NUL-terminated copy. */
static char *take_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left;
	char *s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += nl ? n + 1 : n;
	*left -= nl ? n + 1 : n;
	return s;
}

/* The handler's filename_of without the request: the stored name (malloc'd). */
static char *stored_name(const char *header)
{
	if (*header == '\0')
		return strdup("tep-dinh-kem");
	char raw[1024];
	size_t n, off = sk_filename_base(header, raw, sizeof raw, &n);
	FUZZ_CHECK(off <= n && n < sizeof raw, "base name outside the buffer");
	const char *base = raw + off;
	FUZZ_CHECK(memchr(base, '/', n - off) == NULL && memchr(base, '\\', n - off) == NULL,
		   "base name \"%s\" holds a path", base);
	char *clean;
	if (sk_text_clean(base, n - off, SK_TEXT_SINGLE_LINE, 1, 200, &clean) != SK_TEXT_OK)
		return strdup("tep-dinh-kem");
	return clean;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *declared = take_line(&p, &left);
	char *header = take_line(&p, &left);
	/* The body, in a buffer of its exact size. */
	unsigned char *body = malloc(left ? left : 1);
	if (declared == NULL || header == NULL || body == NULL)
		goto out;
	memcpy(body, p, left);

	char *name = stored_name(header);
	FUZZ_CHECK(name != NULL, "out of memory");
	size_t name_len = strlen(name);
	FUZZ_CHECK(sk_text_valid_utf8(name, name_len), "stored name is not UTF-8");
	size_t points = sk_text_codepoints(name);
	FUZZ_CHECK(points >= 1 && points <= 200, "stored name of %zu code points", points);
	FUZZ_CHECK(strchr(name, '/') == NULL && strchr(name, '\\') == NULL, "stored name \"%s\" holds a path", name);
	for (size_t i = 0; i < name_len; i++)
		FUZZ_CHECK((unsigned char)name[i] >= 0x20 && name[i] != 0x7F, "control character in the stored name");
	free(name);

	const char *sniffed = sk_filetype_sniff(body, left);
	/* As the handler: a HEIC photo may also be declared image/heif. */
	bool heic = sniffed != NULL && !strcmp(sniffed, "image/heic");
	bool as_heif = heic && sk_media_type_is(declared, "image/heif");
	if (sniffed == NULL || (!sk_media_type_is(declared, sniffed) && !as_heif))
		goto out; /* 415 */
	/* Accepted: the declared type, without spaces around it and its parameters, is exactly the sniffed one
	 * (or image/heif for a HEIC photo). */
	const char *t = declared + strspn(declared, " \t");
	size_t tlen = strcspn(t, " \t;");
	const char *named = as_heif && !sk_media_type_is(declared, sniffed) ? "image/heif" : sniffed;
	FUZZ_CHECK(tlen == strlen(named) && strncasecmp(t, named, tlen) == 0, "\"%s\" accepted as %s", declared,
		   sniffed);
	static const struct {
		const char *mime;
		const char *magic;
		size_t magic_at, magic_len, min_len;
	} known[] = {
		{ "image/jpeg", "\xFF\xD8\xFF", 0, 3, 4 },
		{ "image/png", "\x89PNG\r\n\x1a\n", 0, 8, 8 },
		{ "image/webp", "RIFF", 0, 4, 12 },
		{ "application/pdf", "%PDF-", 0, 5, 5 },
		{ "image/heic", "ftyp", 4, 4, 12 }, /* an ISO BMFF box: its size, then "ftyp" and a HEIF brand */
	};
	size_t k = 0;
	while (k < sizeof known / sizeof *known && strcmp(known[k].mime, sniffed) != 0)
		k++;
	FUZZ_CHECK(k < sizeof known / sizeof *known, "unknown type %s accepted", sniffed);
	FUZZ_CHECK(left >= known[k].min_len && memcmp(body + known[k].magic_at, known[k].magic, known[k].magic_len) == 0,
		   "%s accepted without its magic bytes", sniffed);

	if (strncmp(sniffed, "image/", 6) == 0) {
		static bool started;
		if (!started) {
			FUZZ_CHECK(sk_photo_init("fuzz-upload") == 0, "libvips did not start");
			started = true;
		}
		unsigned char *clean;
		size_t clean_len;
		const char *stored = strcmp(sniffed, "image/heic") == 0 ? "image/jpeg" : sniffed; /* as r_attachments.c stores it */
		enum sk_photo_status st = sk_photo_reencode(body, left, 64, stored, &clean, &clean_len, NULL, NULL);
		FUZZ_CHECK(st == SK_PHOTO_OK || st == SK_PHOTO_INVALID || st == SK_PHOTO_TOO_LARGE, "photo status %d", (int)st);
		if (st == SK_PHOTO_OK) {
			const char *again = sk_filetype_sniff(clean, clean_len);
			FUZZ_CHECK(again != NULL && strcmp(again, stored) == 0, "the stored file is no longer a %s", stored);
			sk_photo_free(clean);
		} else {
			FUZZ_CHECK(clean == NULL && clean_len == 0, "a refusal left an output");
		}
	}
out:
	free(declared);
	free(header);
	free(body);
	return 0;
}
