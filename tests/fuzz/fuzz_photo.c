/*
 * Fuzz target: the upload's photo pipeline on libvips (src/media/photo.c), fed whole files (its
 * regression run replays tests/fuzz/corpus/image/, the metadata stripper's corpus). Each input is
 * re-encoded as the type sk_filetype_sniff gives it (JPEG when it is not an image), with a small
 * long side so that a run stays fast. Whenever it succeeds:
 *  - the output fits the long side and is not empty;
 *  - re-encoding the output succeeds with the same size (a stored photo is a readable photo);
 *  - no metadata is left: no EXIF ("Exif\0\0", PNG eXIf, WebP EXIF chunk), no XMP, no PNG text.
 * A refusal is SK_PHOTO_INVALID or SK_PHOTO_TOO_LARGE; nothing may crash or leak.
 */
#include "domain/filetype.h"
#include "fuzz.h"
#include "media/photo.h"

#include <string.h>

#define SIDE 64

static bool has(const unsigned char *d, size_t n, const char *needle, size_t k)
{
	return memmem(d, n, needle, k) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool started;
	if (!started) {
		FUZZ_CHECK(sk_photo_init("fuzz-photo") == 0, "libvips did not start");
		started = true;
	}
	const char *sniffed = sk_filetype_sniff(data, size);
	const char *as = sniffed == NULL || strncmp(sniffed, "image/", 6) != 0 || !strcmp(sniffed, "image/heic")
				 ? "image/jpeg"
				 : sniffed;
	unsigned char *out;
	size_t n;
	int w, h;
	enum sk_photo_status st = sk_photo_reencode(data, size, SIDE, as, &out, &n, &w, &h);
	if (st != SK_PHOTO_OK) {
		FUZZ_CHECK(st == SK_PHOTO_INVALID || st == SK_PHOTO_TOO_LARGE, "status %d", (int)st);
		FUZZ_CHECK(out == NULL && n == 0, "a refusal left an output");
		return 0;
	}
	FUZZ_CHECK(n > 0 && w >= 1 && h >= 1 && w <= SIDE && h <= SIDE, "output %zu bytes, %d x %d", n, w, h);
	FUZZ_CHECK(!has(out, n, "Exif\0\0", 6) && !has(out, n, "eXIf", 4) && !has(out, n, "EXIF", 4), "EXIF left");
	FUZZ_CHECK(!has(out, n, "ns.adobe.com/xap", 16) && !has(out, n, "XMP ", 4) && !has(out, n, "x:xmpmeta", 9),
		   "XMP left");
	FUZZ_CHECK(!has(out, n, "tEXt", 4) && !has(out, n, "iTXt", 4) && !has(out, n, "zTXt", 4), "PNG text left");
	unsigned char *again;
	size_t m;
	int w2, h2;
	FUZZ_CHECK(sk_photo_reencode(out, n, SIDE, as, &again, &m, &w2, &h2) == SK_PHOTO_OK, "the output does not decode");
	FUZZ_CHECK(w2 == w && h2 == h, "re-encoding changed the size: %d x %d -> %d x %d", w, h, w2, h2);
	sk_photo_free(again);
	sk_photo_free(out);
	return 0;
}
