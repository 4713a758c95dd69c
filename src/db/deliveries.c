#include "db/deliveries.h"

#include <stdio.h>
#include <string.h>

static enum sk_db_status count_of(struct sk_dbconn *c, const char *name, const char *sql, int n,
				  const char *const *p, int64_t *out)
{
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, name, sql, n, p, &r);
	if (st == SK_DB_OK)
		*out = sk_db_i64(r, 0, "n");
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_deliveries_release_claims(struct sk_dbconn *c, int64_t now, bool unsent, int64_t *n)
{
	char t[24];
	const char *p[] = { sk_db_i64str(t, now), unsent ? "t" : "f" };
	return count_of(c, "deliveries_release_claims",
			"WITH u AS (UPDATE notification_deliveries SET claimed_at = NULL,"
			" next_attempt_at = least(next_attempt_at, to_timestamp($1)),"
			" attempts = attempts - CASE WHEN $2::boolean THEN 1 ELSE 0 END"
			" WHERE claimed_at IS NOT NULL AND state = 'pending' RETURNING 1) SELECT count(*) AS n FROM u",
			2, p, n);
}

enum sk_db_status sk_db_deliveries_expire(struct sk_dbconn *c, int64_t now, int64_t *n)
{
	char t[24];
	const char *p[] = { sk_db_i64str(t, now) };
	return count_of(c, "deliveries_expire",
			"WITH u AS (UPDATE notification_deliveries SET state = 'failed',"
			" last_error = coalesce(last_error || '; ', '') || 'not delivered before give_up_at'"
			" WHERE state = 'pending' AND claimed_at IS NULL AND give_up_at <= to_timestamp($1) RETURNING id),"
			" a AS (INSERT INTO notification_attempts (delivery_id, at, outcome, detail)"
			"  SELECT id, to_timestamp($1), 'failed', 'not delivered before give_up_at' FROM u)"
			" SELECT count(*) AS n FROM u",
			1, p, n);
}

enum sk_db_status sk_db_deliveries_postpone_due(struct sk_dbconn *c, const char *channels, int64_t now,
						int64_t until, int64_t *n)
{
	char t[24], u[24];
	const char *p[] = { channels, sk_db_i64str(t, now), sk_db_i64str(u, until) };
	return count_of(c, "deliveries_postpone_due",
			"WITH u AS (UPDATE notification_deliveries SET next_attempt_at = to_timestamp($3),"
			" give_up_at = greatest(give_up_at, to_timestamp($3) + interval '6 hours')"
			" WHERE state = 'pending' AND claimed_at IS NULL AND channel = ANY ($1::text[])"
			" AND next_attempt_at <= to_timestamp($2) RETURNING id),"
			" a AS (INSERT INTO notification_attempts (delivery_id, at, outcome, detail)"
			"  SELECT id, to_timestamp($2), 'postponed', 'quiet hours until ' || to_timestamp($3) FROM u)"
			" SELECT count(*) AS n FROM u",
			3, p, n);
}

enum sk_db_status sk_db_deliveries_claim(struct sk_dbconn *c, const char *channels, int64_t now, int limit,
					 PGresult **res)
{
	char t[24], l[24];
	const char *p[] = { channels, sk_db_i64str(t, now), sk_db_i64str(l, limit) };
	return sk_db_exec(
		c, "deliveries_claim",
		"WITH due AS (SELECT id FROM notification_deliveries WHERE state = 'pending' AND claimed_at IS NULL"
		"  AND channel = ANY ($1::text[]) AND next_attempt_at <= to_timestamp($2)"
		"  AND give_up_at > to_timestamp($2) ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),"
		" c AS (UPDATE notification_deliveries d SET attempts = d.attempts + 1, claimed_at = to_timestamp($2)"
		"  FROM due WHERE d.id = due.id RETURNING d.*)"
		" SELECT c.id, c.channel, c.address, c.idempotency_key, c.attempts,"
		"  extract(epoch FROM c.give_up_at)::bigint AS give_up_at, n.account_id, n.event, n.lang,"
		"  n.facts::text AS facts, extract(epoch FROM n.created_at)::bigint AS created_at"
		" FROM c JOIN notifications n ON n.id = c.notification_id ORDER BY c.next_attempt_at, c.id",
		3, p, res);
}

enum sk_db_status sk_db_deliveries_sent_since(struct sk_dbconn *c, const char *channel, const char *address,
					      int64_t since, int64_t *n)
{
	char s[24];
	const char *p[] = { channel, address, sk_db_i64str(s, since) };
	return count_of(c, "deliveries_sent_since",
			"SELECT count(*) AS n FROM notification_deliveries WHERE state = 'sent' AND channel = $1"
			" AND address = $2 AND sent_at >= to_timestamp($3)",
			3, p, n);
}

enum sk_db_status sk_db_delivery_record(struct sk_dbconn *c, int64_t id, const char *state, const char *outcome,
					int http_status, const char *detail, int64_t now, int64_t next)
{
	char i[24], t[24], x[24], h[24];
	const char *p[] = { sk_db_i64str(i, id), state, outcome, http_status ? sk_db_i64str(h, http_status) : NULL,
			    detail, sk_db_i64str(t, now), sk_db_i64str(x, next) };
	return sk_db_exec(
		c, "delivery_record",
		"WITH d AS (UPDATE notification_deliveries SET state = $2, claimed_at = NULL,"
		"  attempts = attempts - CASE WHEN $3 = 'postponed' THEN 1 ELSE 0 END,"
		"  next_attempt_at = CASE WHEN $2 = 'pending' THEN to_timestamp($7) ELSE next_attempt_at END,"
		"  give_up_at = CASE WHEN $3 = 'postponed' THEN greatest(give_up_at, to_timestamp($7) + interval '6 hours')"
		"   ELSE give_up_at END,"
		"  sent_at = CASE WHEN $2 = 'sent' THEN to_timestamp($6) END,"
		"  last_error = CASE WHEN $3 IN ('sent', 'postponed') THEN last_error ELSE $5 END"
		"  WHERE id = $1 RETURNING id)"
		" INSERT INTO notification_attempts (delivery_id, at, outcome, http_status, detail)"
		" SELECT id, to_timestamp($6), $3, $4::int, $5 FROM d",
		7, p, NULL);
}
