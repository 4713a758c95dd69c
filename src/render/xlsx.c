/* The ranking and per-criterion breakdown as an XLSX workbook: numbers as numbers, Vietnamese headers. */
#include "render/xlsx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* The bytes of the file at fd (malloc'd), NULL on failure. */
static unsigned char *slurp(int fd, size_t *len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) != 0)
		return NULL;
	unsigned char *buf = malloc((size_t)size + 1);
	size_t got = 0;
	while (buf && got < (size_t)size) {
		ssize_t n = read(fd, buf + got, (size_t)size - got);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	*len = got;
	return buf;
}

static void number_or_blank(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, bool has, double v, lxw_format *f)
{
	if (has && isfinite(v))
		worksheet_write_number(ws, row, col, v, f);
}

unsigned char *sk_render_xlsx(const struct sk_doc_results *r, size_t *len)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/sangkien-xlsx-XXXXXX", dir && dir[0] ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	lxw_workbook_options opt = { .constant_memory = LXW_FALSE, .tmpdir = dir && dir[0] ? (char *)dir : NULL };
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	unsigned char *out = NULL;
	if (wb == NULL)
		goto out;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *when = r->published_at ? r->published_at : r->decided_at;
	lxw_doc_properties props = { .title = (char *)(r->campaign_title ? r->campaign_title : ""),
				     .created = when && strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) ? timegm(&tm) : 0 };
	workbook_set_properties(wb, &props);
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_format *num = workbook_add_format(wb);
	format_set_num_format(num, "0.000");

	lxw_worksheet *ws = workbook_add_worksheet(wb, "Xếp hạng");
	worksheet_write_string(ws, 0, 0, "Phong trào", bold);
	worksheet_write_string(ws, 0, 1, r->campaign_title ? r->campaign_title : "", NULL);
	worksheet_write_string(ws, 1, 0, "Phương pháp", bold);
	worksheet_write_string(ws, 1, 1, r->method ? r->method : "", NULL);
	worksheet_write_string(ws, 1, 2, sk_doc_method_text(r->method), NULL);
	static const char *const header[] = { "Hạng", "Mã theo dõi", "Tên mô hình", "Tổ dân phố", "Giải", "Điểm",
					      "Khoảng tin cậy 95% (thấp)", "Khoảng tin cậy 95% (cao)", "Số lượt chấm",
					      "Không tách biệt được với hạng sau", "Lý do điều chỉnh" };
	const lxw_row_t top = 3;
	for (lxw_col_t c = 0; c < sizeof header / sizeof header[0]; c++)
		worksheet_write_string(ws, top, c, header[c], bold);
	for (size_t i = 0; i < r->nentries; i++) {
		const struct sk_doc_entry *e = &r->entries[i];
		lxw_row_t row = top + 1 + (lxw_row_t)i;
		worksheet_write_number(ws, row, 0, (double)e->rank, NULL);
		worksheet_write_string(ws, row, 1, e->tracking_code ? e->tracking_code : "", NULL);
		worksheet_write_string(ws, row, 2, e->title ? e->title : "", NULL);
		worksheet_write_string(ws, row, 3, e->group_name ? e->group_name : "", NULL);
		if (e->award)
			worksheet_write_string(ws, row, 4, e->award, NULL);
		number_or_blank(ws, row, 5, e->has_score, e->score, num);
		number_or_blank(ws, row, 6, e->has_interval, e->low, num);
		number_or_blank(ws, row, 7, e->has_interval, e->high, num);
		worksheet_write_number(ws, row, 8, (double)e->reviews, NULL);
		if (e->tied_with_next)
			worksheet_write_string(ws, row, 9, "có", NULL);
		if (e->reason)
			worksheet_write_string(ws, row, 10, e->reason, NULL);
	}
	worksheet_set_column(ws, 2, 2, 40, NULL);

	lxw_worksheet *bd = workbook_add_worksheet(wb, "Điểm theo tiêu chí");
	worksheet_write_string(bd, 0, 0, "Hạng", bold);
	worksheet_write_string(bd, 0, 1, "Mã theo dõi", bold);
	for (size_t c = 0; c < r->ncriteria; c++) {
		char h[512];
		snprintf(h, sizeof h, "%s (điểm gốc)", r->criteria[c]);
		worksheet_write_string(bd, 0, (lxw_col_t)(2 + 2 * c), h, bold);
		snprintf(h, sizeof h, "%s (chuẩn hóa)", r->criteria[c]);
		worksheet_write_string(bd, 0, (lxw_col_t)(3 + 2 * c), h, bold);
	}
	for (size_t i = 0; i < r->nentries; i++) {
		const struct sk_doc_entry *e = &r->entries[i];
		lxw_row_t row = 1 + (lxw_row_t)i;
		worksheet_write_number(bd, row, 0, (double)e->rank, NULL);
		worksheet_write_string(bd, row, 1, e->tracking_code ? e->tracking_code : "", NULL);
		for (size_t c = 0; c < r->ncriteria; c++) {
			number_or_blank(bd, row, (lxw_col_t)(2 + 2 * c), true, e->criterion_raw[c], num);
			number_or_blank(bd, row, (lxw_col_t)(3 + 2 * c), true, e->criterion_normalised[c], num);
		}
	}
	if (workbook_close(wb) == LXW_NO_ERROR)
		out = slurp(fd, len);
out:
	close(fd);
	unlink(path);
	return out;
}
