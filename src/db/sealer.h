/*
 * The score record's sealer: a background thread that chains the review events written since its
 * last run (score_seal() in sql/012, one call at a time), so that review writes never wait for the
 * chain's lock.
 * It works through its own database connection (outside the request pool). Every server process
 * starts one, but only the holder of the "score-sealer" singleton (db/leader_lock.h) seals; the
 * others take over within one interval when it stops. On-demand seals (score_seal() called by a
 * request) still run anywhere: the database serialises them on each campaign's chain row.
 */
#ifndef SK_DB_SEALER_H
#define SK_DB_SEALER_H

struct sk_sealer;

/*
 * Starts the sealer on database url as role (SET ROLE, when not NULL or empty), running every
 * interval_ms milliseconds. NULL when the thread cannot start. Stop it with sk_sealer_stop.
 */
struct sk_sealer *sk_sealer_start(const char *url, const char *role, int interval_ms);

/* Stops the thread after one last run (so that writes acknowledged before the stop are sealed) and frees it. */
void sk_sealer_stop(struct sk_sealer *s);

#endif
