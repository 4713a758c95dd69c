/*
 * The photo pipeline (src/media/photo.c) on camera-like files made here with the vips CLI and
 * exiftool: EXIF with GPS, serial number and owner, XMP, an embedded thumbnail, an Orientation.
 * Nothing of it survives the re-encoding (read back with exiftool), the picture is turned upright,
 * shrunk to the long side asked for; a decompression bomb, a truncated file and what is not a
 * photo are refused.
 */
#include "media/photo.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>
#include <zlib.h>

static char dir[64];

static void up(void)
{
	cr_assert_eq(sk_photo_init("test-media"), 0);
	snprintf(dir, sizeof dir, "/tmp/sk-media-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void down(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TestSuite(photo, .init = up, .fini = down, .timeout = 60);

static void sh(const char *fmt, const char *arg)
{
	char cmd[2048], line[1800];
	snprintf(line, sizeof line, fmt, arg);
	snprintf(cmd, sizeof cmd, "cd '%s' && { %s; } >/dev/null 2>&1", dir, line);
	cr_assert_eq(system(cmd), 0, "failed: %s", line);
}

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spill(const char *name, const void *b, size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
}

/* What exiftool finds in a file: every tag of every group, one per line. */
static char *exif_dump(const char *name)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "exiftool -a -G1 -s '%s/%s' 2>&1", dir, name);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

/*
 * A 300 × 200 photo, black on the left half and white on the right, saved as name, then given
 * EXIF (Orientation 6 = rotate 90° clockwise, GPS, owner, serial), XMP and an embedded thumbnail.
 */
static void camera_photo(const char *name)
{
	sh("vips black b.v 150 200 --bands 3 && vips linear b.v w.v 1 255 && vips black c.v 300 200 --bands 3 &&"
	   " vips insert c.v w.v half.v 150 0 && vips copy half.v %s",
	   name);
	sh("vips copy half.v thumb.jpg && exiftool -q -overwrite_original -Orientation#=6 -GPSLatitude=10.7769"
	   " -GPSLatitudeRef=N -GPSLongitude=106.7009 -GPSLongitudeRef=E -Artist='Nguyen Van A' -SerialNumber=CAM123"
	   " -XMP-dc:Creator='Nguyen Van A' -XMP-dc:Description='nha ong A' '-ThumbnailImage<=thumb.jpg' %s",
	   name);
}

static const char *const LEAKS[] = { "GPS", "Nguyen Van A", "CAM123", "XMP", "Thumbnail", "Orientation", "nha ong A",
				     "Serial", "Artist", "ICC" };

static void assert_clean(const char *name)
{
	char *d = exif_dump(name);
	for (size_t i = 0; i < sizeof LEAKS / sizeof *LEAKS; i++)
		cr_assert_null(strstr(d, LEAKS[i]), "%s survives in %s:\n%s", LEAKS[i], name, d);
	free(d);
}

/* The mean of a 10 × 10 box of the JPEG in b at (x, y). */
static double mean_at(const void *b, size_t n, int x, int y)
{
	VipsImage *im = vips_image_new_from_buffer(b, n, "", NULL), *box;
	cr_assert_not_null(im);
	cr_assert_eq(vips_crop(im, &box, x, y, 10, 10, NULL), 0);
	double m;
	cr_assert_eq(vips_avg(box, &m, NULL), 0);
	g_object_unref(box);
	g_object_unref(im);
	return m;
}

Test(photo, a_camera_jpeg_loses_gps_owner_xmp_and_thumbnail_and_is_turned_upright)
{
	camera_photo("cam.jpg");
	char *before = exif_dump("cam.jpg");
	cr_assert_not_null(strstr(before, "GPSLatitude"), "the test photo has no GPS:\n%s", before);
	cr_assert_not_null(strstr(before, "ThumbnailImage"), "the test photo has no thumbnail:\n%s", before);
	cr_assert_not_null(strstr(before, "XMP-dc"), "the test photo has no XMP:\n%s", before);
	free(before);
	size_t n, m;
	unsigned char *in = slurp("cam.jpg", &n), *out;
	int w, h;
	cr_assert_eq(sk_photo_reencode(in, n, 2560, "image/jpeg", &out, &m, &w, &h), SK_PHOTO_OK);
	/* Rotated 90° clockwise: 200 wide, 300 high, the left (black) half now on top. */
	cr_assert_eq(w, 200);
	cr_assert_eq(h, 300);
	cr_assert(out[0] == 0xFF && out[1] == 0xD8, "not a JPEG");
	cr_assert_lt(mean_at(out, m, 95, 20), 30.0, "the top is not black: the orientation was not applied");
	cr_assert_gt(mean_at(out, m, 95, 270), 225.0, "the bottom is not white");
	spill("clean.jpg", out, m);
	assert_clean("clean.jpg");
	/* Cleaning the cleaned file keeps it clean (and upright: no orientation is left to apply twice). */
	unsigned char *again;
	size_t k;
	cr_assert_eq(sk_photo_reencode(out, m, 2560, "image/jpeg", &again, &k, &w, &h), SK_PHOTO_OK);
	cr_assert_eq(w, 200);
	cr_assert_eq(h, 300);
	sk_photo_free(again);
	sk_photo_free(out);
	free(in);
}

Test(photo, derived_sizes_fit_the_long_side_and_never_enlarge)
{
	camera_photo("cam.jpg");
	size_t n, m;
	unsigned char *in = slurp("cam.jpg", &n), *out;
	int w, h;
	cr_assert_eq(sk_photo_reencode(in, n, 120, "image/jpeg", &out, &m, &w, &h), SK_PHOTO_OK);
	cr_assert_eq(h, 120);
	cr_assert_eq(w, 80);
	sk_photo_free(out);
	cr_assert_eq(sk_photo_reencode(in, n, 1024, "image/webp", &out, &m, &w, &h), SK_PHOTO_OK);
	cr_assert_eq(h, 300, "enlarged to %d", h);
	sk_photo_free(out);
	free(in);
}

Test(photo, png_webp_and_heic_with_metadata_come_out_as_clean_jpeg)
{
	camera_photo("cam.jpg");
	static const char *const names[] = { "p.png", "p.webp", "p.heic" };
	static const char *const as[] = { "image/png", "image/webp", "image/jpeg" }; /* HEIC is stored as JPEG */
	for (size_t i = 0; i < 3; i++) {
		sh("vips copy half.v %s", names[i]);
		/* exiftool writes XMP into all three, EXIF where the format has room for it. */
		sh("exiftool -q -overwrite_original -XMP-dc:Creator='Nguyen Van A' -Artist='Nguyen Van A'"
		   " -GPSLatitude=10.7769 -GPSLatitudeRef=N %s || true",
		   names[i]);
		size_t n, m;
		unsigned char *in = slurp(names[i], &n), *out;
		int w, h;
		cr_assert_eq(sk_photo_reencode(in, n, 2560, as[i], &out, &m, &w, &h), SK_PHOTO_OK, "%s", names[i]);
		cr_assert_eq(w, 300, "%s", names[i]);
		cr_assert_eq(h, 200, "%s", names[i]);
		static const unsigned char png_sig[] = { 0x89, 'P', 'N', 'G' }, jpeg_sig[] = { 0xFF, 0xD8 };
		if (i == 0)
			cr_assert(memcmp(out, png_sig, 4) == 0, "not a PNG");
		else if (i == 1)
			cr_assert(memcmp(out, "RIFF", 4) == 0 && memcmp(out + 8, "WEBP", 4) == 0, "not a WebP");
		else
			cr_assert(memcmp(out, jpeg_sig, 2) == 0, "not a JPEG");
		spill("clean.img", out, m);
		assert_clean("clean.img");
		sk_photo_free(out);
		free(in);
	}
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A PNG chunk of type t with data d (n bytes) at p; returns its size. */
static size_t chunk(unsigned char *p, const char *t, const unsigned char *d, size_t n)
{
	be32(p, (uint32_t)n);
	memcpy(p + 4, t, 4);
	if (n)
		memcpy(p + 8, d, n);
	be32(p + 8 + n, (uint32_t)crc32(crc32(0, p + 4, 4), d, (uInt)n));
	return 12 + n;
}

Test(photo, a_decompression_bomb_is_refused_from_its_header)
{
	/* 12,000 × 10,000 grey (120 megapixels): the header says so; a few compressed rows follow. */
	unsigned char f[4096], ihdr[13] = { 0 }, z[2048];
	be32(ihdr, 12000);
	be32(ihdr + 4, 10000);
	ihdr[8] = 8; /* 8-bit grey */
	unsigned char *raw = calloc(1, 12001 * 4);
	uLongf zn = sizeof z;
	cr_assert_eq(compress(z, &zn, raw, 12001 * 4), Z_OK);
	free(raw);
	size_t n = 0;
	memcpy(f, "\x89PNG\r\n\x1a\n", 8);
	n = 8;
	n += chunk(f + n, "IHDR", ihdr, 13);
	n += chunk(f + n, "IDAT", z, zn);
	n += chunk(f + n, "IEND", NULL, 0);
	unsigned char *out = (unsigned char *)"x";
	size_t m = 1;
	cr_assert_eq(sk_photo_reencode(f, n, 2560, "image/png", &out, &m, NULL, NULL), SK_PHOTO_TOO_LARGE);
	cr_assert_null(out);
	cr_assert_eq(m, 0);
}

Test(photo, truncated_damaged_and_other_files_are_refused)
{
	camera_photo("cam.jpg");
	size_t n, m;
	unsigned char *in = slurp("cam.jpg", &n), *out;
	/* Cut in the middle of the picture data. */
	cr_assert_eq(sk_photo_reencode(in, n * 2 / 3, 2560, "image/jpeg", &out, &m, NULL, NULL), SK_PHOTO_INVALID);
	cr_assert_eq(sk_photo_reencode(in, 200, 2560, "image/jpeg", &out, &m, NULL, NULL), SK_PHOTO_INVALID);
	free(in);
	sh("vips copy half.v %s", "p.png");
	in = slurp("p.png", &n);
	cr_assert_eq(sk_photo_reencode(in, n - 20, 2560, "image/png", &out, &m, NULL, NULL), SK_PHOTO_INVALID);
	free(in);
	static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
	cr_assert_eq(sk_photo_reencode((const unsigned char *)pdf, sizeof pdf - 1, 2560, "image/jpeg", &out, &m, NULL, NULL),
		     SK_PHOTO_INVALID);
	static const char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>";
	cr_assert_eq(sk_photo_reencode((const unsigned char *)svg, sizeof svg - 1, 2560, "image/png", &out, &m, NULL, NULL),
		     SK_PHOTO_INVALID);
	cr_assert_eq(sk_photo_reencode((const unsigned char *)"", 0, 2560, "image/jpeg", &out, &m, NULL, NULL), SK_PHOTO_INVALID);
	cr_assert_null(out);
}

/* The mean of band b of the image file name in dir. */
static double band_mean(const char *name, int b)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cd '%s' && vips extract_band '%s' band.v %d && vips avg band.v", dir, name, b);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	double m = -1;
	cr_assert_eq(fscanf(p, "%lf", &m), 1, "vips avg failed on %s", name);
	pclose(p);
	return m;
}

/*
 * A HEIC photo keeps its colours: a reddish picture with texture (made with vips, encoded by
 * libheif and x265 at Q 90), re-encoded as PNG and shrunk, has the mean of each band within 1.5
 * levels of the source's. The pipeline decodes HEIF itself as Y'CbCr 4:2:0 and converts it with
 * the file's matrix (BT.601 here, full range): a wrong matrix, range or chroma plane shows as
 * tens of levels. (Measured: red and green within 0.04, blue 1.0 high, as libvips' heifload
 * gave it too, which was also 1.0 high on red: the encoder's rounding.)
 */
Test(photo, a_heic_keeps_its_colours_through_the_4_2_0_path)
{
	sh("vips black z.v 600 400 && vips linear z.v r.v 1 220 && vips linear z.v g.v 1 40 && vips linear z.v b.v 1 90 &&"
	   " vips bandjoin 'r.v g.v b.v' c.v && vips cast c.v cu.v uchar && vips perlin p.v 600 400 --cell-size 32 &&"
	   " vips linear p.v p2.v 60 0 && vips add cu.v p2.v s.v && vips cast s.v src.v uchar && vips copy src.v src.png &&"
	   " vips copy src.v %s",
	   "col.heic[Q=90]");
	size_t n, m;
	unsigned char *in = slurp("col.heic", &n), *out;
	int w, h;
	cr_assert_eq(sk_photo_reencode(in, n, 300, "image/png", &out, &m, &w, &h), SK_PHOTO_OK);
	cr_assert(w == 300 && h == 200, "%d x %d", w, h);
	spill("out.png", out, m);
	assert_clean("out.png");
	for (int b = 0; b < 3; b++) {
		double want = band_mean("src.png", b), got = band_mean("out.png", b);
		cr_assert(got > want - 1.5 && got < want + 1.5, "band %d: mean %.2f, the source's %.2f", b, got, want);
	}
	sk_photo_free(out);
	/* Cut short: refused, nothing given. */
	out = (unsigned char *)"x";
	cr_assert_eq(sk_photo_reencode(in, n / 2, 300, "image/jpeg", &out, &m, NULL, NULL), SK_PHOTO_INVALID);
	cr_assert_null(out);
	free(in);
}
