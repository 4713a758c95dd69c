#include "db/sealer.h"

#include "db/db.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct sk_sealer {
	struct sk_db *db; /* a pool of one connection, the sealer's own */
	int interval_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	pthread_t thread;
};

/* One run: seals what is pending. Logs a failure once, and the recovery once. */
static void seal_once(struct sk_sealer *s, bool *failing)
{
	struct sk_dbconn *c = sk_db_acquire(s->db, 1000);
	enum sk_db_status st = SK_DB_UNAVAILABLE;
	if (c != NULL)
		st = sk_db_exec(c, "score_seal_all", "SELECT score_seal_all() AS sealed", 0, NULL, NULL);
	if (st != SK_DB_OK && !*failing)
		sk_warn("sealer: cannot seal the score record (will retry): %s",
			c ? sk_db_last_error(c) : "no database connection");
	else if (st == SK_DB_OK && *failing)
		sk_info("sealer: sealing the score record again");
	*failing = st != SK_DB_OK;
	sk_db_release(s->db, c);
}

static void *sealer_main(void *arg)
{
	struct sk_sealer *s = arg;
	bool failing = false;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)s->interval_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->lock);
		seal_once(s, &failing);
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
	s->interval_ms = interval_ms;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (s->db == NULL || pthread_create(&s->thread, NULL, sealer_main, s) != 0) {
		sk_db_free(s->db);
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
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
