/*
 * The replica heartbeat: a thread that, while this process holds the "replica-heartbeat"
 * singleton (db/leader_lock.h), stamps replica_heartbeat.at on the primary every second, so that a
 * standby can tell how old its data is even when nothing else is written (sk_db_read_lag).
 * Started only by processes that serve public reads from a read database.
 */
#ifndef SK_DB_HEARTBEAT_H
#define SK_DB_HEARTBEAT_H

struct sk_heartbeat;

/* Starts the thread on database url as role (SET ROLE, when not NULL or empty); NULL when it cannot start. */
struct sk_heartbeat *sk_heartbeat_start(const char *url, const char *role);

/* Stops the thread and frees hb (NULL: nothing). */
void sk_heartbeat_stop(struct sk_heartbeat *hb);

#endif
