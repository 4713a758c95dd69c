#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * Lines are written whole with one write(2) each, so that lines from several threads never
 * interleave. While the server runs (sk_log_start), lines are gathered in a buffer that a
 * logging thread writes out every 50 ms (or sooner when it fills, or at once for errors):
 * one system call per request was most of the cost of a request that needs no database.
 */

#define BUFFER_SIZE (256 * 1024)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	char data[BUFFER_SIZE];
	size_t len;
} async = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *flusher(void *arg)
{
	(void)arg;
	static char out[BUFFER_SIZE];
	pthread_mutex_lock(&async.lock);
	for (;;) {
		if (async.len == 0 && !async.stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 50 * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&async.wake, &async.lock, &until);
		}
		size_t n = async.len;
		memcpy(out, async.data, n);
		async.len = 0;
		bool stop = async.stopping;
		pthread_mutex_unlock(&async.lock);
		write_all(out, n);
		if (stop)
			return NULL;
		usleep(50 * 1000); /* gather the next 50 ms */
		pthread_mutex_lock(&async.lock);
	}
}

void sk_log_start(void)
{
	pthread_mutex_lock(&async.lock);
	if (!async.running && pthread_create(&async.thread, NULL, flusher, NULL) == 0)
		async.running = true;
	pthread_mutex_unlock(&async.lock);
}

void sk_log_stop(void)
{
	pthread_mutex_lock(&async.lock);
	bool was = async.running;
	async.stopping = true;
	pthread_cond_signal(&async.wake);
	pthread_mutex_unlock(&async.lock);
	if (was)
		pthread_join(async.thread, NULL);
	pthread_mutex_lock(&async.lock);
	async.running = async.stopping = false;
	write_all(async.data, async.len);
	async.len = 0;
	pthread_mutex_unlock(&async.lock);
}

void sk_log(const char *level, const char *fmt, ...)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s ", (long)(tv.tv_usec / 1000), level);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof line - n - 1 ? (size_t)m : sizeof line - n - 2;
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	pthread_mutex_lock(&async.lock);
	if (!async.running || strcmp(level, "error") == 0 || async.len + n > BUFFER_SIZE) {
		/* Not buffering, an error (written at once), or a full buffer: write in order, now. */
		write_all(async.data, async.len);
		async.len = 0;
		write_all(line, n);
	} else {
		memcpy(async.data + async.len, line, n);
		async.len += n;
	}
	pthread_mutex_unlock(&async.lock);
}

static struct {
	pthread_mutex_t lock;
	atomic_long refused; /* requests refused with 503 since the outage started; 0: none under way */
	struct timespec started;
} outage = { .lock = PTHREAD_MUTEX_INITIALIZER };

void sk_log_db_refused(const char *request_id)
{
	pthread_mutex_lock(&outage.lock);
	if (atomic_fetch_add(&outage.refused, 1) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &outage.started);
		sk_error("database unavailable: refusing requests with 503 until it answers again (first: req=%s)",
			 request_id);
	}
	pthread_mutex_unlock(&outage.lock);
}

void sk_log_db_answered(void)
{
	if (atomic_load_explicit(&outage.refused, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&outage.lock);
	long refused = atomic_exchange(&outage.refused, 0);
	if (refused > 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double seconds = (double)(now.tv_sec - outage.started.tv_sec) +
				 (double)(now.tv_nsec - outage.started.tv_nsec) / 1e9;
		sk_log("info", "database available again after %.1f s: %ld request%s refused with 503 meanwhile", seconds,
		       refused, refused == 1 ? " was" : "s were");
	}
	pthread_mutex_unlock(&outage.lock);
}
