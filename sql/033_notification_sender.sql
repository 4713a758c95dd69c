-- Issue 13 part 2: the sender of notification_deliveries (src/notify/sender.c). One process at a
-- time sends (a session advisory lock); it claims due rows, sends them and records each attempt.

ALTER TABLE notification_deliveries ADD COLUMN claimed_at timestamptz;
COMMENT ON COLUMN notification_deliveries.claimed_at IS 'Set while the sender has claimed the row and is sending it (in flight); cleared when the attempt is recorded. A row still claimed when a sender takes over was in flight when the last sender died: it is sent again, once, with the same idempotency_key, so a gateway that deduplicates drops the repeat.';

-- The per-person daily cap counts what went to one address on one channel since local midnight.
CREATE INDEX notification_deliveries_sent_to ON notification_deliveries (channel, address, sent_at) WHERE state = 'sent';

COMMENT ON COLUMN notification_deliveries.attempts IS 'Attempts started: counted when the sender claims the row (so an attempt cut short by a crash counts), not counted for a postponement (quiet hours, daily cap).';
COMMENT ON COLUMN notification_attempts.outcome IS 'sent (2xx, or SMTP 250), retry (5xx, 429, timeout, closed connection, SMTP 4xx: next_attempt_at set by backoff), rejected (4xx other than 429, SMTP 5xx: given up at once), failed (a retry would fall after give_up_at), postponed (quiet hours or the daily cap: not an attempt; detail says until when).';
