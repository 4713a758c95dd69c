/* What a file is, by its first bytes (never by its name). */
#ifndef SK_DOMAIN_FILETYPE_H
#define SK_DOMAIN_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The MIME type of an accepted attachment: "image/jpeg", "image/png",
 * "image/webp", "image/heic" (an ISO BMFF ftyp box with a HEIF brand: heic, heix,
 * hevc, hevx, heim, heis, mif1, msf1) or "application/pdf", recognised by magic
 * bytes; NULL for anything else.
 */
const char *sk_filetype_sniff(const unsigned char *data, size_t len);

/*
 * True when a Content-Type header value declares exactly the media type `type` (lower case
 * "type/subtype"): the type and subtype compared without regard to case, optional spaces or tabs
 * around it, and nothing after it but well-formed parameters (";" name "=" token or quoted
 * string), which are ignored. "image/pngX", "image/png x" or "image/png," are not image/png.
 * NULL header: false.
 */
bool sk_media_type_is(const char *header, const char *type);

/*
 * The name an upload declares in its X-Filename header: percent-decoded into out (at most
 * cap - 1 bytes, then NUL-terminated; cap >= 1), its decoded length in *len (a decoded %00 is
 * kept as a byte, so the length, not strlen, says where it ends). Returns the offset in out of
 * the base name, what follows the last '/' or '\\'; not yet cleaned (see sk_text_clean, which
 * refuses the NUL).
 */
size_t sk_filename_base(const char *header, char *out, size_t cap, size_t *len);

#endif
