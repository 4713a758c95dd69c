/* The photo pipeline on libvips: see photo.h. */
#include "media/photo.h"

#include "domain/image_meta.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

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
	free(p);
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
	 * From pixels alone: the decoded pixels are copied into a new image that has nothing else
	 * (no EXIF, XMP, ICC, text fields). "strip" alone is not enough: libvips 8.14.1's webpsave
	 * kept the EXIF and XMP it was told to strip (GPS included; tests/media caught it).
	 * The pixels are decoded here (libvips is lazy): a damaged file fails now.
	 */
	size_t plen = 0;
	void *pixels = vips_image_write_to_memory(srgb, &plen);
	int pw = vips_image_get_width(srgb), ph = vips_image_get_height(srgb), pb = vips_image_get_bands(srgb);
	VipsBandFormat pf = vips_image_get_format(srgb);
	g_object_unref(srgb);
	if (pixels == NULL)
		goto done;
	v = vips_image_new_from_memory_copy(pixels, plen, pw, ph, pb, pf);
	g_free(pixels);
	if (v == NULL)
		goto done;
	v->Type = VIPS_INTERPRETATION_sRGB;
	void *buf = NULL;
	size_t n = 0;
	/* strip: no EXIF, XMP, IPTC, text chunk or ICC block is written; the pixels are all that is kept. */
	int rc = jpeg   ? vips_jpegsave_buffer(v, &buf, &n, "Q", 85, "strip", TRUE, "optimize_coding", TRUE, NULL)
		 : png  ? vips_pngsave_buffer(v, &buf, &n, "strip", TRUE, "compression", 6, NULL)
			: vips_webpsave_buffer(v, &buf, &n, "Q", 85, "strip", TRUE, NULL);
	if (rc != 0)
		goto done;
	/*
	 * And a last pass over the container: libvips 8.14.1's webpsave writes an EXIF chunk of its
	 * own even with strip (resolution, "Orientation: normal"; nothing personal, but not nothing).
	 * sk_image_strip (src/domain/image_meta.c) drops EXIF/XMP chunks and segments of any of the
	 * three formats; on a JPEG or PNG from libvips it finds nothing to drop.
	 */
	unsigned char *clean = NULL;
	size_t clean_len = 0;
	enum sk_image_status is = sk_image_strip(out_mime, buf, n, &clean, &clean_len);
	g_free(buf);
	if (is != SK_IMAGE_OK)
		goto done;
	*out = clean;
	*out_len = clean_len;
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
