#include "render/pdf.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct sk_pdf *d = closure;
	if (d->len + length > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 65536;
		while (cap < d->len + length)
			cap *= 2;
		unsigned char *b = realloc(d->buf, cap);
		if (b == NULL) {
			d->failed = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		d->buf = b;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, length);
	d->len += length;
	return CAIRO_STATUS_SUCCESS;
}

bool sk_pdf_begin(struct sk_pdf *d, const char *title, const char *created)
{
	memset(d, 0, sizeof *d);
	d->surface = cairo_pdf_surface_create_for_stream(pdf_write, d, SK_A4_W, SK_A4_H);
	if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(d->surface);
		return false;
	}
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, "sangkien");
	if (created)
		cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATE_DATE, created);
	d->cr = cairo_create(d->surface);
	d->y = SK_MARGIN;
	d->pages = 1;
	return true;
}

void sk_pdf_new_page(struct sk_pdf *d)
{
	cairo_show_page(d->cr);
	d->y = SK_MARGIN;
	d->pages++;
}

double sk_pdf_text(struct sk_pdf *d, double x, double width, const char *font, enum sk_align align, const char *text)
{
	PangoLayout *layout = pango_cairo_create_layout(d->cr);
	PangoFontDescription *desc = pango_font_description_from_string(font);
	pango_layout_set_font_description(layout, desc);
	pango_font_description_free(desc);
	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(layout, align == SK_CENTER  ? PANGO_ALIGN_CENTER
					   : align == SK_RIGHT ? PANGO_ALIGN_RIGHT
							       : PANGO_ALIGN_LEFT);
	pango_layout_set_text(layout, text ? text : "", -1);
	int w, h;
	pango_layout_get_size(layout, &w, &h);
	double height = (double)h / PANGO_SCALE;
	if (d->y + height > SK_A4_H - SK_MARGIN && d->y > SK_MARGIN)
		sk_pdf_new_page(d);
	cairo_set_source_rgb(d->cr, 0, 0, 0);
	cairo_move_to(d->cr, x, d->y);
	pango_cairo_show_layout(d->cr, layout);
	g_object_unref(layout);
	d->y += height;
	return height;
}

unsigned char *sk_pdf_finish(struct sk_pdf *d, size_t *len)
{
	cairo_destroy(d->cr);
	cairo_surface_finish(d->surface);
	bool ok = cairo_surface_status(d->surface) == CAIRO_STATUS_SUCCESS && !d->failed;
	cairo_surface_destroy(d->surface);
	if (!ok) {
		free(d->buf);
		return NULL;
	}
	*len = d->len;
	return d->buf;
}

/*
 * Under LeakSanitizer (the test build): fontconfig keeps a few hundred bytes of its
 * configuration unreachable at exit, once pango has loaded the fonts; not ours to free.
 * Read by the sanitizer runtime only; an unused function in other builds.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
