/* Shared by minutes.c and poster.c: an A4 PDF drawn into memory with text laid out by pango. */
#ifndef SK_RENDER_PDF_H
#define SK_RENDER_PDF_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#define SK_A4_W 595.276 /* points */
#define SK_A4_H 841.89
#define SK_MARGIN 56.7 /* 2 cm */

enum sk_align { SK_LEFT, SK_CENTER, SK_RIGHT };

struct sk_pdf {
	cairo_surface_t *surface;
	cairo_t *cr;
	unsigned char *buf;
	size_t len, cap;
	bool failed; /* out of memory while writing */
	double y;    /* where the next line starts, from the top of the page */
	int pages;
};

/*
 * Starts a document (sk_pdf_finish ends it); false when cairo fails. created: its creation date as
 * "YYYY-MM-DDThh:mm:ssZ" (NULL: now); with it, the same input gives the same bytes.
 */
bool sk_pdf_begin(struct sk_pdf *d, const char *title, const char *created);

/*
 * Lays text out from x to x + width at d->y (font a pango description such as "DejaVu Serif Bold 12"),
 * starting a new page first when it would not fit; moves d->y below it. Returns the height used.
 */
double sk_pdf_text(struct sk_pdf *d, double x, double width, const char *font, enum sk_align align, const char *text);

/* Ends the page and starts another. */
void sk_pdf_new_page(struct sk_pdf *d);

/* Ends the document: its bytes (caller frees) and length, or NULL. */
unsigned char *sk_pdf_finish(struct sk_pdf *d, size_t *len);

#endif
