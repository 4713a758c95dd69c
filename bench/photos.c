/*
 * bench-photos FILE MIME: one upload's photo work, as the server does it (src/media/photo.c):
 * reads FILE, re-encodes it as MIME with a long side of SK_PHOTO_MAX_SIDE, and prints the time of
 * sk_photo_reencode, the input and output sizes, the output's dimensions, the process's peak RSS
 * before and after the call (KiB) and libvips' own tracked-memory high water (KiB). Used by
 * bench/photos.sh (docs/performance.md). Not installed.
 */
#include "media/photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <vips/vips.h>

static long maxrss_kib(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE image/jpeg|image/png|image/webp\n", argv[0]);
		return 2;
	}
	if (sk_photo_init(argv[0]) != 0)
		return 1;
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *in = malloc((size_t)n);
	if (in == NULL || fread(in, 1, (size_t)n, f) != (size_t)n)
		return 1;
	fclose(f);
	long before = maxrss_kib();
	struct timespec t0, t1;
	unsigned char *out;
	size_t out_len;
	int w = 0, h = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum sk_photo_status st = sk_photo_reencode(in, (size_t)n, SK_PHOTO_MAX_SIDE, argv[2], &out, &out_len, &w, &h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st != SK_PHOTO_OK) {
		fprintf(stderr, "refused: status %d\n", (int)st);
		return 1;
	}
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("ms=%.1f in=%ld out=%zu size=%dx%d rss_before=%ld rss_after=%ld vips_highwater=%lld\n", ms, n, out_len, w, h,
	       before, maxrss_kib(), (long long)(vips_tracked_get_mem_highwater() / 1024));
	sk_photo_free(out);
	free(in);
	return 0;
}
