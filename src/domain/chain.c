#include "domain/chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void sk_chain_hash(const char *prev, const char *content, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)prev, strlen(prev));
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)content, strlen(content));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, sizeof h);
}

void sk_chain_verify(const struct sk_chain_event *events, size_t n, struct sk_chain_report *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->head, sizeof out->head, "%s", SK_CHAIN_GENESIS);
	out->ok = true;
	for (size_t i = 0; i < n; i++) {
		const struct sk_chain_event *e = &events[i];
		const char *why = NULL;
		char expect[65];
		if (e->seq != (int64_t)i + 1)
			why = "sequence gap";
		else if (e->content == NULL)
			why = "the sealed event is missing from the record";
		else if (strcmp(e->prev_hash, out->head) != 0)
			why = "prev_hash does not match the previous event";
		else {
			sk_chain_hash(e->prev_hash, e->content, expect);
			if (strcmp(expect, e->hash) != 0)
				why = "hash does not match the content";
		}
		if (why) {
			out->ok = false;
			out->broken_id = e->id;
			out->broken_seq = e->seq;
			out->why = why;
			return;
		}
		snprintf(out->head, sizeof out->head, "%s", e->hash);
		out->length = i + 1;
	}
}
