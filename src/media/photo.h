/*
 * The photo pipeline on libvips (issue 11): decode with limits, honour the EXIF orientation,
 * shrink, and re-encode from pixels, so that no metadata (GPS position, camera owner, embedded
 * thumbnail, XMP, trailers) can survive: the output is built from the decoded pixels alone.
 * Not in src/domain because it links libvips (and glib); it knows nothing of HTTP, SQL or JSON.
 */
#ifndef SK_MEDIA_PHOTO_H
#define SK_MEDIA_PHOTO_H

#include <stddef.h>

/* Refused before any pixel is decoded: more than this many pixels (width × height, first page). */
#define SK_PHOTO_MAX_PIXELS 100000000LL
/* The long side of the stored original. */
#define SK_PHOTO_MAX_SIDE 2560

enum sk_photo_status {
	SK_PHOTO_OK,        /* *out holds the re-encoded file (free it with sk_photo_free) */
	SK_PHOTO_INVALID,   /* not a JPEG/PNG/WebP/HEIF libvips can read whole: truncated, hostile, other
			     * (libvips decodes lazily, so running out of memory while decoding lands here too) */
	SK_PHOTO_TOO_LARGE, /* more than SK_PHOTO_MAX_PIXELS (a decompression bomb, or just too big) */
};

/*
 * Once per process, before any other call: starts libvips with no operation cache and
 * concurrency 1 unless VIPS_CONCURRENCY says otherwise, and sets the process's malloc mmap
 * threshold to 1 MiB unless MALLOC_MMAP_THRESHOLD_ says otherwise (memory per upload stays
 * bounded).
 * Returns 0, or -1 when libvips cannot start.
 */
int sk_photo_init(const char *argv0);

/*
 * Decodes in[0..len) (the loader is chosen by content: JPEG, PNG, WebP, HEIF, the last by
 * libheif as Y'CbCr 4:2:0 when it is 8-bit without alpha; anything else is
 * SK_PHOTO_INVALID), refusing it on the first decoding error ("fail" on) and above
 * SK_PHOTO_MAX_PIXELS (read from the header, before the pixels); turns it upright by its EXIF
 * orientation, shrinks it so its long side is at most max_side (never enlarges), converts to
 * 8-bit sRGB and writes it as out_mime with no metadata: "image/jpeg" (alpha flattened onto
 * white, quality 85, baseline), "image/png" (lossless) or "image/webp" (quality 85).
 * Thread-safe. *width and *height (when not NULL) get the output's size.
 */
enum sk_photo_status sk_photo_reencode(const unsigned char *in, size_t len, int max_side, const char *out_mime,
				       unsigned char **out, size_t *out_len, int *width, int *height);

void sk_photo_free(void *p);

#endif
