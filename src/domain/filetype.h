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

#endif
