/*
 * The two things src/http/json_in.c asks of the server, without a server, for fuzz_json.c:
 * sk_reply_error records the reply in the request (and refuses a second one), sk_req_own keeps
 * the pointer in the request for the target to free. If json_in.c ever calls something else
 * from src/http, add it here.
 */
#include "fuzz.h"
#include "http/reply.h"

#include <stdarg.h>
#include <string.h>

char fuzz_reply_code[64];
char *fuzz_reply_field; /* malloc'd, replaced by each reply */

void sk_reply_error(struct sk_request *req, unsigned status, const char *code, const char *field, const char *fmt, ...)
{
	FUZZ_CHECK(!req->replied, "replied twice (%u then %u %s)", req->status, status, code);
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	FUZZ_CHECK(n > 0, "empty error message for %s", code);
	req->replied = true;
	req->status = status;
	snprintf(fuzz_reply_code, sizeof fuzz_reply_code, "%s", code);
	free(fuzz_reply_field);
	fuzz_reply_field = strdup(field ? field : "");
	FUZZ_CHECK(fuzz_reply_field != NULL, "out of memory");
}

void *sk_req_own(struct sk_request *req, void *ptr)
{
	FUZZ_CHECK(req->nowned < SK_MAX_OWNED, "the request owns too many buffers");
	req->owned[req->nowned++] = ptr;
	return ptr;
}
