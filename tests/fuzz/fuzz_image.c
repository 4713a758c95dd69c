/*
 * Fuzz target: the metadata stripper (src/domain/image_meta.c), fed whole files. Each input is
 * stripped as JPEG, PNG and WebP, and as the type sk_filetype_sniff gives it (what the upload
 * does). Whenever a strip succeeds:
 *  - the output is no larger than the input (JPEG: plus the 36-byte EXIF segment that carries
 *    the Orientation, which replaces a larger one);
 *  - it starts with the same signature, and stripping it again succeeds and changes nothing;
 *  - no metadata is left: no APPn other than JFIF, ICC_PROFILE, Adobe and the Orientation-only
 *    EXIF, no COM (JPEG); no tEXt, zTXt, iTXt, eXIf, tIME chunk (PNG); no EXIF or "XMP " chunk,
 *    the VP8X E and X flags clear and a RIFF size that is the file's (WebP).
 * A refusal is SK_IMAGE_MALFORMED, never out of memory.
 */
#include "domain/filetype.h"
#include "domain/image_meta.h"
#include "fuzz.h"

#include <string.h>

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The segments before the first SOS (or EOI) hold no metadata. */
static void check_jpeg_clean(const unsigned char *d, size_t n)
{
	FUZZ_CHECK(n >= 2 && d[0] == 0xFF && d[1] == 0xD8, "output does not start with SOI");
	size_t i = 2;
	while (i < n) {
		FUZZ_CHECK(d[i] == 0xFF, "output segment at %zu does not start with 0xFF", i);
		while (i < n && d[i] == 0xFF)
			i++;
		FUZZ_CHECK(i < n, "output ends inside a marker");
		unsigned m = d[i++];
		if (m == 0xD9 || m == 0xDA)
			return; /* the entropy-coded data was checked by the idempotence test */
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
			continue;
		FUZZ_CHECK(n - i >= 2, "output segment length cut");
		size_t len = be16(d + i);
		FUZZ_CHECK(len >= 2 && len <= n - i, "output segment length %zu out of bounds", len);
		const unsigned char *pl = d + i + 2;
		size_t pn = len - 2;
		FUZZ_CHECK(m != 0xFE, "a COM segment is left");
		if (m == 0xE1) {
			static const unsigned char orientation_only[] = { 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A, 0, 0, 0, 8,
								     0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00 };
			FUZZ_CHECK(pn == 32 && memcmp(pl, orientation_only, sizeof orientation_only) == 0 && pl[25] >= 1 &&
					   pl[25] <= 8 && memcmp(pl + 26, "\0\0\0\0\0\0", 6) == 0,
				   "an EXIF segment other than the Orientation-only one is left");
		} else if (m == 0xE2) {
			FUZZ_CHECK(pn >= 12 && memcmp(pl, "ICC_PROFILE\0", 12) == 0, "an APP2 other than ICC_PROFILE is left");
		} else if (m == 0xEE) {
			FUZZ_CHECK(pn >= 5 && memcmp(pl, "Adobe", 5) == 0, "an APP14 other than Adobe is left");
		} else if (m >= 0xE0 && m <= 0xEF) {
			FUZZ_CHECK(m == 0xE0, "an APP%u segment is left", m - 0xE0);
		}
		i += len;
	}
	FUZZ_CHECK(false, "output has no SOS nor EOI");
}

static void check_png_clean(const unsigned char *d, size_t n)
{
	FUZZ_CHECK(n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0, "output does not start with the PNG signature");
	size_t i = 8;
	for (;;) {
		FUZZ_CHECK(n - i >= 12, "output chunk cut at %zu", i);
		uint32_t len = be32(d + i);
		FUZZ_CHECK(len <= n - i - 12, "output chunk length out of bounds");
		const unsigned char *t = d + i + 4;
		static const char *const drop[] = { "tEXt", "zTXt", "iTXt", "eXIf", "tIME" };
		for (size_t k = 0; k < sizeof drop / sizeof *drop; k++)
			FUZZ_CHECK(memcmp(t, drop[k], 4) != 0, "a %s chunk is left", drop[k]);
		i += 12 + (size_t)len;
		if (memcmp(t, "IEND", 4) == 0)
			break;
	}
	FUZZ_CHECK(i == n, "%zu bytes after IEND", n - i);
}

static void check_webp_clean(const unsigned char *d, size_t n)
{
	FUZZ_CHECK(n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0, "output is not RIFF WEBP");
	FUZZ_CHECK(le32(d + 4) == n - 8, "RIFF size %u for a file of %zu bytes", le32(d + 4), n);
	size_t i = 12;
	while (i < n) {
		FUZZ_CHECK(n - i >= 8, "output chunk header cut");
		uint64_t len = le32(d + i + 4), padded = len + (len & 1);
		FUZZ_CHECK(padded <= n - i - 8, "output chunk length out of bounds");
		FUZZ_CHECK(memcmp(d + i, "EXIF", 4) != 0 && memcmp(d + i, "XMP ", 4) != 0, "an %.4s chunk is left", d + i);
		if (memcmp(d + i, "VP8X", 4) == 0)
			FUZZ_CHECK((d[i + 8] & 0x0C) == 0, "VP8X still announces EXIF or XMP");
		i += 8 + (size_t)padded;
	}
}

static void strip_and_check(const char *mime, const uint8_t *data, size_t size)
{
	unsigned char *out;
	size_t out_len;
	enum sk_image_status st = sk_image_strip(mime, data, size, &out, &out_len);
	if (st != SK_IMAGE_OK) {
		FUZZ_CHECK(st == SK_IMAGE_MALFORMED, "%s: status %d", mime, (int)st);
		FUZZ_CHECK(out == NULL && out_len == 0, "%s: refused, yet an output is given", mime);
		return;
	}
	bool is_jpeg = strcmp(mime, "image/jpeg") == 0;
	FUZZ_CHECK(out_len <= size + (is_jpeg ? 36 : 0), "%s: %zu bytes in, %zu out", mime, size, out_len);
	if (strcmp(mime, "image/jpeg") == 0)
		check_jpeg_clean(out, out_len);
	else if (strcmp(mime, "image/png") == 0)
		check_png_clean(out, out_len);
	else if (strcmp(mime, "image/webp") == 0)
		check_webp_clean(out, out_len);
	else
		FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0, "%s: not copied unchanged", mime);

	/* An exact-size copy, so that ASan sees a read past its end. */
	unsigned char *copy = malloc(out_len ? out_len : 1);
	FUZZ_CHECK(copy != NULL, "out of memory");
	memcpy(copy, out, out_len);
	unsigned char *again;
	size_t again_len;
	st = sk_image_strip(mime, copy, out_len, &again, &again_len);
	FUZZ_CHECK(st == SK_IMAGE_OK, "%s: the cleaned file is refused (status %d)", mime, (int)st);
	FUZZ_CHECK(again_len == out_len && memcmp(again, out, out_len) == 0,
		   "%s: cleaning the cleaned file changed it (%zu -> %zu bytes)", mime, out_len, again_len);
	free(again);
	free(copy);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "image/jpeg", "image/png", "image/webp" };
	const char *sniffed = sk_filetype_sniff(data, size);
	for (size_t k = 0; k < sizeof types / sizeof *types; k++)
		strip_and_check(types[k], data, size);
	if (sniffed != NULL && strncmp(sniffed, "image/", 6) != 0)
		strip_and_check(sniffed, data, size);
	return 0;
}
