#include "db/leader_lock.h"

#include "db/db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds between two looks at the lock: how soon a process takes over from a holder that went away. */
#define SK_SINGLETON_RECHECK 1.0

/* The advisory lock's first key: the same for every sangkien singleton ("sk"). */
#define SK_LOCK_CLASS "29547"

struct sk_singleton {
	char *url;
	char name[64];
	struct sk_dbconn *conn; /* NULL until connected, and after a lost connection */
	bool held;
	bool warned;
	double checked; /* CLOCK_MONOTONIC seconds of the last look; 0: never */
};

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sk_singleton *sk_singleton_new(const char *url, const char *name)
{
	struct sk_singleton *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->url = strdup(url);
	snprintf(s->name, sizeof s->name, "%s", name);
	if (s->url == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

bool sk_singleton_acquire(struct sk_singleton *s)
{
	double now = monotonic_s();
	if (s->checked > 0 && now - s->checked < SK_SINGLETON_RECHECK)
		return s->held;
	s->checked = now;
	if (s->conn == NULL) {
		char err[512];
		s->conn = sk_dbconn_open(s->url, err, sizeof err);
		if (s->conn == NULL) {
			if (!s->warned)
				sk_warn("singleton %s: cannot connect: %s", s->name, err);
			s->warned = true;
			if (s->held)
				sk_warn("singleton %s: no longer held by this process", s->name);
			s->held = false;
			return false;
		}
		s->warned = false;
	}
	/* Held already (a session lock survives until the connection ends), else try once. */
	const char *p[] = { s->name };
	PGresult *r = NULL;
	enum sk_db_status st = sk_db_exec(
		s->conn, "singleton_acquire",
		"SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
		" AND granted AND classid = " SK_LOCK_CLASS " AND objid::int4 = hashtext($1) AND objsubid = 2)"
		" THEN true ELSE pg_try_advisory_lock(" SK_LOCK_CLASS ", hashtext($1)) END AS held",
		1, p, &r);
	bool held = st == SK_DB_OK && sk_db_bool(r, 0, "held");
	PQclear(r);
	if (st != SK_DB_OK) {
		sk_dbconn_close(s->conn); /* the lock, if any, ends with the session */
		s->conn = NULL;
	}
	if (held != s->held)
		sk_info("singleton %s: %s", s->name, held ? "this process is now the one holder" : "held elsewhere");
	s->held = held;
	return held;
}

void sk_singleton_free(struct sk_singleton *s)
{
	if (s == NULL)
		return;
	sk_dbconn_close(s->conn);
	free(s->url);
	free(s);
}
