/* The photo pipeline on libvips: see photo.h. */
#include "media/photo.h"

#include <libheif/heif.h>
#include <malloc.h>
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
	/*
	 * A fixed mmap threshold (glibc raises it, up to 32 MiB, each time a large block is freed):
	 * the decoders' large buffers then always come from mmap and go back to the system when
	 * freed, instead of growing the heap. Measured: a 12 MP HEIC's peak 61.5 -> 55.5 MiB; no
	 * change for JPEG and PNG (docs/performance.md). Small allocations are not affected.
	 */
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL)
		mallopt(M_MMAP_THRESHOLD, 1 << 20);
	return 0;
}

void sk_photo_free(void *p)
{
	g_free(p);
}

/* A HEIF picture decoded by libheif as 8-bit Y'CbCr 4:2:0, which the image made from it reads. */
struct heif_decoded {
	struct heif_context *ctx;
	struct heif_image_handle *handle;
	struct heif_image *image;
};

static void heif_decoded_free(struct heif_decoded *d)
{
	if (d->image)
		heif_image_release(d->image);
	if (d->handle)
		heif_image_handle_release(d->handle);
	if (d->ctx)
		heif_context_free(d->ctx);
	memset(d, 0, sizeof *d);
}

/* One plane of d as a (lazy) one-band image that reads d's memory: d outlives it. */
static VipsImage *heif_plane(const struct heif_decoded *d, enum heif_channel channel)
{
	int stride = 0;
	const uint8_t *p = heif_image_get_plane_readonly(d->image, channel, &stride);
	int w = heif_image_get_width(d->image, channel), h = heif_image_get_height(d->image, channel);
	if (p == NULL || w < 1 || h < 1 || stride < w)
		return NULL;
	VipsImage *whole = vips_image_new_from_memory(p, (size_t)stride * (size_t)h, stride, h, 1, VIPS_FORMAT_UCHAR), *plane;
	if (whole == NULL)
		return NULL;
	int rc = vips_extract_area(whole, &plane, 0, 0, w, h, NULL);
	g_object_unref(whole);
	return rc == 0 ? plane : NULL;
}

/*
 * The HEIF path (issue 11: a 12 MP HEIC took 97 MiB). libvips 8.14's heifload asks libheif for
 * interleaved RGB: libheif then holds the decoded Y'CbCr picture, its RGB conversion (36 MiB for
 * 12 MP) and libde265's own frame at once. Here libheif gives the Y'CbCr 4:2:0 planes it decoded
 * (no conversion), libvips shrinks them to the long side asked (the chroma planes are half
 * size) and converts to sRGB on the shrunk picture, row by row as the save pulls it. libheif
 * applies the HEIF transformations (irot, imir: how HEIF turns a photo upright; EXIF Orientation
 * in a HEIF file is informative only). Returns the sRGB image fitted in max_side (never
 * enlarged) reading d's planes, NULL when libheif cannot decode it all, or (*other = true) when
 * it is not an 8-bit picture without alpha (left to heifload).
 */
static VipsImage *heif_fitted(const unsigned char *in, size_t len, int max_side, struct heif_decoded *d, bool *other)
{
	*other = false;
	d->ctx = heif_context_alloc();
	if (d->ctx == NULL || heif_context_read_from_memory_without_copy(d->ctx, in, len, NULL).code != heif_error_Ok ||
	    heif_context_get_primary_image_handle(d->ctx, &d->handle).code != heif_error_Ok)
		return NULL;
	if (heif_image_handle_get_luma_bits_per_pixel(d->handle) != 8 || heif_image_handle_has_alpha_channel(d->handle)) {
		*other = true;
		return NULL;
	}
	/* The matrix from Y'CbCr to R'G'B' (ITU-T H.273), and the range: libheif's defaults when absent. */
	double kr = 0.299, kb = 0.114;
	bool full = true;
	struct heif_color_profile_nclx *nclx = NULL;
	if (heif_image_handle_get_nclx_color_profile(d->handle, &nclx).code == heif_error_Ok && nclx != NULL) {
		if (nclx->matrix_coefficients == heif_matrix_coefficients_ITU_R_BT_709_5)
			kr = 0.2126, kb = 0.0722;
		else if (nclx->matrix_coefficients == heif_matrix_coefficients_ITU_R_BT_2020_2_non_constant_luminance)
			kr = 0.2627, kb = 0.0593;
		else if (nclx->matrix_coefficients != heif_matrix_coefficients_ITU_R_BT_601_6 &&
			 nclx->matrix_coefficients != heif_matrix_coefficients_ITU_R_BT_470_6_System_B_G &&
			 nclx->matrix_coefficients != heif_matrix_coefficients_unspecified) {
			*other = true; /* RGB, YCgCo, SMPTE 240M...: heifload's conversion */
		}
		full = nclx->full_range_flag != 0;
		heif_nclx_color_profile_free(nclx);
		if (*other)
			return NULL;
	}
	struct heif_decoding_options *opt = heif_decoding_options_alloc();
	if (opt == NULL)
		return NULL;
	opt->strict_decoding = 1; /* a truncated or damaged picture is an error, not grey rows */
	struct heif_error e = heif_decode_image(d->handle, &d->image, heif_colorspace_YCbCr, heif_chroma_420, opt);
	heif_decoding_options_free(opt);
	if (e.code != heif_error_Ok || d->image == NULL)
		return NULL;
	VipsImage *y = heif_plane(d, heif_channel_Y), *cb = heif_plane(d, heif_channel_Cb), *cr = heif_plane(d, heif_channel_Cr);
	VipsImage *ys = NULL, *cbs = NULL, *crs = NULL, *cbf = NULL, *crf = NULL, *ycc = NULL, *lin = NULL, *rgb = NULL,
		  *out = NULL;
	if (y == NULL || cb == NULL || cr == NULL)
		goto out;
	int w = vips_image_get_width(y), h = vips_image_get_height(y);
	double scale = (double)max_side / (w > h ? w : h);
	if (scale > 1.0)
		scale = 1.0;
	if (scale < 1.0 ? vips_resize(y, &ys, scale, NULL) != 0 : vips_copy(y, &ys, NULL) != 0)
		goto out;
	int tw = vips_image_get_width(ys), th = vips_image_get_height(ys);
	double sx = (double)tw / vips_image_get_width(cb), sy = (double)th / vips_image_get_height(cb);
	if (vips_resize(cb, &cbs, sx, "vscale", sy, NULL) != 0 || vips_resize(cr, &crs, sx, "vscale", sy, NULL) != 0 ||
	    vips_embed(cbs, &cbf, 0, 0, tw, th, "extend", VIPS_EXTEND_COPY, NULL) != 0 ||
	    vips_embed(crs, &crf, 0, 0, tw, th, "extend", VIPS_EXTEND_COPY, NULL) != 0)
		goto out;
	VipsImage *bands[3] = { ys, cbf, crf };
	if (vips_bandjoin(bands, &ycc, 3, NULL) != 0)
		goto out;
	/* Y' to 0..255 and Cb, Cr to -127.5..127.5, then the matrix. */
	double ya = full ? 1.0 : 255.0 / 219.0, ca = full ? 1.0 : 255.0 / 224.0;
	double a[3] = { ya, ca, ca }, b[3] = { full ? 0.0 : -16.0 * ya, -128.0 * ca, -128.0 * ca };
	double kg = 1.0 - kr - kb;
	VipsImage *m = vips_image_new_matrixv(3, 3, 1.0, 0.0, 2.0 * (1.0 - kr), 1.0, -2.0 * kb * (1.0 - kb) / kg,
					      -2.0 * kr * (1.0 - kr) / kg, 1.0, 2.0 * (1.0 - kb), 0.0);
	if (m == NULL)
		goto out;
	int rc = vips_linear(ycc, &lin, a, b, 3, NULL);
	if (rc == 0)
		rc = vips_recomb(lin, &rgb, m, NULL);
	g_object_unref(m);
	if (rc != 0 || vips_cast_uchar(rgb, &out, NULL) != 0)
		goto out;
	out->Type = VIPS_INTERPRETATION_sRGB;
out:
	VipsImage *all[] = { y, cb, cr, ys, cbs, crs, cbf, crf, ycc, lin, rgb };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (all[i])
			g_object_unref(all[i]);
	return out;
}

/*
 * The JPEG path: libjpeg's shrink-on-load (1/2, 1/4, 1/8, the largest that keeps the long side
 * at least max_side), a sequential read, libvips' resize to max_side, then the EXIF orientation
 * applied to the shrunk picture. What vips_thumbnail_buffer does, in a third less memory:
 * 8.14's thumbnail held 33 MiB for a 50 MP JPEG where this holds 18 (docs/performance.md).
 * Returns the fitted, upright image, or NULL when libjpeg cannot decode it.
 */
static VipsImage *jpeg_fitted(const unsigned char *in, size_t len, int width, int height, int max_side)
{
	int side = width > height ? width : height, shrink = 1;
	while (shrink < 8 && side / (shrink * 2) >= max_side)
		shrink *= 2;
	VipsImage *load = NULL, *fit = NULL, *mem = NULL, *out = NULL;
	if (vips_jpegload_buffer((void *)in, len, &load, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
				 VIPS_FAIL_ON_WARNING, NULL) != 0)
		return NULL;
	int lw = vips_image_get_width(load), lh = vips_image_get_height(load);
	double scale = (double)max_side / (lw > lh ? lw : lh);
	int rc = scale < 1.0 ? vips_resize(load, &fit, scale, NULL) : vips_copy(load, &fit, NULL);
	g_object_unref(load);
	if (rc != 0)
		return NULL;
	int orientation = vips_image_get_orientation(fit);
	if (orientation < 2 || orientation > 8)
		return fit;
	/* Turning needs the whole (shrunk) picture: decoded here, once. */
	mem = vips_image_copy_memory(fit);
	g_object_unref(fit);
	if (mem == NULL)
		return NULL;
	rc = vips_autorot(mem, &out, NULL);
	g_object_unref(mem);
	return rc == 0 ? out : NULL;
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
	int head_w = vips_image_get_width(head), head_h = vips_image_get_height(head);
	long long px = (long long)head_w * head_h;
	g_object_unref(head);
	if (px <= 0)
		return SK_PHOTO_INVALID;
	if (px > SK_PHOTO_MAX_PIXELS)
		return SK_PHOTO_TOO_LARGE;

	/* Decode (shrink-on-load where the format allows), turn upright by EXIF, fit in max_side. */
	VipsImage *t = NULL, *u = NULL, *v = NULL;
	enum sk_photo_status st = SK_PHOTO_INVALID;
	struct heif_decoded heif = { 0 };
	bool other = true;
	if (!strcmp(loader, "VipsForeignLoadJpegBuffer")) {
		t = jpeg_fitted(in, len, head_w, head_h, max_side);
		if (t == NULL)
			goto done;
	} else if (!strcmp(loader, "VipsForeignLoadHeifBuffer")) {
		t = heif_fitted(in, len, max_side, &heif, &other);
		if (t == NULL && !other)
			goto done;
		if (t == NULL)
			heif_decoded_free(&heif);
	}
	if (t == NULL && vips_thumbnail_buffer((void *)in, len, &t, max_side, "height", max_side, "size", VIPS_SIZE_DOWN, "fail_on",
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
	heif_decoded_free(&heif); /* after the save: it read the planes */
	return st;
}
