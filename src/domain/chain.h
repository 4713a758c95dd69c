/* The hash-chained score record: each event's hash = SHA-256(prev_hash || "\n" || content), hex. */
#ifndef SK_DOMAIN_CHAIN_H
#define SK_DOMAIN_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SK_CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* One sealed event: its seal (seq, prev_hash, hash) and the event's content (NULL: the event is gone). */
struct sk_chain_event {
	int64_t id, seq;
	const char *content, *prev_hash, *hash;
};

struct sk_chain_report {
	bool ok;
	size_t length;
	char head[65];         /* hash of the last good event (genesis when none) */
	int64_t broken_id;     /* the first event that does not verify, when !ok */
	int64_t broken_seq;
	int64_t broken_review; /* a review whose stored scores differ from the record (0: none) */
	size_t unsealed;       /* events written but not yet sealed (committed after the last seal) */
	const char *why;       /* "hash does not match content", "prev_hash does not match", "sequence gap", ... */
};

/* The hex SHA-256 of prev || "\n" || content into out (65 bytes). */
void sk_chain_hash(const char *prev, const char *content, char out[65]);

/* Recomputes a campaign's chain (events in seq order) and names the first broken event. */
void sk_chain_verify(const struct sk_chain_event *events, size_t n, struct sk_chain_report *out);

#endif
