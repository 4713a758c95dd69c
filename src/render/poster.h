/* The A4 notice-board poster of a call: title, deadline and a QR code to its page (cairo + pango + libqrencode). */
#ifndef SK_RENDER_POSTER_H
#define SK_RENDER_POSTER_H

#include <stdbool.h>
#include <stddef.h>

struct sk_doc_poster {
	const char *ward_name, *campaign_title;
	const char *closes_at; /* as people read it, e.g. "17:00 ngày 30/09/2026" */
	const char *url;       /* absolute address the QR code names */
	bool published;        /* the results are out: the poster points to them */
};

/* The PDF of p (malloc'd, *len bytes; caller frees), NULL when rendering fails. */
unsigned char *sk_render_poster(const struct sk_doc_poster *p, size_t *len);

#endif
