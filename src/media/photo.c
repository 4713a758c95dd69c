/* The photo pipeline on libvips: see photo.h. */
#include "media/photo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include <webp/encode.h>

/* libvips warns on stderr for every damaged row of a hostile file: the refusal is what counts. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	(void)domain, (void)level, (void)message, (void)data;
}

int sk_photo_init(const char *argv0)
{
	if (VIPS_INIT(argv0 ? argv0 : "sangkien") != 0)
		return -1;
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
	/* No operation cache: every upload is decoded once, and the cache would keep its pixels. */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	if (getenv("VIPS_CONCURRENCY") == NULL)
		vips_concurrency_set(1);
	return 0;
}

void sk_photo_free(void *p)
{
	g_free(p);
}

enum sk_photo_status sk_photo_reencode(const unsigned char *in, size_t len, int max_side, const char *out_mime,
				       unsigned char **out, size_t *out_len, int *width, int *height)
{
	*out = NULL;
	*out_len = 0;
	bool jpeg = !strcmp(out_mime, "image/jpeg"), png = !strcmp(out_mime, "image/png"),
	     webp = !strcmp(out_mime, "image/webp");
	if (len == 0 || max_side < 1 || !(jpeg || png || webp))
		return SK_PHOTO_INVALID;
	/* Only the loaders a photo needs: by content, never by name. */
	const char *loader = vips_foreign_find_load_buffer(in, len);
	if (loader == NULL) {
		vips_error_clear();
		return SK_PHOTO_INVALID;
	}
	if (strcmp(loader, "VipsForeignLoadJpegBuffer") != 0 && strcmp(loader, "VipsForeignLoadPngBuffer") != 0 &&
	    strcmp(loader, "VipsForeignLoadWebpBuffer") != 0 && strcmp(loader, "VipsForeignLoadHeifBuffer") != 0)
		return SK_PHOTO_INVALID;
	/* The header only (libvips decodes lazily): refuse a bomb before its pixels exist. */
	VipsImage *head = vips_image_new_from_buffer(in, len, "", NULL);
	if (head == NULL) {
		vips_error_clear();
		return SK_PHOTO_INVALID;
	}
	long long px = (long long)vips_image_get_width(head) * vips_image_get_height(head);
	g_object_unref(head);
	if (px <= 0)
		return SK_PHOTO_INVALID;
	if (px > SK_PHOTO_MAX_PIXELS)
		return SK_PHOTO_TOO_LARGE;

	/* Decode (shrink-on-load where the format allows), turn upright by EXIF, fit in max_side. */
	VipsImage *t = NULL, *u = NULL, *v = NULL;
	enum sk_photo_status st = SK_PHOTO_INVALID;
	if (vips_thumbnail_buffer((void *)in, len, &t, max_side, "height", max_side, "size", VIPS_SIZE_DOWN, "fail_on",
				  VIPS_FAIL_ON_WARNING,
				  /* 8.14's thumbnail does not hand fail_on to every buffer loader (a truncated PNG
				   * came out with grey rows): the option string does. */
				  "option_string", "fail_on=warning", NULL) != 0)
		goto done;
	if (jpeg && vips_image_hasalpha(t)) {
		VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
		int rc = vips_flatten(t, &u, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rc != 0)
			goto done;
	} else {
		u = t;
		g_object_ref(u);
	}
	VipsImage *srgb = NULL;
	if (vips_colourspace(u, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0)
		goto done;
	/*
	 * No metadata, by construction: a copy of the (still lazy) pixels with every metadata field
	 * removed (EXIF, XMP, IPTC, ICC, orientation, PNG text, the HEIF thumbnail), saved with strip.
	 * Nothing is decoded until the save pulls the rows through, a few at a time (sequential, the
	 * JPEG decoder shrinking on load), so no full-size copy of the picture is ever held: that cut
	 * the memory an upload adds by 10 MiB (JPEG) and 14 MiB (PNG) (docs/performance.md). A damaged
	 * file fails in the save.
	 */
	if (vips_copy(srgb, &v, NULL) != 0) {
		g_object_unref(srgb);
		goto done;
	}
	g_object_unref(srgb);
	gchar **fields = vips_image_get_fields(v);
	for (gchar **f = fields; *f != NULL; f++)
		(void)vips_image_remove(v, *f);
	g_strfreev(fields);
	void *buf = NULL;
	size_t n = 0;
	if (webp) {
		/*
		 * libvips 8.14.1's webpsave writes an EXIF chunk of its own even with strip and no EXIF
		 * in the image (resolution, "Orientation: normal"): libwebp's simple encoder writes the
		 * picture and nothing else (a plain VP8 RIFF). WebP is only asked for the derived sizes
		 * (at most 1,024 px) and for WebP uploads (at most 2,560 px), so the RGB(A) buffer is
		 * small.
		 */
		VipsImage *c8 = NULL;
		if (vips_cast_uchar(v, &c8, NULL) != 0)
			goto done;
		size_t plen = 0;
		unsigned char *px = vips_image_write_to_memory(c8, &plen);
		int w = vips_image_get_width(c8), h = vips_image_get_height(c8), bands = vips_image_get_bands(c8);
		g_object_unref(c8);
		if (px == NULL)
			goto done;
		uint8_t *enc = NULL;
		size_t enc_len = bands == 4   ? WebPEncodeRGBA(px, w, h, w * 4, 85, &enc)
				 : bands == 3 ? WebPEncodeRGB(px, w, h, w * 3, 85, &enc)
					      : 0;
		g_free(px);
		if (enc_len == 0) {
			WebPFree(enc);
			goto done;
		}
		buf = g_malloc(enc_len);
		memcpy(buf, enc, enc_len);
		n = enc_len;
		WebPFree(enc);
	} else {
		int rc = jpeg ? vips_jpegsave_buffer(v, &buf, &n, "Q", 85, "strip", TRUE, "optimize_coding", TRUE, NULL)
			      : vips_pngsave_buffer(v, &buf, &n, "strip", TRUE, "compression", 6, NULL);
		if (rc != 0)
			goto done;
	}
	*out = buf;
	*out_len = n;
	if (width)
		*width = vips_image_get_width(v);
	if (height)
		*height = vips_image_get_height(v);
	st = SK_PHOTO_OK;
done:
	if (st != SK_PHOTO_OK)
		vips_error_clear();
	if (t)
		g_object_unref(t);
	if (u)
		g_object_unref(u);
	if (v)
		g_object_unref(v);
	return st;
}
