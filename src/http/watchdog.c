#include "http/watchdog.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum phase { PHASE_FREE = 0, PHASE_HEADERS, PHASE_REQUEST };

/* Under pressure: a connection still sending headers after this long is ended. */
#define PRESSURE_HEADER_GRACE 1.0
/* Under pressure: an upload this old that averaged less than PRESSURE_MIN_RATE is ended. */
#define PRESSURE_BODY_GRACE 2.0
#define PRESSURE_MIN_RATE 4096.0 /* bytes per second */
/* Under pressure: a request whose body is in but whose reply is still going out after this long
 * (a client that reads its reply slowly, or not at all) is ended. */
#define PRESSURE_REPLY_GRACE 10.0
#define TICK_MS 100
#define REPORT_EVERY 10.0 /* seconds between two log lines about ended connections */

/* One open connection, at the index of its socket. */
struct watch {
	struct MHD_Connection *conn; /* NULL when the slot is free */
	double phase_start;
	size_t body_bytes;
	unsigned char phase;
	bool receiving; /* the body is still arriving */
	bool shut;      /* shutdown(2) done: the daemon closes it soon */
};

/* A connection that may be ended to keep slots free, and since when it has been slow. */
struct candidate {
	double since;
	int fd;
};

struct sk_watchdog {
	struct sk_watchdog_limits limits;
	pthread_mutex_t lock; /* guards everything below; the CLOSED notification takes it too,
			       * so a socket is never shut down after the daemon closed it */
	pthread_cond_t wake;
	pthread_t thread;
	bool stopping;
	struct watch *watches; /* limits.max_fd slots */
	struct candidate *candidates; /* limits.max_fd, scratch for sweep_locked */
	size_t high;           /* no slot at or above this index is in use */
	long open;
	bool warned_fd;
	unsigned long ended_headers, ended_body, ended_pressure;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? (int)ci->connect_fd : -1;
}

/* The slot of conn, with the lock held; NULL when it is not watched. */
static struct watch *slot_locked(struct sk_watchdog *w, struct MHD_Connection *conn, int fd)
{
	if (fd < 0 || (size_t)fd >= w->limits.max_fd || w->watches[fd].conn != conn)
		return NULL;
	return &w->watches[fd];
}

void sk_watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	(void)socket_context;
	struct sk_watchdog *w = cls;
	int fd = conn_fd(conn);
	bool warn = false;
	pthread_mutex_lock(&w->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if (fd >= 0 && (size_t)fd < w->limits.max_fd) {
			struct watch *s = &w->watches[fd];
			if (s->conn == NULL)
				w->open++;
			*s = (struct watch){ .conn = conn, .phase_start = now_s(), .phase = PHASE_HEADERS };
			if ((size_t)fd >= w->high)
				w->high = (size_t)fd + 1;
		} else if (!w->warned_fd) {
			w->warned_fd = warn = true;
		}
	} else {
		struct watch *s = slot_locked(w, conn, fd);
		if (s != NULL) {
			memset(s, 0, sizeof *s);
			w->open--;
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (warn)
		sk_warn("watchdog: socket %d is beyond the watched range (%zu): its deadlines are not enforced", fd,
			w->limits.max_fd);
}

void sk_watchdog_headers_done(struct sk_watchdog *w, struct MHD_Connection *conn)
{
	int fd = conn_fd(conn);
	pthread_mutex_lock(&w->lock);
	struct watch *s = slot_locked(w, conn, fd);
	if (s != NULL) {
		s->phase = PHASE_REQUEST;
		s->phase_start = now_s();
		s->body_bytes = 0;
		s->receiving = true;
	}
	pthread_mutex_unlock(&w->lock);
}

void sk_watchdog_body_progress(struct sk_watchdog *w, struct MHD_Connection *conn, size_t n)
{
	int fd = conn_fd(conn);
	pthread_mutex_lock(&w->lock);
	struct watch *s = slot_locked(w, conn, fd);
	if (s != NULL)
		s->body_bytes += n;
	pthread_mutex_unlock(&w->lock);
}

void sk_watchdog_body_done(struct sk_watchdog *w, struct MHD_Connection *conn)
{
	int fd = conn_fd(conn);
	pthread_mutex_lock(&w->lock);
	struct watch *s = slot_locked(w, conn, fd);
	if (s != NULL)
		s->receiving = false;
	pthread_mutex_unlock(&w->lock);
}

void sk_watchdog_request_done(struct sk_watchdog *w, struct MHD_Connection *conn)
{
	int fd = conn_fd(conn);
	pthread_mutex_lock(&w->lock);
	struct watch *s = slot_locked(w, conn, fd);
	if (s != NULL) {
		s->phase = PHASE_HEADERS;
		s->phase_start = now_s();
		s->receiving = false;
	}
	pthread_mutex_unlock(&w->lock);
}

/* Ends the connection on socket fd (the daemon sees the end and closes it), with the lock held. */
static void end_locked(struct watch *s, int fd, unsigned long *counter)
{
	if (shutdown(fd, SHUT_RDWR) == 0 || errno == ENOTCONN)
		(*counter)++;
	s->shut = true;
}

static int by_since(const void *a, const void *b)
{
	double x = ((const struct candidate *)a)->since, y = ((const struct candidate *)b)->since;
	return x < y ? -1 : x > y;
}

/*
 * One pass over the open connections, with the lock held. Near the limit, after the rules by age,
 * it also ends the oldest slow connections (still sending headers, or uploading below the floor
 * rate) until a reserve of slots is free again: attackers that reconnect at once would otherwise
 * fill every slot between two sweeps, all of them too young for the rules by age.
 */
static void sweep_locked(struct sk_watchdog *w, double now)
{
	long limit = w->limits.max_connections;
	long reserve = limit / 8 > 0 ? limit / 8 : 1;
	bool pressure = w->open >= limit - reserve;
	long live = 0;
	size_t ncandidates = 0;
	for (size_t fd = 0; fd < w->high; fd++) {
		struct watch *s = &w->watches[fd];
		if (s->conn == NULL || s->shut)
			continue;
		live++;
		double age = now - s->phase_start;
		if (pressure && (s->phase == PHASE_HEADERS ||
				 (s->receiving && (double)s->body_bytes < age * PRESSURE_MIN_RATE)))
			w->candidates[ncandidates++] = (struct candidate){ .since = s->phase_start, .fd = (int)fd };
		if (s->phase == PHASE_HEADERS) {
			if (age > w->limits.header_timeout)
				end_locked(s, (int)fd, &w->ended_headers);
			else if (pressure && age > PRESSURE_HEADER_GRACE)
				end_locked(s, (int)fd, &w->ended_pressure);
		} else if (s->phase == PHASE_REQUEST) {
			if (age > w->limits.body_timeout)
				end_locked(s, (int)fd, &w->ended_body);
			else if (pressure && s->receiving && age > PRESSURE_BODY_GRACE &&
				 (double)s->body_bytes < age * PRESSURE_MIN_RATE)
				end_locked(s, (int)fd, &w->ended_pressure);
			else if (pressure && !s->receiving && age > PRESSURE_REPLY_GRACE)
				end_locked(s, (int)fd, &w->ended_pressure);
		}
		if (s->shut)
			live--;
	}
	long excess = live - (limit - reserve);
	if (pressure && excess > 0) {
		qsort(w->candidates, ncandidates, sizeof w->candidates[0], by_since);
		for (size_t i = 0; i < ncandidates && excess > 0; i++) {
			struct watch *s = &w->watches[w->candidates[i].fd];
			if (s->shut)
				continue;
			end_locked(s, w->candidates[i].fd, &w->ended_pressure);
			excess--;
		}
	}
	while (w->high > 0 && w->watches[w->high - 1].conn == NULL)
		w->high--;
}

static void *watchdog_main(void *arg)
{
	struct sk_watchdog *w = arg;
	double last_report = now_s();
	unsigned long reported[3] = { 0, 0, 0 };
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		if (w->stopping)
			break;
		double now = now_s();
		sweep_locked(w, now);
		if (now - last_report < REPORT_EVERY)
			continue;
		unsigned long h = w->ended_headers - reported[0], b = w->ended_body - reported[1],
			      p = w->ended_pressure - reported[2];
		long open = w->open;
		reported[0] = w->ended_headers;
		reported[1] = w->ended_body;
		reported[2] = w->ended_pressure;
		last_report = now;
		if (h + b + p == 0)
			continue;
		pthread_mutex_unlock(&w->lock);
		sk_warn("watchdog: ended %lu connections past the header deadline, %lu past the request deadline, "
			"%lu slow ones near the connection limit (%ld open of %ld)",
			h, b, p, open, w->limits.max_connections);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct sk_watchdog *sk_watchdog_start(const struct sk_watchdog_limits *limits)
{
	struct sk_watchdog *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->limits = *limits;
	w->watches = calloc(limits->max_fd, sizeof *w->watches);
	w->candidates = calloc(limits->max_fd, sizeof *w->candidates);
	if (w->watches == NULL || w->candidates == NULL) {
		sk_error("watchdog: no memory for %zu connection slots", limits->max_fd);
		free(w->watches);
		free(w->candidates);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
		sk_error("watchdog: cannot start its thread");
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w->watches);
		free(w->candidates);
		free(w);
		return NULL;
	}
	return w;
}

void sk_watchdog_stop(struct sk_watchdog *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->watches);
	free(w->candidates);
	free(w);
}
