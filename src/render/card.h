/*
 * Link-preview cards: a 1,200 × 630 PNG (the size chat apps and Open Graph expect) with a call's or
 * model's title, its ward and a few lines (the winners once published), drawn with cairo + pango.
 * No libmicrohttpd, libpq or jansson here. The shared font set-up (sk_render_font_family) lives in
 * this file; other renderers (src/render/…) may call it.
 */
#ifndef SK_RENDER_CARD_H
#define SK_RENDER_CARD_H

#include <stddef.h>

#define SK_CARD_WIDTH 1200
#define SK_CARD_HEIGHT 630

struct sk_card {
	const char *kicker; /* small line above the title, e.g. "Đợt kêu gọi sáng kiến"; may be NULL */
	const char *title;  /* the call's or model's title (UTF-8); NULL or "" draws nothing */
	const char *ward;   /* the ward's name; may be NULL */
	const char *lines;  /* further lines separated by '\n' (the winners), at most 5 drawn; may be NULL */
};

/* The font family every server-side renderer uses: DejaVu Sans (Debian fonts-dejavu-core, full
 * Vietnamese coverage). */
const char *sk_render_font_family(void);

/*
 * Renders card as a PNG into a malloc'd buffer the caller frees (*png, *len). Returns 0, or -1
 * when out of memory or cairo fails (then *png is NULL). Thread-safe.
 */
int sk_card_render_png(const struct sk_card *card, unsigned char **png, size_t *len);

#endif
