/* Removing identifying metadata (EXIF, XMP, IPTC, comments, text chunks) from uploaded photos. */
#ifndef SK_DOMAIN_IMAGE_META_H
#define SK_DOMAIN_IMAGE_META_H

#include <stddef.h>

enum sk_image_status {
	SK_IMAGE_OK,        /* *out holds the cleaned file (malloc'd, the caller frees it) */
	SK_IMAGE_MALFORMED, /* the structure is broken (truncated, bad length, missing end): refuse it */
	SK_IMAGE_NOMEM,
};

/*
 * A copy of the file without metadata, for a type from sk_filetype_sniff:
 *  - image/jpeg: every APPn segment is dropped except APP0 (JFIF), APP14 "Adobe" and APP2
 *    "ICC_PROFILE"; COM segments too, and anything after EOI. When the EXIF held a valid
 *    Orientation (1..8) a new minimal EXIF APP1 carrying only that tag is written right after SOI
 *    (after APP0 when APP0 comes first). All other segments and the entropy-coded data are copied
 *    byte for byte.
 *  - image/png: tEXt, zTXt, iTXt, eXIf and tIME chunks are dropped, and anything after IEND;
 *    other chunks are copied whole (CRC included, not checked).
 *  - image/webp: EXIF and "XMP " chunks are dropped, the VP8X EXIF/XMP flags cleared, the RIFF
 *    size fixed, anything after the RIFF container dropped. A WebP holding nothing but EXIF and
 *    XMP chunks is malformed.
 *  - anything else (application/pdf): copied unchanged.
 * Cleaning a cleaned file changes nothing. Work is linear in len; nothing past in[len-1] is read.
 */
enum sk_image_status sk_image_strip(const char *mime, const unsigned char *in, size_t len, unsigned char **out,
				    size_t *out_len);

#endif
