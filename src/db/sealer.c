#include "db/sealer.h"

#include "db/db.h"
#include "db/leader_lock.h"
#include "db/panel.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct sk_sealer {
	struct sk_db *db; /* a pool of one connection, the sealer's own */
	struct sk_singleton *leader; /* only the holder of "score-sealer" seals */
	int interval_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	pthread_t thread;
};

/*
 * One run: seals what is pending, each call in its own statement (its own transaction), so that a
 * call whose chain another transaction holds (a panel being locked, a psql session) or whose seal
 * fails delays neither the others nor the on-demand seals of the others. A lock held longer than
 * the lock timeout is left for a later run. Returns false when the run failed, and logs a failure
 * once and the recovery once.
 */
static bool seal_once(struct sk_sealer *s, bool *failing)
{
	if (!sk_singleton_acquire(s->leader))
		return true; /* another process seals (or the database is away: the holder's check logs it) */
	struct sk_dbconn *c = sk_db_acquire(s->db, 1000);
	PGresult *r = NULL;
	enum sk_db_status st = SK_DB_UNAVAILABLE;
	if (c != NULL)
		st = sk_db_exec(c, "score_pending_campaigns",
				"SELECT DISTINCT campaign_id FROM score_pending ORDER BY 1", 0, NULL, &r);
	if (st == SK_DB_NOROWS)
		st = SK_DB_OK;
	int64_t failed_campaign = 0;
	char why[256] = "";
	if (st == SK_DB_OK && r != NULL && PQntuples(r) > 0) {
		st = sk_db_exec(c, "sealer_lock_timeout", "SET lock_timeout = '2s'", 0, NULL, NULL);
		for (int i = 0; st == SK_DB_OK && i < PQntuples(r); i++) {
			int64_t cid = sk_db_i64(r, i, "campaign_id");
			if (sk_db_score_seal(c, cid) != SK_DB_OK && failed_campaign == 0) {
				failed_campaign = cid; /* the others are still sealed */
				snprintf(why, sizeof why, "%s", sk_db_last_error(c));
			}
		}
	}
	PQclear(r);
	bool ok = st == SK_DB_OK && failed_campaign == 0;
	if (!ok && !*failing) {
		if (failed_campaign)
			sk_warn("sealer: cannot seal the score record of campaign %lld (will retry): %s",
				(long long)failed_campaign, why);
		else
			sk_warn("sealer: cannot seal the score record (will retry): %s",
				c ? sk_db_last_error(c) : "no database connection");
	} else if (ok && *failing) {
		sk_info("sealer: sealing the score record again");
	}
	*failing = !ok;
	sk_db_release(s->db, c);
	return ok;
}

/* Runs every interval_ms; after failures it waits longer, doubling up to a second, so that an
 * unreachable database is not asked for a connection 40 times a second. */
static void *sealer_main(void *arg)
{
	struct sk_sealer *s = arg;
	bool failing = false;
	long wait_ms = s->interval_ms;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += wait_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->lock);
		if (seal_once(s, &failing))
			wait_ms = s->interval_ms;
		else if (wait_ms < 1000)
			wait_ms = wait_ms * 2 > 1000 ? 1000 : wait_ms * 2;
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct sk_sealer *sk_sealer_start(const char *url, const char *role, int interval_ms)
{
	struct sk_sealer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->db = sk_db_new(url, 1, role);
	s->leader = sk_singleton_new(url, "score-sealer");
	s->interval_ms = interval_ms;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (s->db == NULL || s->leader == NULL || pthread_create(&s->thread, NULL, sealer_main, s) != 0) {
		sk_db_free(s->db);
		sk_singleton_free(s->leader);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		free(s);
		return NULL;
	}
	return s;
}

void sk_sealer_stop(struct sk_sealer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL); /* its last run seals what the stopped server wrote */
	sk_db_free(s->db);
	sk_singleton_free(s->leader); /* another process takes over at its next run */
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
