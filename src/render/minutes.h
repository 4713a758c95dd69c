/* The official minutes (biên bản) of a call's results as an A4 PDF (cairo + pango). */
#ifndef SK_RENDER_MINUTES_H
#define SK_RENDER_MINUTES_H

#include "render/results_doc.h"

/* The PDF of r (malloc'd, *len bytes; caller frees), NULL when rendering fails. */
unsigned char *sk_render_minutes(const struct sk_doc_results *r, size_t *len);

#endif
