/* Link-preview cards drawn with cairo + pango; see card.h. */
#include "render/card.h"

#include <cairo.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rendering is rare (once per change of a call or model): one at a time keeps pango's and
 * fontconfig's caches to one set and makes the renderer safe from any thread. */
static pthread_mutex_t render_lock = PTHREAD_MUTEX_INITIALIZER;

const char *sk_render_font_family(void)
{
	return "DejaVu Sans";
}

struct png_buf {
	unsigned char *data;
	size_t len, cap;
	int failed;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct png_buf *b = closure;
	if (b->len + length > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + length)
			cap *= 2;
		unsigned char *n = realloc(b->data, cap);
		if (n == NULL) {
			b->failed = 1;
			return CAIRO_STATUS_NO_MEMORY;
		}
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, length);
	b->len += length;
	return CAIRO_STATUS_SUCCESS;
}

/* Draws text at (x, y) in at most width px and max_lines lines (ellipsized); returns its height. */
static int draw_text(cairo_t *cr, const char *text, int size, int bold, unsigned rgb, int x, int y, int width,
		     int max_lines)
{
	if (text == NULL || *text == '\0')
		return 0;
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_new();
	pango_font_description_set_family(font, sk_render_font_family());
	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(layout, font);
	pango_layout_set_width(layout, width * PANGO_SCALE);
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_height(layout, -max_lines);
	pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(layout, text, -1);
	unsigned c = rgb;
	cairo_set_source_rgb(cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	int w, h;
	pango_layout_get_pixel_size(layout, &w, &h);
	pango_font_description_free(font);
	g_object_unref(layout);
	return h;
}

static void draw_card(cairo_t *cr, const struct sk_card *card)
{
	const int margin = 80, width = SK_CARD_WIDTH - 2 * margin;
	cairo_set_source_rgb(cr, 0.97, 0.98, 0.99);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0xb7 / 255.0, 0x1c / 255.0, 0x1c / 255.0); /* the red band on the left */
	cairo_rectangle(cr, 0, 0, 24, SK_CARD_HEIGHT);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0x0b / 255.0, 0x4f / 255.0, 0x8a / 255.0); /* the blue foot */
	cairo_rectangle(cr, 24, SK_CARD_HEIGHT - 70, SK_CARD_WIDTH - 24, 70);
	cairo_fill(cr);

	int y = 60;
	y += draw_text(cr, card->kicker, 30, 1, 0x0b4f8a, margin, y, width, 1);
	y += 14;
	y += draw_text(cr, card->title, 60, 1, 0x111111, margin, y, width, card->lines && *card->lines ? 2 : 3);
	y += 14;
	y += draw_text(cr, card->ward, 32, 0, 0x444444, margin, y, width, 1);
	y += 24;
	if (card->lines && *card->lines) {
		char *copy = strdup(card->lines);
		char *save = NULL;
		int n = 0;
		for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && n < 5 && y < SK_CARD_HEIGHT - 120;
		     line = strtok_r(NULL, "\n", &save), n++) {
			char *bullet = g_strconcat("• ", line, NULL);
			y += draw_text(cr, bullet, 30, 0, 0x1b5e20, margin, y, width, 1) + 6;
			g_free(bullet);
		}
		free(copy);
	}
	draw_text(cr, "Sáng kiến chuyển đổi số của phường", 28, 1, 0xffffff, margin, SK_CARD_HEIGHT - 54, width, 1);
}

int sk_card_render_png(const struct sk_card *card, unsigned char **png, size_t *len)
{
	*png = NULL;
	*len = 0;
	struct png_buf b = { 0 };
	pthread_mutex_lock(&render_lock);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SK_CARD_WIDTH, SK_CARD_HEIGHT);
	cairo_t *cr = cairo_create(s);
	int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
	if (ok) {
		draw_card(cr, card);
		cairo_surface_flush(s);
		ok = cairo_surface_write_to_png_stream(s, png_write, &b) == CAIRO_STATUS_SUCCESS && !b.failed;
	}
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	pthread_mutex_unlock(&render_lock);
	if (!ok) {
		free(b.data);
		return -1;
	}
	*png = b.data;
	*len = b.len;
	return 0;
}
