#include "domain/filetype.h"

#include <string.h>

const char *sk_filetype_sniff(const unsigned char *d, size_t len)
{
	if (len >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 5 && !memcmp(d, "%PDF-", 5))
		return "application/pdf";
	return NULL;
}
