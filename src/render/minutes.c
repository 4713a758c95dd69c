/*
 * The minutes (biên bản) of a call's published results: the national header and motto, the ward
 * committee, the call, the panel, the method, the winners with their awards and the reasons for any
 * departure from the ranking, the tie warning, the signatures; the verification digests on an annex page.
 */
#include "render/minutes.h"

#include "render/pdf.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIF "DejaVu Serif 10.5"
#define SERIF_BOLD "DejaVu Serif Bold 10.5"

/* "ỦY BAN NHÂN DÂN\nPHƯỜNG X" for a ward named "X" or "Phường X" (caller g_free's). */
static char *committee_header(const char *ward)
{
	char *folded = g_utf8_casefold(ward ? ward : "", -1);
	bool named = g_str_has_prefix(folded, "phường ") || g_str_has_prefix(folded, "xã ") ||
		     g_str_has_prefix(folded, "thị trấn ");
	g_free(folded);
	char *full = g_strdup_printf("%s%s", named ? "" : "Phường ", ward ? ward : "");
	char *upper = g_utf8_strup(full, -1);
	char *out = g_strdup_printf("ỦY BAN NHÂN DÂN\n%s", upper);
	g_free(full);
	g_free(upper);
	return out;
}

/* "ngày dd tháng mm năm yyyy" of an ISO 8601 date (caller g_free's). */
static char *date_words(const char *iso)
{
	int y = 0, m = 0, d = 0;
	if (iso == NULL || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return g_strdup("ngày … tháng … năm …");
	return g_strdup_printf("ngày %02d tháng %02d năm %04d", d, m, y);
}

/* Two blocks side by side from d->y, the left one taking share of the width; d->y below the taller. */
static void two_columns(struct sk_pdf *d, const char *font, double share, const char *left, const char *right)
{
	double w = SK_A4_W - 2 * SK_MARGIN + 40, lw = w * share, top = d->y;
	sk_pdf_text(d, SK_MARGIN - 20, lw, font, SK_CENTER, left);
	double left_bottom = d->y;
	d->y = top;
	sk_pdf_text(d, SK_MARGIN - 20 + lw, w - lw, font, SK_CENTER, right);
	if (left_bottom > d->y)
		d->y = left_bottom;
}

static void gap(struct sk_pdf *d, double points)
{
	d->y += points;
}

unsigned char *sk_render_minutes(const struct sk_doc_results *r, size_t *len)
{
	struct sk_pdf d;
	char *title = g_strdup_printf("Biên bản kết quả: %s", r->campaign_title ? r->campaign_title : "");
	/* Dated by the publication, so that every server process renders the same bytes (and ETag). */
	bool ok = sk_pdf_begin(&d, title, r->published_at ? r->published_at : r->decided_at);
	g_free(title);
	if (!ok)
		return NULL;
	double x = SK_MARGIN, w = SK_A4_W - 2 * SK_MARGIN;
	char *committee = committee_header(r->ward_name);
	two_columns(&d, "DejaVu Serif Condensed Bold 10", 0.38, committee,
		    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n―――――――");
	g_free(committee);
	gap(&d, 8);
	char *date = date_words(r->published_at ? r->published_at : r->decided_at);
	char *place = g_strdup_printf("%s, %s", r->ward_name ? r->ward_name : "", date);
	sk_pdf_text(&d, x, w, "DejaVu Serif Italic 10", SK_RIGHT, place);
	g_free(place);
	gap(&d, 14);
	sk_pdf_text(&d, x, w, "DejaVu Serif Bold 14", SK_CENTER, "BIÊN BẢN");
	sk_pdf_text(&d, x, w, SERIF_BOLD, SK_CENTER, "Công bố kết quả xét chọn mô hình chuyển đổi số");
	gap(&d, 12);

	char *s = g_strdup_printf("1. Phong trào: %s.", r->campaign_title ? r->campaign_title : "");
	sk_pdf_text(&d, x, w, SERIF_BOLD, SK_LEFT, s);
	g_free(s);
	s = g_strdup_printf("2. Tổ thẩm định: %ld thành viên, %ld lượt chấm trên %zu mô hình được xếp hạng, theo %zu tiêu "
			    "chí. Quyết định %s; công bố lần %ld.",
			    r->panelists, r->reviews, r->nentries, r->ncriteria, date, r->version);
	g_free(date);
	sk_pdf_text(&d, x, w, SERIF, SK_LEFT, s);
	g_free(s);
	s = g_strdup_printf("3. Phương pháp xếp hạng: %s", sk_doc_method_text(r->method));
	sk_pdf_text(&d, x, w, SERIF, SK_LEFT, s);
	g_free(s);
	if (r->correction_reason) {
		s = g_strdup_printf("Đính chính: %s", r->correction_reason);
		sk_pdf_text(&d, x, w, "DejaVu Serif Italic 11", SK_LEFT, s);
		g_free(s);
	}
	gap(&d, 6);
	sk_pdf_text(&d, x, w, SERIF_BOLD, SK_LEFT, "4. Các mô hình được trao giải:");
	size_t winners = 0;
	for (size_t i = 0; i < r->nentries; i++) {
		const struct sk_doc_entry *e = &r->entries[i];
		if (e->award == NULL)
			continue;
		winners++;
		char score[32] = "chưa có điểm";
		if (e->has_score)
			snprintf(score, sizeof score, "điểm %.3f", e->score);
		s = g_strdup_printf("• %s: %s (mã %s, %s), hạng %ld, %s.", e->award, e->title ? e->title : "",
				    e->tracking_code ? e->tracking_code : "", e->group_name ? e->group_name : "", e->rank, score);
		sk_pdf_text(&d, x + 10, w - 10, SERIF, SK_LEFT, s);
		g_free(s);
		if (e->reason && e->reason[0]) {
			s = g_strdup_printf("Lý do khác với thứ tự xếp hạng: %s", e->reason);
			sk_pdf_text(&d, x + 24, w - 24, "DejaVu Serif Italic 10.5", SK_LEFT, s);
			g_free(s);
		}
	}
	if (winners == 0)
		sk_pdf_text(&d, x + 10, w - 10, SERIF, SK_LEFT, "Không có mô hình nào được trao giải.");
	if (r->tie_warning) {
		gap(&d, 6);
		sk_pdf_text(&d, x, w, SERIF_BOLD, SK_LEFT,
			    "Lưu ý: mô hình cuối cùng được trao giải và mô hình xếp ngay sau không tách biệt được về điểm "
			    "(khoảng tin cậy chồng lên nhau); việc trao giải giữa hai mô hình này là quyết định của tổ thẩm "
			    "định và lãnh đạo phường.");
	}
	gap(&d, 6);
	sk_pdf_text(&d, x, w, SERIF, SK_LEFT,
		    "Bảng xếp hạng đầy đủ, điểm theo từng tiêu chí và các mã kiểm chứng (phụ lục) được công khai trên "
		    "trang kết quả của phong trào.");
	gap(&d, 12);
	if (d.y + 80 > SK_A4_H - SK_MARGIN) /* the signatures stay together */
		sk_pdf_new_page(&d);
	two_columns(&d, SERIF_BOLD, 0.5, "TỔ TRƯỞNG TỔ THẨM ĐỊNH", "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH");
	two_columns(&d, "DejaVu Serif Italic 10", 0.5, "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)");

	sk_pdf_new_page(&d);
	sk_pdf_text(&d, x, w, "DejaVu Serif Bold 13", SK_CENTER, "PHỤ LỤC: MÃ KIỂM CHỨNG");
	gap(&d, 10);
	sk_pdf_text(&d, x, w, SERIF, SK_LEFT,
		    "Các mã dưới đây (SHA-256) cho phép bất kỳ ai kiểm tra rằng kết quả được tính từ đúng cấu hình "
		    "phong trào và đúng các phiếu chấm đã niêm phong.");
	gap(&d, 8);
	const char *labels[] = { "Cấu hình phong trào (config_digest):", "Sổ điểm đã niêm phong (score_record_head):",
				 "Dữ liệu đầu vào của xếp hạng (inputs_digest):" };
	const char *values[] = { r->config_digest, r->score_record_head, r->inputs_digest };
	for (int i = 0; i < 3; i++) {
		sk_pdf_text(&d, x, w, SERIF_BOLD, SK_LEFT, labels[i]);
		sk_pdf_text(&d, x + 10, w - 10, "DejaVu Sans Mono 8.5", SK_LEFT, values[i] ? values[i] : "(không có)");
		gap(&d, 6);
	}
	s = g_strdup_printf("Phương pháp: %s. Phiên bản kết quả: %ld.", r->method ? r->method : "", r->version);
	sk_pdf_text(&d, x, w, SERIF, SK_LEFT, s);
	g_free(s);
	return sk_pdf_finish(&d, len);
}
