/*
 * Slow clients and odd framing (issue 8, part 5), against the real daemon:
 *   - a client that trickles its headers (one line every few seconds, which restarts
 *     libmicrohttpd's idle timer each time) or its body is ended at a total deadline;
 *   - 1,100 such connections from nine loopback addresses (more than the 1,024 slots) do not
 *     keep a normal client out;
 *   - ambiguous framing (two Content-Length, Content-Length with Transfer-Encoding, an unknown
 *     transfer coding) is refused with 400 and the connection closed, so nothing can be
 *     smuggled behind it;
 *   - what libmicrohttpd's own error pages carry (it has no hook for headers: see
 *     docs/operations.md, "Slow clients, framing and the proxy").
 */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct srv S;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The test process needs more than the usual 1,024 open files. */
static void raise_nofile(void)
{
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit: %s", strerror(errno));
}

static void start(const char *const *env)
{
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	srv_start(&S, NULL, env);
}

static void up_default(void)
{
	start(NULL);
}

static void up_short_deadlines(void)
{
	const char *env[] = { "SANGKIEN_HEADER_TIMEOUT=2", "SANGKIEN_BODY_TIMEOUT=3", "SANGKIEN_IDLE_TIMEOUT=30", NULL };
	start(env);
}

static void down(void)
{
	srv_stop(&S);
}

TestSuite(slow, .fini = down, .timeout = 150);

/* A blocking TCP connection to the server from source_ip (NULL: any). */
static int tcp_connect(const char *source_ip)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	if (source_ip) {
		struct sockaddr_in b = { .sin_family = AF_INET };
		inet_pton(AF_INET, source_ip, &b.sin_addr);
		cr_assert_eq(bind(fd, (struct sockaddr *)&b, sizeof b), 0, "bind %s: %s", source_ip, strerror(errno));
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)S.port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
	return fd;
}

static bool tcp_send(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		text += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Reads what arrives on fd into buf until the peer closes or timeout_ms pass. Returns true when
 * the peer closed (end of file or reset).
 */
static bool read_until_closed(int fd, char *buf, size_t sz, int timeout_ms)
{
	size_t got = 0;
	double end = now_s() + timeout_ms / 1000.0;
	buf[0] = '\0';
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, left) <= 0)
			continue;
		char tmp[4096];
		ssize_t n = recv(fd, tmp, sizeof tmp, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return true;
		size_t keep = (size_t)n < sz - 1 - got ? (size_t)n : sz - 1 - got;
		memcpy(buf + got, tmp, keep);
		got += keep;
		buf[got] = '\0';
	}
}

/* The number of replies (status lines "HTTP/1.x NNN ") in a raw stream. */
static int count_replies(const char *stream)
{
	int n = 0;
	for (const char *p = stream; (p = strstr(p, "HTTP/1.")) != NULL; p++) {
		int status = 0, used = 0;
		if (sscanf(p, "HTTP/1.%*d %3d %n", &status, &used) == 1 && used > 0 && status >= 100)
			n++;
	}
	return n;
}

/* ------------------------------------------------------------------------- */
/* Deadlines                                                                  */
/* ------------------------------------------------------------------------- */

/*
 * Trickles header lines on fd (one every 0.4 s, well inside the 30 s idle timeout) until the server
 * ends the connection or limit_s pass; returns the seconds it took, or -1 when it stayed open.
 */
static double trickle_headers(int fd, double limit_s)
{
	double t0 = now_s();
	for (int line = 0; now_s() - t0 < limit_s; line++) {
		char text[64];
		snprintf(text, sizeof text, "X-Trickle-%d: %d\r\n", line, line);
		if (!tcp_send(fd, text))
			return now_s() - t0;
		char buf[4096];
		if (read_until_closed(fd, buf, sizeof buf, 400))
			return now_s() - t0;
	}
	return -1;
}

Test(slow, trickled_headers_are_cut_at_the_header_deadline, .init = up_short_deadlines)
{
	/* A new connection: the deadline runs from its start. */
	int fd = tcp_connect(NULL);
	cr_assert(tcp_send(fd, "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n"));
	double took = trickle_headers(fd, 8);
	close(fd);
	cr_assert_geq(took, 0, "a connection trickling its headers was still open after 8 s (header deadline 2 s)");
	cr_assert_geq(took, 1.5, "ended after %.2f s, before the 2 s deadline", took);
	cr_assert_leq(took, 3.5, "ended after %.2f s (header deadline 2 s)", took);

	/* On keep-alive: the deadline runs from the end of the previous reply. */
	fd = tcp_connect(NULL);
	cr_assert(tcp_send(fd, "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n\r\n"));
	char buf[8192];
	read_until_closed(fd, buf, sizeof buf, 500);
	cr_assert_not_null(strstr(buf, " 200 "), "%s", buf);
	cr_assert(tcp_send(fd, "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n"));
	took = trickle_headers(fd, 8);
	close(fd);
	cr_assert_geq(took, 0, "a kept-alive connection trickling its next headers was still open after 8 s");
	cr_assert_leq(took, 3.5, "ended after %.2f s (header deadline 2 s)", took);

	/* A request whose headers come in one go is served as usual. */
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
}

Test(slow, a_trickled_body_is_cut_at_the_body_deadline, .init = up_short_deadlines)
{
	int fd = tcp_connect(NULL);
	cr_assert(tcp_send(fd, "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			       "Content-Length: 1000\r\n\r\n{\"login\":\""));
	double t0 = now_s(), took = -1;
	while (now_s() - t0 < 10) {
		if (!tcp_send(fd, "aaaa")) {
			took = now_s() - t0;
			break;
		}
		char buf[4096];
		if (read_until_closed(fd, buf, sizeof buf, 300)) {
			took = now_s() - t0;
			break;
		}
	}
	close(fd);
	cr_assert_geq(took, 0, "a connection trickling its body was still open after 10 s (body deadline 3 s)");
	cr_assert_geq(took, 2.5, "ended after %.2f s, before the 3 s deadline", took);
	cr_assert_leq(took, 4.5, "ended after %.2f s (body deadline 3 s)", took);
}

/* ------------------------------------------------------------------------- */
/* 1,100 trickling connections from nine addresses                            */
/* ------------------------------------------------------------------------- */

enum { TRICKLERS = 1100, ADDRESSES = 9 };

struct trickler {
	int fd;
	bool connected;
	double next; /* when to (re)connect or send the next line */
	int lines;
};

static struct trickler tricklers[TRICKLERS];
static atomic_bool attacking;
static atomic_long attack_connects, attack_ended, attack_open, attack_open_max;
static bool attack_uploads; /* trickle a body after whole headers, instead of the headers */

static void trickler_close(struct trickler *t, double now)
{
	close(t->fd);
	t->fd = -1;
	if (t->connected)
		atomic_fetch_sub(&attack_open, 1);
	t->connected = false;
	t->next = now; /* an attacker comes straight back */
}

static void trickler_open(struct trickler *t, int i, double now)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		t->next = now + 0.1;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	char ip[32];
	snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i % ADDRESSES);
	struct sockaddr_in b = { .sin_family = AF_INET };
	inet_pton(AF_INET, ip, &b.sin_addr);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)S.port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&b, sizeof b) != 0 ||
	    (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)) {
		close(fd);
		t->next = now + 0.1;
		return;
	}
	t->fd = fd;
	t->connected = false;
	t->lines = 0;
	atomic_fetch_add(&attack_connects, 1);
}

/* Keeps TRICKLERS connections open, each sending one header line (or 8 bytes of its body) every 2 s,
 * never ending them. */
static void *attack(void *arg)
{
	(void)arg;
	static struct pollfd pfds[TRICKLERS];
	for (int i = 0; i < TRICKLERS; i++)
		tricklers[i] = (struct trickler){ .fd = -1, .next = now_s() + (double)(i % 100) * 0.01 };
	while (atomic_load(&attacking)) {
		double now = now_s();
		for (int i = 0; i < TRICKLERS; i++) {
			struct trickler *t = &tricklers[i];
			if (t->fd < 0 && now >= t->next)
				trickler_open(t, i, now);
			pfds[i] = (struct pollfd){ .fd = t->fd, .events = t->connected ? POLLIN : POLLOUT };
		}
		poll(pfds, TRICKLERS, 50);
		now = now_s();
		for (int i = 0; i < TRICKLERS; i++) {
			struct trickler *t = &tricklers[i];
			if (t->fd < 0)
				continue;
			short ev = pfds[i].revents;
			if (!t->connected && ev) {
				int err = 0;
				socklen_t len = sizeof err;
				getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0) {
					close(t->fd);
					t->fd = -1;
					t->next = now + 0.05;
					continue;
				}
				t->connected = true;
				long open = atomic_fetch_add(&attack_open, 1) + 1;
				if (open > atomic_load(&attack_open_max))
					atomic_store(&attack_open_max, open); /* one writer: the attack thread */
				const char *start = attack_uploads ? "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\n"
								     "Content-Type: application/json\r\n"
								     "Content-Length: 100000\r\n\r\n{\"login\":\""
								   : "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n";
				if (send(t->fd, start, strlen(start), MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
					trickler_close(t, now);
					continue;
				}
				t->next = now + 2.0;
			} else if (t->connected && (ev & (POLLIN | POLLHUP | POLLERR))) {
				char buf[1024];
				ssize_t n = recv(t->fd, buf, sizeof buf, 0);
				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
					atomic_fetch_add(&attack_ended, 1);
					trickler_close(t, now);
					continue;
				}
			}
			if (t->connected && now >= t->next) {
				char line[48];
				int len = attack_uploads ? snprintf(line, sizeof line, "aaaaaaaa")
							 : snprintf(line, sizeof line, "X-Trickle-%d: x\r\n", t->lines++);
				if (send(t->fd, line, (size_t)len, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
					atomic_fetch_add(&attack_ended, 1);
					trickler_close(t, now);
					continue;
				}
				t->next = now + 2.0;
			}
		}
	}
	for (int i = 0; i < TRICKLERS; i++)
		if (tricklers[i].fd >= 0)
			close(tricklers[i].fd);
	return NULL;
}

/* Runs the attack (uploads: trickled bodies, else trickled headers) and a normal client beside it. */
static void normal_client_beside_attack(bool uploads)
{
	attack_uploads = uploads;
	atomic_store(&attacking, true);
	pthread_t attacker;
	cr_assert_eq(pthread_create(&attacker, NULL, attack, NULL), 0);
	/* Let the attack fill every slot (1,024; the rest wait in the kernel's accept queue). */
	double t0 = now_s();
	while (atomic_load(&attack_open_max) < TRICKLERS && now_s() - t0 < 10)
		usleep(100 * 1000);
	usleep(3000 * 1000);
	long open_at_start = atomic_load(&attack_open);

	enum { REQUESTS = 20 };
	int fast = 0;
	double worst = 0;
	char outcomes[REQUESTS * 16] = "";
	for (int i = 0; i < REQUESTS; i++) {
		struct client c;
		client_init(&c, &S);
		snprintf(c.source_ip, sizeof c.source_ip, "127.0.0.%d", 40 + i);
		curl_easy_setopt(c.curl, CURLOPT_TIMEOUT_MS, 2000L);
		curl_easy_setopt(c.curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c.curl, CURLOPT_FORBID_REUSE, 1L);
		double a = now_s();
		struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
		double took = now_s() - a;
		if (r->status == 200 && took <= 1.0)
			fast++;
		if (took > worst)
			worst = took;
		char one[16];
		snprintf(one, sizeof one, " %ld/%.2f", r->status, took);
		strcat(outcomes, one);
		resp_free(r);
		client_cleanup(&c);
		usleep(250 * 1000);
	}
	atomic_store(&attacking, false);
	pthread_join(attacker, NULL);
	fprintf(stderr, "attack: %ld connections open at most, %ld when the normal requests began, %ld opened in all, "
		"%ld ended by the server; normal requests (status/seconds):%s\n",
		atomic_load(&attack_open_max), open_at_start, atomic_load(&attack_connects), atomic_load(&attack_ended),
		outcomes);
	cr_assert_eq(atomic_load(&attack_open_max), TRICKLERS, "the attack never had its %d connections open at once",
		     TRICKLERS);
	cr_assert_geq(fast, 19, "only %d of %d normal requests were served within 1 s beside 1,100 trickling "
		      "connections (status/seconds:%s)", fast, REQUESTS, outcomes);
	cr_assert_gt(atomic_load(&attack_ended), 0, "the server never ended a trickling connection");

	/* Once the attack stops, the server serves as before. */
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
}

Test(slow, a_normal_client_is_served_beside_1100_trickling_connections, .init = up_default)
{
	normal_client_beside_attack(false);
}

/* Whole headers, then a body that trickles: inside both deadlines (120 s), but slower than the
 * 4 KiB/s that the server asks of uploads when its slots run out. */
Test(slow, a_normal_client_is_served_beside_1100_trickled_uploads, .init = up_default)
{
	normal_client_beside_attack(true);
}

/* ------------------------------------------------------------------------- */
/* Ambiguous framing                                                          */
/* ------------------------------------------------------------------------- */

Test(slow, ambiguous_framing_is_refused_and_nothing_is_smuggled_behind_it, .init = up_default)
{
	/* Each request hides a second one ("GET /api/v1/me") where one reading of its framing ends. */
	const char *attacks[] = {
		/* CL.CL: two lengths */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 2\r\nContent-Length: 42\r\n\r\n"
		"{}GET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* two equal lengths */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 2\r\nContent-Length: 2\r\n\r\n"
		"{}GET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* CL.TE */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n"
		"0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* TE.CL, the other order */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
		"2\r\n{}\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* an unknown transfer coding (libmicrohttpd reads it as a body that lasts until the close) */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: xchunked\r\n\r\n"
		"2\r\n{}\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* two transfer codings */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
		"2\r\n{}\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* a blank before the colon: another reader may take it as Transfer-Encoding */
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 2\r\nTransfer-Encoding : chunked\r\n\r\n"
		"{}GET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* two lengths on a GET */
		"GET /api/v1/version HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\n"
		"GET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
		/* Transfer-Encoding in HTTP/1.0 */
		"POST /api/v1/accounts HTTP/1.0\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\n\r\n"
		"2\r\n{}\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		int fd = tcp_connect(NULL);
		cr_assert(tcp_send(fd, attacks[i]));
		char stream[32768];
		bool closed = read_until_closed(fd, stream, sizeof stream, 3000);
		close(fd);
		cr_assert(closed, "attack %zu: the connection stayed open: %s", i, stream);
		cr_assert_eq(count_replies(stream), 1, "attack %zu: %d replies (a smuggled request was read): %s", i,
			     count_replies(stream), stream);
		int status = 0;
		sscanf(stream, "HTTP/1.%*d %d", &status);
		cr_assert_eq(status, 400, "attack %zu answered %d: %s", i, status, stream);
		cr_assert_not_null(strstr(stream, "\"code\":\"bad_framing\""), "attack %zu: %s", i, stream);
		cr_assert_not_null(strcasestr(stream, "\r\nConnection: close\r\n"), "attack %zu: %s", i, stream);
		cr_assert_not_null(strcasestr(stream, "\r\nContent-Security-Policy: "), "attack %zu: %s", i, stream);
		cr_assert_not_null(strcasestr(stream, "\r\nX-Content-Type-Options: nosniff\r\n"), "attack %zu", i);
		cr_assert_not_null(strcasestr(stream, "\r\nX-Frame-Options: DENY\r\n"), "attack %zu", i);
	}
	/* Well-framed requests on one connection still work: a chunked body, then a plain GET. */
	int fd = tcp_connect(NULL);
	cr_assert(tcp_send(fd, "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
			       "GET /api/v1/version HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
	char stream[32768];
	read_until_closed(fd, stream, sizeof stream, 3000);
	close(fd);
	cr_assert_eq(count_replies(stream), 2, "%s", stream);
	cr_assert_null(strstr(stream, "bad_framing"), "%s", stream);
	cr_assert_not_null(strstr(stream, "\"name\":\"sangkien\""), "%s", stream);
}

/* ------------------------------------------------------------------------- */
/* libmicrohttpd's own error pages                                            */
/* ------------------------------------------------------------------------- */

/*
 * libmicrohttpd 0.9.75 answers these requests itself, before the server sees them, and offers no
 * way to add headers to its replies or to replace them. What the server can promise is checked
 * here: each is a fixed page that echoes nothing of the request and closes the connection. The
 * security headers on them come from the reverse proxy (docs/operations.md); the day the library
 * adds them, this test says so.
 */
Test(slow, the_http_library_s_own_error_pages_echo_nothing_and_close, .init = up_default)
{
	static char long_uri[40100], big_header[40100], chunk_ext[100200];
	char marker[] = "%3Cscript%3Esk-marker%3C/script%3E";
	snprintf(long_uri, sizeof long_uri, "GET /api/v1/%s", marker);
	memset(long_uri + strlen(long_uri), 'a', 40000);
	strcpy(long_uri + strlen(long_uri) - 0, " HTTP/1.1\r\nHost: t\r\n\r\n");
	snprintf(big_header, sizeof big_header, "GET /api/v1/version HTTP/1.1\r\nHost: t\r\nX-A: <script>sk-marker");
	memset(big_header + strlen(big_header), 'a', 40000);
	strcpy(big_header + strlen(big_header), "\r\n\r\n");
	snprintf(chunk_ext, sizeof chunk_ext,
		 "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n2;<script>sk-marker");
	memset(chunk_ext + strlen(chunk_ext), 'a', 100000);
	strcpy(chunk_ext + strlen(chunk_ext), "\r\n{}\r\n0\r\n\r\n");
	struct {
		const char *what;
		const char *request;
		int status;
	} pages[] = {
		{ "a 40 KB URI", long_uri, 414 },
		{ "a 40 KB header", big_header, 431 },
		{ "a 100 KB chunk extension", chunk_ext, 500 },
		{ "a header line without a colon", "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n<script>sk-marker\r\n\r\n",
		  400 },
		{ "an unknown HTTP version", "GET /api/v1/version HTTP/2.0\r\nHost: t\r\nX: <script>sk-marker\r\n\r\n", 505 },
		{ "a Content-Length that is not a number",
		  "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		  "Content-Length: 2<script>sk-marker\r\n\r\n{}",
		  400 },
	};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		int fd = tcp_connect(NULL);
		tcp_send(fd, pages[i].request); /* the server may stop reading before the end */
		char stream[32768];
		bool closed = read_until_closed(fd, stream, sizeof stream, 3000);
		close(fd);
		int status = 0;
		sscanf(stream, "HTTP/1.%*d %d", &status);
		cr_assert_eq(status, pages[i].status, "%s answered %d: %s", pages[i].what, status, stream);
		cr_assert(closed, "%s: the connection stayed open", pages[i].what);
		cr_assert_null(strstr(stream, "sk-marker"), "%s: the reply echoes the request: %s", pages[i].what, stream);
		cr_assert_null(strcasestr(stream, "Set-Cookie"), "%s: %s", pages[i].what, stream);
		/* Known limitation (libmicrohttpd 0.9.75): no security headers here; the proxy adds them. */
		cr_assert_null(strcasestr(stream, "\r\nContent-Security-Policy: "),
			       "%s now carries the security headers: update docs/operations.md and this test", pages[i].what);
	}
}

/* ------------------------------------------------------------------------- */
/* The open-files limit                                                       */
/* ------------------------------------------------------------------------- */

/* A server that could not open --max-connections sockets refuses to start instead of failing later. */
Test(slow, max_connections_must_fit_in_the_open_files_limit)
{
	const char *bin = getenv("SANGKIEN_BIN") ? getenv("SANGKIEN_BIN") : "build-test/sangkien";
	const char *src = getenv("SANGKIEN_SRC") ? getenv("SANGKIEN_SRC") : ".";
	const char *url = getenv("SANGKIEN_TEST_DATABASE_URL");
	cr_assert_not_null(url);
	char log_path[] = "/tmp/sk-slow-nofile-XXXXXX";
	int log_fd = mkstemp(log_path);
	cr_assert_geq(log_fd, 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = 500, .rlim_max = 500 };
		setrlimit(RLIMIT_NOFILE, &rl);
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
		char sql[4096];
		snprintf(sql, sizeof sql, "%s/sql", src);
		setenv("DATABASE_URL", url, 1);
		setenv("SANGKIEN_SQL_DIR", sql, 1);
		setenv("SANGKIEN_LISTEN", "127.0.0.1:0", 1);
		setenv("SANGKIEN_MAX_CONNECTIONS", "1024", 1);
		execl(bin, bin, "serve", (char *)NULL);
		_exit(127);
	}
	close(log_fd);
	int status = 0;
	bool exited = false;
	for (int i = 0; i < 300 && !exited; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		else
			usleep(50 * 1000);
	}
	if (!exited) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	FILE *f = fopen(log_path, "r");
	char log[8192] = "";
	if (f) {
		size_t n = fread(log, 1, sizeof log - 1, f);
		log[n] = '\0';
		fclose(f);
	}
	unlink(log_path);
	cr_assert(exited, "the server started with 1,024 connections allowed and 500 open files: %s", log);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d: %s", status, log);
	cr_assert_not_null(strstr(log, "RLIMIT_NOFILE"), "the log does not say why: %s", log);
}
