/*
 * One holder at a time across every server process of an installation: a session-level
 * PostgreSQL advisory lock held on a connection of its own (on the primary). A background task
 * that must run exactly once (the score record's sealer, the notification sender) asks before
 * each run; when the holder dies or loses its connection, PostgreSQL frees the lock and the next
 * process that asks takes over.
 */
#ifndef SK_DB_LEADER_LOCK_H
#define SK_DB_LEADER_LOCK_H

#include <stdbool.h>

struct sk_singleton;

/* A handle for the lock called name on database url (nothing is connected yet); NULL when out of memory. */
struct sk_singleton *sk_singleton_new(const char *url, const char *name);

/*
 * Whether this process holds the lock now: at most once a second, checks that the lock's
 * connection still holds it and, if not, (re)connects and tries to take it without waiting (in
 * between, the last answer). Logs when this process becomes or
 * stops being the holder. One thread at a time per handle.
 */
bool sk_singleton_acquire(struct sk_singleton *s);

/* Releases the lock (closing its connection) and frees s. NULL: nothing. */
void sk_singleton_free(struct sk_singleton *s);

#endif
