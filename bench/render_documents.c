/*
 * bench-documents: renders the minutes PDF, the XLSX or the poster of a synthetic published call of
 * N proposals with src/render (no server, no database) and prints the time it took; run it under
 * /usr/bin/time -v for the peak memory (bench/documents.sh). Also writes the document to OUT.
 * Usage: bench-documents minutes|xlsx|poster N OUT
 */
#include "render/minutes.h"
#include "render/poster.h"
#include "render/xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s minutes|xlsx|poster N OUT\n", argv[0]);
		return 2;
	}
	size_t n = (size_t)atol(argv[2]);
	static const char *const criteria[] = { "Tính mới", "Khả thi", "Lan tỏa" };
	struct sk_doc_entry *e = calloc(n + 1, sizeof *e);
	double *values = calloc(6 * n + 1, sizeof *values);
	char (*codes)[32] = calloc(n + 1, sizeof *codes), (*titles)[96] = calloc(n + 1, sizeof *titles);
	if (!e || !values || !codes || !titles)
		return 1;
	static const char *const awards[] = { "Giải Nhất", "Giải Nhì", "Giải Nhì", NULL, "Khuyến khích" };
	for (size_t i = 0; i < n; i++) {
		snprintf(codes[i], sizeof codes[i], "DT-2026-%04zu", i + 1);
		snprintf(titles[i], sizeof titles[i], "Mô hình số %zu: bản đồ số tổ dân phố", i + 1);
		double *v = values + 6 * i;
		for (int k = 0; k < 6; k++)
			v[k] = 10 - (double)i * 0.01 - k;
		e[i] = (struct sk_doc_entry){ .rank = (long)i + 1, .tracking_code = codes[i], .title = titles[i],
					      .group_name = "Tổ dân phố 3", .award = i < 5 ? awards[i] : NULL,
					      .reason = i == 4 ? "Mô hình hạng 4 trùng với mô hình đã triển khai." : NULL,
					      .has_score = true, .has_interval = true, .tied_with_next = i == 2,
					      .score = 95 - (double)i * 0.1, .low = 93 - (double)i * 0.1, .high = 97 - (double)i * 0.1,
					      .reviews = 5, .criterion_raw = v, .criterion_normalised = v + 3 };
	}
	char digest[65];
	memset(digest, 'c', 64);
	digest[64] = '\0';
	struct sk_doc_results r = { .ward_name = "Hải Châu", .campaign_title = "Sáng kiến chuyển đổi số 2026",
				    .method = "normalised", .decided_at = "2026-12-01T10:00:00Z",
				    .published_at = "2026-12-02T10:00:00Z", .config_digest = digest,
				    .score_record_head = digest, .inputs_digest = digest, .version = 1,
				    .reviews = 5 * (long)n, .panelists = 5, .tie_warning = true, .ncriteria = 3,
				    .criteria = criteria, .nentries = n, .entries = e };
	struct sk_doc_poster p = { .ward_name = "Phường Hải Châu", .campaign_title = r.campaign_title,
				   .closes_at = "17:00 ngày 31/12/2026", .url = "https://phuong.example.vn/call.html?id=7" };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t len = 0;
	unsigned char *doc = !strcmp(argv[1], "minutes") ? sk_render_minutes(&r, &len)
			     : !strcmp(argv[1], "xlsx")  ? sk_render_xlsx(&r, &len)
							 : sk_render_poster(&p, &len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (doc == NULL) {
		fprintf(stderr, "rendering failed\n");
		return 1;
	}
	FILE *f = fopen(argv[3], "wb");
	if (f == NULL || fwrite(doc, 1, len, f) != len || fclose(f) != 0)
		return 1;
	printf("%s n=%zu: %.1f ms, %zu bytes\n", argv[1], n,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, len);
	free(doc);
	free(e);
	free(values);
	free(codes);
	free(titles);
	return 0;
}
