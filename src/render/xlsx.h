/* The ranking and per-criterion breakdown of a call's results as an XLSX workbook (libxlsxwriter). */
#ifndef SK_RENDER_XLSX_H
#define SK_RENDER_XLSX_H

#include "render/results_doc.h"

/* The workbook of r (malloc'd, *len bytes; caller frees), NULL on failure (it goes through a temporary file). */
unsigned char *sk_render_xlsx(const struct sk_doc_results *r, size_t *len);

#endif
