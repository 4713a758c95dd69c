/* Blanking the document metadata of an uploaded PDF (issue 11): a minimal, length-keeping rewrite. */
#ifndef SK_DOMAIN_PDF_META_H
#define SK_DOMAIN_PDF_META_H

#include <stddef.h>

/*
 * Overwrites, in place, the values of /Author, /Creator, /Title, /Subject, /Keywords and
 * /Producer wherever they appear as a literal string "(...)" (escapes and nested parentheses
 * followed) or a hex string "<...>": a literal's bytes become spaces, a hex string's digits
 * "20" pairs (spaces). Uncompressed XMP packets (from "<x:xmpmeta" to "</x:xmpmeta>") become
 * spaces. Nothing moves, so the cross-reference offsets stay right and the PDF stays valid.
 * Not covered (documented): metadata inside compressed object streams or compressed XMP
 * streams, and names written with #-escapes. Returns how many values were blanked.
 */
size_t sk_pdf_blank_metadata(unsigned char *pdf, size_t len);

#endif
