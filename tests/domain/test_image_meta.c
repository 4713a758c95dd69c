/*
 * Metadata removal from uploaded photos (src/domain/image_meta.c): images assembled here byte by
 * byte, with EXIF (GPS, Artist, Orientation), XMP, IPTC, comments and PNG/WebP text chunks that
 * carry a marker string; the marker must be gone, the image data byte-identical, the orientation
 * kept, broken files refused, and hostile bytes must never make it read past the buffer.
 */
#include "domain/image_meta.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MARK "Nguyen-Thi-Marker-0912345678"

struct buf {
	unsigned char d[8192];
	size_t n;
};

static void add(struct buf *b, const void *p, size_t k)
{
	cr_assert(b->n + k <= sizeof b->d);
	memcpy(b->d + b->n, p, k);
	b->n += k;
}

static void add_u8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;
	add(b, &c, 1);
}

static void add_be16(struct buf *b, unsigned v)
{
	add_u8(b, v >> 8);
	add_u8(b, v & 0xFF);
}

static void add_be32(struct buf *b, uint32_t v)
{
	add_be16(b, v >> 16);
	add_be16(b, v & 0xFFFF);
}

static void add_le16(struct buf *b, unsigned v)
{
	add_u8(b, v & 0xFF);
	add_u8(b, v >> 8);
}

static void add_le32(struct buf *b, uint32_t v)
{
	add_le16(b, v & 0xFFFF);
	add_le16(b, v >> 16);
}

/* A JPEG segment: FF m, big-endian length, payload. */
static void seg(struct buf *b, unsigned m, const void *p, size_t k)
{
	add_u8(b, 0xFF);
	add_u8(b, m);
	add_be16(b, (unsigned)k + 2);
	add(b, p, k);
}

static bool contains(const unsigned char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(h + i, needle, k) == 0)
			return true;
	return false;
}

/* An EXIF APP1 payload: little-endian TIFF; IFD0 = Artist, Orientation (when orient), GPSInfo; a GPS IFD. */
static void exif_payload(struct buf *e, unsigned orient, bool big_endian)
{
	void (*w16)(struct buf *, unsigned) = big_endian ? add_be16 : add_le16;
	void (*w32)(struct buf *, uint32_t) = big_endian ? add_be32 : add_le32;
	add(e, "Exif\0\0", 6);
	add(e, big_endian ? "MM" : "II", 2);
	w16(e, 42);
	w32(e, 8);
	unsigned n = orient ? 3 : 2;
	uint32_t after_ifd0 = 8 + 2 + 12 * n + 4;
	uint32_t artist_at = after_ifd0, gps_at = artist_at + (uint32_t)sizeof MARK;
	w16(e, n);
	w16(e, 0x013B); /* Artist, ASCII */
	w16(e, 2);
	w32(e, (uint32_t)sizeof MARK);
	w32(e, artist_at);
	if (orient) {
		w16(e, 0x0112); /* Orientation, SHORT, 1 */
		w16(e, 3);
		w32(e, 1);
		w16(e, orient);
		w16(e, 0);
	}
	w16(e, 0x8825); /* GPSInfo IFD pointer */
	w16(e, 4);
	w32(e, 1);
	w32(e, gps_at);
	w32(e, 0); /* no IFD1 */
	add(e, MARK, sizeof MARK);
	/* GPS IFD: GPSLatitudeRef 'N', GPSLatitude 21/1 1/1 4242/100 */
	w16(e, 2);
	w16(e, 0x0001);
	w16(e, 2);
	w32(e, 2);
	add(e, "N\0\0\0", 4);
	w16(e, 0x0002);
	w16(e, 5);
	w32(e, 3);
	w32(e, gps_at + 2 + 24 + 4);
	w32(e, 0);
	uint32_t lat[6] = { 21, 1, 1, 1, 4242, 100 };
	for (int i = 0; i < 6; i++)
		w32(e, lat[i]);
}

struct jpeg_parts {
	struct buf app0, icc, adobe, tables, scan; /* the kept segments, in order */
};

/*
 * A JPEG with every kind of metadata segment around the kept ones; *want gets what the cleaned
 * file must be (orientation APP1 written as the stripper writes it).
 */
static void make_jpeg(struct buf *f, struct buf *want, unsigned orient, bool with_app0, bool big_endian)
{
	static const unsigned char orient_seg[] = { 0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A,
						    0, 0, 0, 8, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00,
						    0, 0, 0, 0, 0, 0, 0 };
	memset(f, 0, sizeof *f);
	memset(want, 0, sizeof *want);
	struct buf s = { .n = 0 };
	add(f, "\xFF\xD8", 2);
	add(want, "\xFF\xD8", 2);
	if (with_app0) {
		s.n = 0;
		seg(&s, 0xE0, "JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00", 14);
		add(f, s.d, s.n);
		add(want, s.d, s.n);
	}
	if (orient) {
		unsigned char o[sizeof orient_seg];
		memcpy(o, orient_seg, sizeof o);
		o[29] = (unsigned char)orient;
		add(want, o, sizeof o);
	}
	struct buf e = { .n = 0 };
	exif_payload(&e, orient, big_endian);
	seg(f, 0xE1, e.d, e.n);
	char xmp[200];
	int xn = snprintf(xmp, sizeof xmp, "http://ns.adobe.com/xap/1.0/%c<x:xmpmeta><dc:creator>%s</dc:creator></x:xmpmeta>", 0,
			  MARK);
	seg(f, 0xE1, xmp, (size_t)xn);
	char iptc[100];
	int in = snprintf(iptc, sizeof iptc, "Photoshop 3.0%c8BIM\x04\x04%s", 0, MARK);
	seg(f, 0xED, iptc, (size_t)in);
	s.n = 0;
	seg(&s, 0xE2, "ICC_PROFILE\0\x01\x01" "fake-profile-bytes", 32);
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	seg(f, 0xE2, "MPF\0" MARK, 4 + strlen(MARK)); /* multi-picture index: dropped */
	s.n = 0;
	seg(&s, 0xEE, "Adobe\0\x64\x00\x00\x00\x00\x01", 12);
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	seg(f, 0xFE, "Taken by " MARK, 9 + strlen(MARK));
	seg(f, 0xE5, MARK, strlen(MARK)); /* some vendor APP5 */
	/* DQT, SOF0, DHT: content is opaque to the stripper, copied as is */
	s.n = 0;
	unsigned char dqt[65];
	for (int i = 0; i < 65; i++)
		dqt[i] = (unsigned char)(i == 0 ? 0 : i + 1);
	seg(&s, 0xDB, dqt, sizeof dqt);
	seg(&s, 0xC0, "\x08\x00\x10\x00\x10\x01\x01\x11\x00", 9);
	seg(&s, 0xC4, "\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05", 23);
	seg(&s, 0xDA, "\x01\x01\x00\x00\x3F\x00", 6);
	/* entropy-coded data with a stuffed FF 00 and an RST marker, then a second scan */
	add(&s, "\x12\x34\xFF\x00\x56\xFF\xD0\x78\x9A\xFF\xFF\xD1\xBC", 13);
	seg(&s, 0xDA, "\x01\x01\x00\x00\x3F\x00", 6);
	add(&s, "\xDE\xAD\xFF\x00\xBE\xEF", 6);
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	seg(f, 0xFE, MARK, strlen(MARK)); /* a comment between the scans and EOI */
	add(f, "\xFF\xD9", 2);
	add(want, "\xFF\xD9", 2);
	add(f, "trailer " MARK, 8 + strlen(MARK)); /* after EOI: dropped */
}

/* Strips a heap copy of exactly n bytes (so ASan sees any read past the end). */
static enum sk_image_status strip(const char *mime, const unsigned char *d, size_t n, unsigned char **out, size_t *out_n)
{
	unsigned char *copy = malloc(n ? n : 1);
	memcpy(copy, d, n);
	enum sk_image_status st = sk_image_strip(mime, copy, n, out, out_n);
	free(copy);
	return st;
}

static void assert_cleans_to(const char *mime, const struct buf *f, const struct buf *want)
{
	unsigned char *out, *again;
	size_t n, n2;
	cr_assert_eq(strip(mime, f->d, f->n, &out, &n), SK_IMAGE_OK);
	cr_assert(!contains(out, n, MARK), "%s: the marker survived", mime);
	cr_assert_eq(n, want->n, "%s: %zu bytes, want %zu", mime, n, want->n);
	cr_assert(memcmp(out, want->d, n) == 0, "%s: the cleaned bytes differ", mime);
	/* idempotent */
	cr_assert_eq(strip(mime, out, n, &again, &n2), SK_IMAGE_OK);
	cr_assert_eq(n2, n);
	cr_assert(memcmp(again, out, n) == 0, "%s: a second pass changed the file", mime);
	free(out);
	free(again);
}

Test(image_meta, jpeg_loses_exif_xmp_iptc_comments_and_keeps_orientation_icc_adobe_and_data)
{
	struct buf f, want;
	make_jpeg(&f, &want, 6, true, false);
	cr_assert(contains(f.d, f.n, MARK));
	assert_cleans_to("image/jpeg", &f, &want);
	/* the kept EXIF is right after APP0 and says orientation 6, nothing else */
	unsigned char *out;
	size_t n;
	cr_assert_eq(strip("image/jpeg", f.d, f.n, &out, &n), SK_IMAGE_OK);
	cr_assert_eq(out[20], 0xFF);
	cr_assert_eq(out[21], 0xE1);
	cr_assert_eq(out[20 + 29], 6);
	cr_assert(!contains(out, n, "http://ns.adobe.com"));
	cr_assert(!contains(out, n, "Photoshop"));
	cr_assert(!contains(out, n, "MPF"));
	free(out);
}

Test(image_meta, jpeg_orientation_from_big_endian_exif_without_app0_goes_right_after_soi)
{
	struct buf f, want;
	make_jpeg(&f, &want, 3, false, true);
	assert_cleans_to("image/jpeg", &f, &want);
	cr_assert_eq(want.d[2], 0xFF);
	cr_assert_eq(want.d[3], 0xE1);
}

Test(image_meta, jpeg_without_orientation_gets_no_exif_at_all)
{
	struct buf f, want;
	make_jpeg(&f, &want, 0, true, false);
	assert_cleans_to("image/jpeg", &f, &want);
	cr_assert(!contains(want.d, want.n, "Exif"));
}

Test(image_meta, jpeg_bad_structure_is_refused)
{
	struct buf f, want;
	make_jpeg(&f, &want, 6, true, false);
	size_t eoi_end = f.n - (8 + strlen(MARK));
	unsigned char *out = (unsigned char *)"x";
	size_t n = 1;
	/* every cut before the end of EOI is refused; after it (only the trailer is cut), accepted */
	for (size_t k = 0; k < f.n; k++) {
		enum sk_image_status st = strip("image/jpeg", f.d, k, &out, &n);
		if (k < eoi_end) {
			cr_assert_eq(st, SK_IMAGE_MALFORMED, "a file cut at %zu of %zu was accepted", k, f.n);
			cr_assert_null(out);
		} else {
			cr_assert_eq(st, SK_IMAGE_OK, "cut at %zu", k);
			cr_assert_eq(n, want.n);
			free(out);
		}
	}
	/* a segment length of 0 or 1, or one running past the end */
	static const unsigned char len0[] = { 0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x00, 0xFF, 0xD9 };
	static const unsigned char len1[] = { 0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9 };
	static const unsigned char past[] = { 0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 'E', 'x', 'i', 'f', 0xFF, 0xD9 };
	static const unsigned char nomark[] = { 0xFF, 0xD8, 0x00, 0x11, 0xFF, 0xD9 };
	static const unsigned char soi2[] = { 0xFF, 0xD8, 0xFF, 0xD8, 0xFF, 0xD9 };
	const struct {
		const unsigned char *d;
		size_t n;
	} bad[] = { { len0, sizeof len0 }, { len1, sizeof len1 }, { past, sizeof past }, { nomark, sizeof nomark },
		    { soi2, sizeof soi2 } };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(strip("image/jpeg", bad[i].d, bad[i].n, &out, &n), SK_IMAGE_MALFORMED, "case %zu", i);
}

/* ---- PNG ---------------------------------------------------------------- */

static void chunk(struct buf *b, const char *type, const void *p, size_t k)
{
	add_be32(b, (uint32_t)k);
	size_t at = b->n;
	add(b, type, 4);
	add(b, p, k);
	add_be32(b, (uint32_t)crc32(0, b->d + at, (uInt)(k + 4)));
}

static void make_png(struct buf *f, struct buf *want)
{
	memset(f, 0, sizeof *f);
	memset(want, 0, sizeof *want);
	add(f, "\x89PNG\r\n\x1a\n", 8);
	add(want, "\x89PNG\r\n\x1a\n", 8);
	struct buf s = { .n = 0 };
	chunk(&s, "IHDR", "\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00", 13);
	chunk(&s, "iCCP", "sRGB\0\0fakecompressed", 20);
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	chunk(f, "tEXt", "Author\0" MARK, 7 + strlen(MARK));
	chunk(f, "zTXt", "Comment\0\0x\x9c\x03\x00", 12);
	chunk(f, "iTXt", "Description\0\0\0vi\0\0" MARK, 18 + strlen(MARK));
	struct buf e = { .n = 0 };
	exif_payload(&e, 6, false);
	chunk(f, "eXIf", e.d + 6, e.n - 6);
	chunk(f, "tIME", "\x07\xea\x0c\x01\x14\x1e\x00", 7);
	s.n = 0;
	chunk(&s, "IDAT", "\x78\x9c\x63\x60\x60\x60\x00\x00\x00\x04\x00\x01", 12);
	chunk(&s, "IEND", "", 0);
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	add(f, MARK, strlen(MARK)); /* after IEND: dropped */
}

Test(image_meta, png_loses_text_exif_and_time_chunks_and_keeps_the_rest_whole)
{
	struct buf f, want;
	make_png(&f, &want);
	assert_cleans_to("image/png", &f, &want);
	/* the kept chunks still carry valid CRCs */
	for (size_t i = 8; i < want.n;) {
		uint32_t k = (uint32_t)want.d[i] << 24 | (uint32_t)want.d[i + 1] << 16 | (uint32_t)want.d[i + 2] << 8 | want.d[i + 3];
		size_t c = i + 8 + k;
		uint32_t crc = (uint32_t)want.d[c] << 24 | (uint32_t)want.d[c + 1] << 16 | (uint32_t)want.d[c + 2] << 8 | want.d[c + 3];
		cr_assert_eq(crc, (uint32_t)crc32(0, want.d + i + 4, k + 4));
		i = c + 4;
	}
}

Test(image_meta, png_bad_structure_is_refused)
{
	struct buf f, want;
	make_png(&f, &want);
	size_t iend_end = f.n - strlen(MARK);
	unsigned char *out;
	size_t n;
	for (size_t k = 0; k < iend_end; k++)
		cr_assert_eq(strip("image/png", f.d, k, &out, &n), SK_IMAGE_MALFORMED, "cut at %zu", k);
	/* a chunk length beyond the file, a first chunk that is not IHDR, a type that is not letters */
	struct buf b = f;
	b.d[8] = 0x7F;
	cr_assert_eq(strip("image/png", b.d, b.n, &out, &n), SK_IMAGE_MALFORMED);
	b = f;
	memcpy(b.d + 12, "IDAT", 4);
	cr_assert_eq(strip("image/png", b.d, b.n, &out, &n), SK_IMAGE_MALFORMED);
	b = f;
	b.d[12 + 25] = '#';
	cr_assert_eq(strip("image/png", b.d, b.n, &out, &n), SK_IMAGE_MALFORMED);
}

/* ---- WebP --------------------------------------------------------------- */

static void riff_chunk(struct buf *b, const char *cc, const void *p, size_t k)
{
	add(b, cc, 4);
	add_le32(b, (uint32_t)k);
	add(b, p, k);
	if (k & 1)
		add_u8(b, 0);
}

static void make_webp(struct buf *f, struct buf *want)
{
	memset(f, 0, sizeof *f);
	memset(want, 0, sizeof *want);
	add(f, "RIFF\0\0\0\0WEBP", 12);
	add(want, "RIFF\0\0\0\0WEBP", 12);
	/* VP8X: flags ICC (0x20) | EXIF (0x08) | XMP (0x04); canvas 1x1 */
	riff_chunk(f, "VP8X", "\x2C\0\0\0\0\0\0\0\0\0", 10);
	riff_chunk(want, "VP8X", "\x20\0\0\0\0\0\0\0\0\0", 10);
	struct buf s = { .n = 0 };
	riff_chunk(&s, "ICCP", "fake-icc", 8);
	riff_chunk(&s, "VP8 ", "\x10\x02\x00\x9d\x01\x2a\x01\x00\x01\x00\x02", 11); /* odd: padded */
	add(f, s.d, s.n);
	add(want, s.d, s.n);
	struct buf e = { .n = 0 };
	exif_payload(&e, 6, false);
	riff_chunk(f, "EXIF", e.d + 6, e.n - 6 + 1); /* odd length, padded */
	riff_chunk(f, "XMP ", "<x:xmpmeta>" MARK "</x:xmpmeta>", 23 + strlen(MARK));
	uint32_t fs = (uint32_t)(f->n - 8), ws = (uint32_t)(want->n - 8);
	for (int i = 0; i < 4; i++) {
		f->d[4 + i] = (unsigned char)(fs >> (8 * i));
		want->d[4 + i] = (unsigned char)(ws >> (8 * i));
	}
	add(f, MARK, strlen(MARK)); /* after the RIFF container: dropped */
}

Test(image_meta, webp_loses_exif_and_xmp_chunks_with_flags_and_size_fixed)
{
	struct buf f, want;
	make_webp(&f, &want);
	assert_cleans_to("image/webp", &f, &want);
}

Test(image_meta, webp_bad_structure_is_refused)
{
	struct buf f, want;
	make_webp(&f, &want);
	size_t riff_end = f.n - strlen(MARK);
	unsigned char *out;
	size_t n;
	for (size_t k = 0; k < riff_end; k++)
		cr_assert_eq(strip("image/webp", f.d, k, &out, &n), SK_IMAGE_MALFORMED, "cut at %zu", k);
	struct buf b = f;
	b.d[12 + 4] = 0xFF; /* VP8X length 255: past the container */
	b.d[12 + 5] = 0xFF;
	cr_assert_eq(strip("image/webp", b.d, b.n, &out, &n), SK_IMAGE_MALFORMED);
	static const unsigned char empty[] = "RIFF\x04\0\0\0WEBP";
	cr_assert_eq(strip("image/webp", empty, 12, &out, &n), SK_IMAGE_MALFORMED);
}

Test(image_meta, pdf_is_copied_unchanged)
{
	static const unsigned char pdf[] = "%PDF-1.7\n/Author (" MARK ")\n%%EOF\n";
	unsigned char *out;
	size_t n;
	cr_assert_eq(strip("application/pdf", pdf, sizeof pdf - 1, &out, &n), SK_IMAGE_OK);
	cr_assert_eq(n, sizeof pdf - 1);
	cr_assert(memcmp(out, pdf, n) == 0);
	free(out);
}

/* ---- hostile bytes ------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

Test(image_meta, fuzzed_and_truncated_files_never_crash_and_what_is_accepted_is_stable)
{
	struct buf base[3], want;
	make_jpeg(&base[0], &want, 6, true, false);
	make_png(&base[1], &want);
	make_webp(&base[2], &want);
	const char *mime[] = { "image/jpeg", "image/png", "image/webp" };
	int accepted = 0, refused = 0;
	for (int t = 0; t < 3; t++)
		for (int it = 0; it < 4000; it++) {
			struct buf b = base[t];
			int flips = 1 + (int)(next() % 8);
			for (int k = 0; k < flips; k++)
				b.d[next() % b.n] = (unsigned char)next();
			if (next() % 4 == 0)
				b.n = next() % b.n;
			unsigned char *out, *again;
			size_t n, n2;
			enum sk_image_status st = strip(mime[t], b.d, b.n, &out, &n);
			if (st != SK_IMAGE_OK) {
				cr_assert_eq(st, SK_IMAGE_MALFORMED);
				refused++;
				continue;
			}
			accepted++;
			cr_assert_eq(strip(mime[t], out, n, &again, &n2), SK_IMAGE_OK, "%s iteration %d", mime[t], it);
			cr_assert(n2 == n && memcmp(again, out, n) == 0, "%s iteration %d: not idempotent", mime[t], it);
			free(out);
			free(again);
		}
	cr_assert(accepted > 0 && refused > 0, "accepted %d, refused %d", accepted, refused);
	/* pure noise with each type's magic */
	for (int it = 0; it < 3000; it++) {
		unsigned char d[256];
		size_t n = next() % sizeof d;
		for (size_t i = 0; i < n; i++)
			d[i] = (unsigned char)next();
		if (n >= 12) {
			int t = (int)(next() % 3);
			if (t == 0)
				memcpy(d, "\xFF\xD8\xFF", 3);
			else if (t == 1)
				memcpy(d, "\x89PNG\r\n\x1a\n", 8);
			else {
				memcpy(d, "RIFF", 4);
				memcpy(d + 8, "WEBP", 4);
			}
		}
		unsigned char *out;
		size_t on;
		for (int t = 0; t < 3; t++)
			if (strip(mime[t], d, n, &out, &on) == SK_IMAGE_OK)
				free(out);
	}
}
