#include "db/heartbeat.h"

#include "db/db.h"
#include "db/leader_lock.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct sk_heartbeat {
	struct sk_db *db; /* a pool of one connection */
	struct sk_singleton *leader;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool failing;
	pthread_t thread;
};

static void beat(struct sk_heartbeat *hb)
{
	if (!sk_singleton_acquire(hb->leader))
		return;
	struct sk_dbconn *c = sk_db_acquire(hb->db, 1000);
	enum sk_db_status st = c ? sk_db_exec(c, "replica_heartbeat_stamp",
					      "UPDATE replica_heartbeat SET at = now() WHERE id", 0, NULL, NULL)
				 : SK_DB_UNAVAILABLE;
	if (st != SK_DB_OK && !hb->failing)
		sk_warn("heartbeat: cannot stamp replica_heartbeat (will retry): %s",
			c ? sk_db_last_error(c) : "no database connection");
	else if (st == SK_DB_OK && hb->failing)
		sk_info("heartbeat: stamping replica_heartbeat again");
	hb->failing = st != SK_DB_OK;
	sk_db_release(hb->db, c);
}

static void *heartbeat_main(void *arg)
{
	struct sk_heartbeat *hb = arg;
	pthread_mutex_lock(&hb->lock);
	while (!hb->stopping) {
		pthread_mutex_unlock(&hb->lock);
		beat(hb);
		pthread_mutex_lock(&hb->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!hb->stopping && pthread_cond_timedwait(&hb->wake, &hb->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&hb->lock);
	return NULL;
}

struct sk_heartbeat *sk_heartbeat_start(const char *url, const char *role)
{
	struct sk_heartbeat *hb = calloc(1, sizeof *hb);
	if (hb == NULL)
		return NULL;
	hb->db = sk_db_new(url, 1, role);
	hb->leader = sk_singleton_new(url, "replica-heartbeat");
	pthread_mutex_init(&hb->lock, NULL);
	pthread_cond_init(&hb->wake, NULL);
	if (hb->db == NULL || hb->leader == NULL || pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
		sk_db_free(hb->db);
		sk_singleton_free(hb->leader);
		pthread_mutex_destroy(&hb->lock);
		pthread_cond_destroy(&hb->wake);
		free(hb);
		return NULL;
	}
	return hb;
}

void sk_heartbeat_stop(struct sk_heartbeat *hb)
{
	if (hb == NULL)
		return;
	pthread_mutex_lock(&hb->lock);
	hb->stopping = true;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->lock);
	pthread_join(hb->thread, NULL);
	sk_db_free(hb->db);
	sk_singleton_free(hb->leader);
	pthread_mutex_destroy(&hb->lock);
	pthread_cond_destroy(&hb->wake);
	free(hb);
}
