/* What a file is, by its first bytes (never by its name). */
#ifndef SK_DOMAIN_FILETYPE_H
#define SK_DOMAIN_FILETYPE_H

#include <stddef.h>

/*
 * The MIME type of an accepted attachment: "image/jpeg", "image/png",
 * "image/webp" or "application/pdf", recognised by magic bytes; NULL for
 * anything else.
 */
const char *sk_filetype_sniff(const unsigned char *data, size_t len);

/*
 * The name an upload declares in its X-Filename header: percent-decoded into out (at most
 * cap - 1 bytes, then NUL-terminated; cap >= 1), and of that only what follows the last '/'
 * or '\\'. Returns that base name, a pointer into out; not yet cleaned (see sk_text_clean).
 */
const char *sk_filename_base(const char *header, char *out, size_t cap);

#endif
