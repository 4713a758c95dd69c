/*
 * The notification sender (issue 13): a thread of `sangkien serve` that delivers the outbox
 * (notification_deliveries) by the channels this installation has configured: SMS and Zalo
 * through HTTP gateways, email over SMTP (libcurl). Exactly one process of an installation sends
 * at a time: the one holding a PostgreSQL session advisory lock on a connection of its own; the
 * others check once a second and take over when the holder's connection goes.
 *
 * Delivery is at least once, and once in practice: a row is claimed (claimed_at, attempts + 1)
 * in its own committed statement before it is sent and its attempt recorded after, so a crash
 * between the send and the record sends that row again, once, after a restart or takeover, with
 * the same idempotency key (the gateways' Idempotency-Key header, the email's Message-ID), by
 * which the receiver can drop the repeat.
 */
#ifndef SK_NOTIFY_SENDER_H
#define SK_NOTIFY_SENDER_H

#include "config.h"

struct sk_sender;

/*
 * Starts the sender for cfg (kept by reference: it must outlive the sender), or returns NULL and
 * sets *err (static text) when a secret or password file cannot be read or the thread cannot
 * start. With no channel configured it starts nothing, returns NULL and leaves *err NULL.
 */
struct sk_sender *sk_sender_start(const struct sk_config *cfg, const char **err);

/*
 * Stops the thread after the message in hand (at most --notify-timeout seconds): its outcome is
 * recorded, and the rest of its batch is unclaimed unsent, for the next sender. Frees s. NULL:
 * nothing.
 */
void sk_sender_stop(struct sk_sender *s);

#endif
