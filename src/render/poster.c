/* The notice-board poster of a call: an A4 PDF with the title, the deadline and a QR code to the call's page. */
#include "render/poster.h"

#include "render/pdf.h"

#include <glib.h>
#include <qrencode.h>
#include <stdlib.h>

unsigned char *sk_render_poster(const struct sk_doc_poster *p, size_t *len)
{
	QRcode *qr = QRcode_encodeString(p->url ? p->url : "", 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return NULL;
	struct sk_pdf d;
	if (!sk_pdf_begin(&d, p->campaign_title ? p->campaign_title : "", NULL)) {
		QRcode_free(qr);
		return NULL;
	}
	double x = SK_MARGIN, w = SK_A4_W - 2 * SK_MARGIN;
	char *s = g_strdup_printf("ỦY BAN NHÂN DÂN %s", p->ward_name ? p->ward_name : "");
	char *upper = g_utf8_strup(s, -1);
	sk_pdf_text(&d, x, w, "DejaVu Sans Bold 13", SK_CENTER, upper);
	g_free(upper);
	g_free(s);
	d.y += 24;
	sk_pdf_text(&d, x, w, "DejaVu Sans Bold 18", SK_CENTER,
		    p->published ? "KẾT QUẢ PHONG TRÀO ĐỀ XUẤT MÔ HÌNH CHUYỂN ĐỔI SỐ"
				 : "MỜI ĐỀ XUẤT MÔ HÌNH CHUYỂN ĐỔI SỐ");
	d.y += 16;
	sk_pdf_text(&d, x, w, "DejaVu Sans Bold 24", SK_CENTER, p->campaign_title);
	d.y += 20;
	if (!p->published && p->closes_at) {
		s = g_strdup_printf("Hạn nộp đề xuất: %s", p->closes_at);
		sk_pdf_text(&d, x, w, "DejaVu Sans 16", SK_CENTER, s);
		g_free(s);
		d.y += 20;
	}
	/* The QR code: square modules with a quiet zone of 4, about 9 cm wide. */
	double side = 255, module = side / (qr->width + 8);
	double qx = (SK_A4_W - side) / 2, qy = d.y;
	cairo_set_source_rgb(d.cr, 0, 0, 0);
	for (int row = 0; row < qr->width; row++)
		for (int col = 0; col < qr->width; col++)
			if (qr->data[row * qr->width + col] & 1)
				cairo_rectangle(d.cr, qx + (col + 4) * module, qy + (row + 4) * module, module, module);
	cairo_fill(d.cr);
	QRcode_free(qr);
	d.y += side + 10;
	sk_pdf_text(&d, x, w, "DejaVu Sans 14", SK_CENTER,
		    p->published ? "Quét mã QR để xem kết quả, bảng xếp hạng và biên bản."
				 : "Quét mã QR để xem thể lệ và gửi đề xuất. Tình nguyện viên cộng đồng sẵn sàng giúp bạn.");
	d.y += 8;
	sk_pdf_text(&d, x, w, "DejaVu Sans Mono 11", SK_CENTER, p->url);
	return sk_pdf_finish(&d, len);
}
