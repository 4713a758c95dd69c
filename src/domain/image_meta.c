#include "domain/image_meta.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An output cursor; with p == NULL it only counts (the validating pass). */
struct out {
	unsigned char *p;
	size_t n;
};

static void put(struct out *w, const unsigned char *s, size_t k)
{
	if (w->p != NULL)
		memcpy(w->p + w->n, s, k);
	w->n += k;
}

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

/* ---- JPEG --------------------------------------------------------------- */

/* The Orientation (1..8) in IFD0 of an APP1 payload that starts with "Exif\0\0"; 0 when absent or unreadable. */
static unsigned exif_orientation(const unsigned char *d, size_t n)
{
	if (n < 6 || memcmp(d, "Exif\0\0", 6) != 0)
		return 0;
	d += 6;
	n -= 6;
	if (n < 8)
		return 0;
	bool big;
#define U16(p) (big ? be16(p) : ((uint32_t)(p)[1] << 8 | (p)[0]))
#define U32(p) (big ? be32(p) : le32(p))
	if (d[0] == 'I' && d[1] == 'I')
		big = false;
	else if (d[0] == 'M' && d[1] == 'M')
		big = true;
	else
		return 0;
	if (U16(d + 2) != 42)
		return 0;
	uint32_t ifd = U32(d + 4);
	if (ifd > n || n - ifd < 2)
		return 0;
	uint32_t count = U16(d + ifd);
	size_t e = (size_t)ifd + 2;
	for (uint32_t k = 0; k < count; k++, e += 12) {
		if (n - e < 12)
			return 0;
		if (U16(d + e) == 0x0112) {
			if (U16(d + e + 2) != 3 || U32(d + e + 4) != 1)
				return 0;
			uint32_t v = U16(d + e + 8);
			return v >= 1 && v <= 8 ? v : 0;
		}
	}
	return 0;
#undef U16
#undef U32
}

/* A minimal EXIF APP1: big-endian TIFF, IFD0 with the one Orientation entry, no next IFD. */
static void put_orientation(struct out *w, unsigned v)
{
	const unsigned char seg[36] = { 0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A, 0, 0, 0, 8,
					0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, (unsigned char)v, 0, 0,
					0, 0, 0, 0 };
	put(w, seg, sizeof seg);
}

/*
 * Walks the file once. orient_out (may be NULL) gets the first valid EXIF Orientation met;
 * orient_in, when not 0, is written as a fresh EXIF segment.
 */
static enum sk_image_status jpeg(const unsigned char *in, size_t len, struct out *w, unsigned *orient_out,
				 unsigned orient_in)
{
	if (len < 4 || in[0] != 0xFF || in[1] != 0xD8)
		return SK_IMAGE_MALFORMED;
	put(w, in, 2);
	size_t i = 2;
	bool first = true, exif_done = orient_in == 0;
	for (;;) {
		if (i >= len || in[i] != 0xFF)
			return SK_IMAGE_MALFORMED;
		size_t start = i;
		while (i < len && in[i] == 0xFF) /* fill bytes belong to the marker */
			i++;
		if (i >= len)
			return SK_IMAGE_MALFORMED;
		unsigned m = in[i++];
		if (m == 0x00 || m == 0xD8)
			return SK_IMAGE_MALFORMED;
		if (!exif_done && !(first && m == 0xE0)) {
			put_orientation(w, orient_in);
			exif_done = true;
		}
		first = false;
		if (m == 0xD9) {
			put(w, in + start, i - start);
			return SK_IMAGE_OK;
		}
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
			put(w, in + start, i - start);
			continue;
		}
		if (len - i < 2)
			return SK_IMAGE_MALFORMED;
		size_t seglen = be16(in + i);
		if (seglen < 2 || seglen > len - i)
			return SK_IMAGE_MALFORMED;
		const unsigned char *pl = in + i + 2;
		size_t pn = seglen - 2, end = i + seglen;
		bool keep;
		if (m == 0xE1) {
			unsigned o = exif_orientation(pl, pn);
			if (o != 0 && orient_out != NULL && *orient_out == 0)
				*orient_out = o;
			keep = false;
		} else if (m == 0xE0) {
			keep = true;
		} else if (m == 0xE2) {
			keep = pn >= 12 && memcmp(pl, "ICC_PROFILE\0", 12) == 0;
		} else if (m == 0xEE) {
			keep = pn >= 5 && memcmp(pl, "Adobe", 5) == 0;
		} else {
			keep = !(m >= 0xE0 && m <= 0xEF) && m != 0xFE;
		}
		if (keep)
			put(w, in + start, end - start);
		i = end;
		if (m == 0xDA) { /* entropy-coded data up to the next marker that is not a stuffed byte or RSTn */
			size_t s = i;
			for (;;) {
				if (i >= len || len - i < 2)
					return SK_IMAGE_MALFORMED;
				if (in[i] != 0xFF) {
					i++;
					continue;
				}
				size_t j = i + 1; /* fill bytes may precede the marker */
				while (j < len && in[j] == 0xFF)
					j++;
				if (j >= len)
					return SK_IMAGE_MALFORMED;
				if (in[j] == 0x00 || (in[j] >= 0xD0 && in[j] <= 0xD7)) {
					i = j + 1;
					continue;
				}
				break;
			}
			put(w, in + s, i - s);
		}
	}
}

/* ---- PNG ---------------------------------------------------------------- */

static bool png_dropped(const unsigned char *t)
{
	static const char *const drop[] = { "tEXt", "zTXt", "iTXt", "eXIf", "tIME" };
	for (size_t k = 0; k < sizeof drop / sizeof *drop; k++)
		if (memcmp(t, drop[k], 4) == 0)
			return true;
	return false;
}

static enum sk_image_status png(const unsigned char *in, size_t len, struct out *w)
{
	if (len < 8 || memcmp(in, "\x89PNG\r\n\x1a\n", 8) != 0)
		return SK_IMAGE_MALFORMED;
	put(w, in, 8);
	size_t i = 8;
	bool first = true;
	for (;;) {
		if (len - i < 12)
			return SK_IMAGE_MALFORMED;
		uint32_t n = be32(in + i);
		if (n > 0x7FFFFFFFu || n > len - i - 12)
			return SK_IMAGE_MALFORMED;
		const unsigned char *t = in + i + 4;
		for (int k = 0; k < 4; k++)
			if (!((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z')))
				return SK_IMAGE_MALFORMED;
		if (first && memcmp(t, "IHDR", 4) != 0)
			return SK_IMAGE_MALFORMED;
		first = false;
		size_t end = i + 12 + n;
		if (!png_dropped(t))
			put(w, in + i, end - i);
		i = end;
		if (memcmp(t, "IEND", 4) == 0)
			return SK_IMAGE_OK;
	}
}

/* ---- WebP --------------------------------------------------------------- */

static enum sk_image_status webp(const unsigned char *in, size_t len, struct out *w)
{
	if (len < 12 || memcmp(in, "RIFF", 4) != 0 || memcmp(in + 8, "WEBP", 4) != 0)
		return SK_IMAGE_MALFORMED;
	uint32_t riff = le32(in + 4);
	if (riff < 4 || riff > len - 8)
		return SK_IMAGE_MALFORMED;
	size_t lim = (size_t)riff + 8, i = 12, flags_at = 0;
	put(w, in, 12);
	int chunks = 0, kept = 0;
	while (i < lim) {
		if (lim - i < 8)
			return SK_IMAGE_MALFORMED;
		uint64_t n = le32(in + i + 4), padded = n + (n & 1);
		if (padded > lim - i - 8)
			return SK_IMAGE_MALFORMED;
		const unsigned char *cc = in + i;
		if (memcmp(cc, "VP8X", 4) == 0) {
			if (chunks != 0 || n < 10)
				return SK_IMAGE_MALFORMED;
			flags_at = w->n + 8;
		}
		if (memcmp(cc, "EXIF", 4) != 0 && memcmp(cc, "XMP ", 4) != 0) {
			put(w, cc, 8 + (size_t)padded);
			kept++;
		}
		chunks++;
		i += 8 + (size_t)padded;
	}
	if (chunks == 0 || kept == 0) /* nothing but metadata: no image, and an empty container once cleaned */
		return SK_IMAGE_MALFORMED;
	if (w->p != NULL) {
		uint32_t size = (uint32_t)(w->n - 8);
		w->p[4] = (unsigned char)size;
		w->p[5] = (unsigned char)(size >> 8);
		w->p[6] = (unsigned char)(size >> 16);
		w->p[7] = (unsigned char)(size >> 24);
		if (flags_at != 0)
			w->p[flags_at] &= (unsigned char)~0x0Cu; /* E (EXIF) and X (XMP) */
	}
	return SK_IMAGE_OK;
}

enum sk_image_status sk_image_strip(const char *mime, const unsigned char *in, size_t len, unsigned char **out,
				    size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	struct out w = { NULL, 0 };
	enum sk_image_status st;
	unsigned orient = 0;
	bool is_jpeg = mime != NULL && strcmp(mime, "image/jpeg") == 0;
	bool is_png = mime != NULL && strcmp(mime, "image/png") == 0;
	bool is_webp = mime != NULL && strcmp(mime, "image/webp") == 0;
	/* A validating pass first: nothing is allocated for a file that is refused. */
	if (is_jpeg)
		st = jpeg(in, len, &w, &orient, 0);
	else if (is_png)
		st = png(in, len, &w);
	else if (is_webp)
		st = webp(in, len, &w);
	else
		st = SK_IMAGE_OK;
	if (st != SK_IMAGE_OK)
		return st;
	w.p = malloc(len + 64);
	if (w.p == NULL)
		return SK_IMAGE_NOMEM;
	w.n = 0;
	if (is_jpeg)
		st = jpeg(in, len, &w, NULL, orient);
	else if (is_png)
		st = png(in, len, &w);
	else if (is_webp)
		st = webp(in, len, &w);
	else
		put(&w, in, len);
	if (st != SK_IMAGE_OK) {
		free(w.p);
		return st;
	}
	*out = w.p;
	*out_len = w.n;
	return SK_IMAGE_OK;
}
