/*
 * Draws the link-preview card (src/render/card.c) n times and prints the median and worst time per
 * card, the CPU time per card, the PNG's size and the process's peak resident memory. Usage: bench-card [n] [out.png]
 */
#include "render/card.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50;
	if (n < 1 || n > 10000)
		n = 50;
	struct sk_card card = {
		"Kết quả đợt kêu gọi sáng kiến",
		"Chuyển đổi số ở tổ dân phố: thanh toán không dùng tiền mặt, sổ sức khỏe điện tử và \"Zalo tổ\"",
		"Phường Bến Thành, Quận 1",
		"Giải nhất: Chợ không tiền mặt <Bến Thành>\nGiải nhì: Sổ tay điện tử cho người cao tuổi\n"
		"Giải ba: Bản đồ số tổ dân phố\nKhuyến khích: Lớp học điện thoại thông minh\nKhuyến khích: Hộp thư góp ý QR",
	};
	double *ms = calloc((size_t)n, sizeof *ms);
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		unsigned char *png;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sk_card_render_png(&card, &png, &len) != 0) {
			fprintf(stderr, "bench-card: rendering failed\n");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (i == 0 && argc > 2) {
			FILE *f = fopen(argv[2], "wb");
			if (f) {
				fwrite(png, 1, len, f);
				fclose(f);
			}
		}
		free(png);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	double cpu_ms = ((double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6) / n;
	struct rusage after;
	getrusage(RUSAGE_SELF, &after);
	double first = ms[0];
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("cards=%d first_ms=%.1f median_ms=%.1f max_ms=%.1f cpu_ms_per_card=%.1f png_bytes=%zu peak_rss_kib=%ld\n", n,
	       first, ms[n / 2], ms[n - 1], cpu_ms, len, after.ru_maxrss);
	free(ms);
	return 0;
}
