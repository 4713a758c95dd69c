/*
 * The outbox as the sender sees it (sql/028, sql/033): claiming due deliveries, recording each
 * attempt, postponing and giving up (one process sends: src/db/leader_lock.c).
 * Times are Unix seconds at the sender's clock.
 */
#ifndef SK_DB_DELIVERIES_H
#define SK_DB_DELIVERIES_H

#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Run once by a process that has just become the sender: rows a dead sender left claimed (in
 * flight) become due at now, to be sent again with their idempotency key. With unsent (a sender
 * stopping, that knows it did not send them), their attempt is given back too. Their count into *n.
 */
enum sk_db_status sk_db_deliveries_release_claims(struct sk_dbconn *c, int64_t now, bool unsent, int64_t *n);

/* Pending, unclaimed rows whose give_up_at has passed become failed ("not delivered in time"). */
enum sk_db_status sk_db_deliveries_expire(struct sk_dbconn *c, int64_t now, int64_t *n);

/*
 * Postpones the due, unclaimed pending rows of the channels in channels (a PostgreSQL text array
 * literal, e.g. "{sms,zalo}") to until (quiet hours), extending give_up_at to at least until +
 * 6 h, with a "postponed" attempt each. Their count into *n.
 */
enum sk_db_status sk_db_deliveries_postpone_due(struct sk_dbconn *c, const char *channels, int64_t now,
						int64_t until, int64_t *n);

/*
 * Claims at most limit due rows (pending, unclaimed, next_attempt_at <= now < give_up_at) of the
 * channels in channels, oldest first, skipping rows another transaction holds: attempts + 1,
 * claimed_at = now. Columns: id, channel, address, idempotency_key, attempts, give_up_at (Unix),
 * account_id, event, lang, facts (JSON text), created_at (Unix). Caller clears *res.
 */
enum sk_db_status sk_db_deliveries_claim(struct sk_dbconn *c, const char *channels, int64_t now, int limit,
					 PGresult **res);

/* How many rows of channel went to address as sent since the Unix time since, into *n. */
enum sk_db_status sk_db_deliveries_sent_since(struct sk_dbconn *c, const char *channel, const char *address,
					      int64_t since, int64_t *n);

/*
 * Records the outcome of the claimed row id at now, unclaiming it, with an attempt row: state
 * "sent" (sent_at now), "pending" (next_attempt_at = next), or "failed". outcome: sent, retry,
 * rejected, failed or postponed (postponed gives the attempt back: attempts - 1, and extends
 * give_up_at to at least next + 6 h). http_status 0: none. detail may be NULL.
 */
enum sk_db_status sk_db_delivery_record(struct sk_dbconn *c, int64_t id, const char *state, const char *outcome,
					int http_status, const char *detail, int64_t now, int64_t next);

#endif
