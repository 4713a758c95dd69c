/*
 * bench-reference: the smallest libmicrohttpd server that answers like
 * sangkien's GET /api/v1/version, used as the ceiling that bench/http.sh
 * measures sangkien against in the same run, on the same machine.
 *
 * Every request, whatever its method or path, gets 200 with the body
 * {"name":"sangkien","version":"0.1.0"}, Content-Type application/json and
 * the same security headers sangkien sends on every reply (including a
 * per-request X-Request-Id), so that the two differ only in what sangkien
 * does per request: routing, the request context, logging.
 *
 * The daemon uses the configuration that measured best in
 * /work/shared/FIELD-NOTES.md: an internal polling thread with epoll and a
 * thread pool (default 4 threads, like sangkien's SANGKIEN_THREADS), and the
 * response is queued on the second call of the access handler, never the
 * first (queuing on the first call makes MHD answer "Connection: close").
 *
 * Usage: bench-reference [port [port-file]]
 *   port       TCP port on 127.0.0.1 (default $BENCH_REFERENCE_PORT, else
 *              8081); 0 picks a free port.
 *   port-file  if given (or $BENCH_REFERENCE_PORT_FILE), the bound port is
 *              written there once the daemon listens.
 * Environment: BENCH_REFERENCE_THREADS (default $SANGKIEN_THREADS, else 4).
 * Stops cleanly on SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static const char body[] = "{\"name\":\"sangkien\",\"version\":\"0.1.0\"}";

/* The same headers, in the same order, as sangkien's reply (checked against
 * `curl -si .../api/v1/version`: 657 bytes with the body, like sangkien's). */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
			  "object-src 'none'; base-uri 'none'; form-action 'self'; "
			  "frame-ancestors 'none'";

static atomic_uint_fast64_t request_counter;

/* A marker whose address tells the second call of the handler from the first. */
static int request_seen;

/*
 * Parses a decimal integer in [min, max] from text; returns fallback when
 * text is NULL or empty, and -1 when it is not a valid number in range.
 */
static long parse_long(const char *text, long min, long max, long fallback)
{
	if (text == NULL || *text == '\0')
		return fallback;
	char *end = NULL;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < min || value > max)
		return -1;
	return value;
}

static const char *first_nonempty(const char *a, const char *b)
{
	if (a != NULL && *a != '\0')
		return a;
	return b;
}

static enum MHD_Result add_headers(struct MHD_Response *response)
{
	char request_id[17];
	uint_fast64_t n = atomic_fetch_add_explicit(&request_counter, 1, memory_order_relaxed);
	snprintf(request_id, sizeof request_id, "%016llx", (unsigned long long)n);

	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "application/json; charset=utf-8") != MHD_YES ||
	    MHD_add_response_header(response, "Cache-Control", "no-store") != MHD_YES ||
	    MHD_add_response_header(response, "Content-Security-Policy", csp) != MHD_YES ||
	    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(response, "Referrer-Policy",
				    "strict-origin-when-cross-origin") != MHD_YES ||
	    MHD_add_response_header(response, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin") !=
		    MHD_YES ||
	    MHD_add_response_header(response, "Permissions-Policy",
				    "camera=(self), geolocation=(), microphone=()") != MHD_YES ||
	    MHD_add_response_header(response, "X-Request-Id", request_id) != MHD_YES)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;

	if (*req_cls == NULL) {
		*req_cls = &request_seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* the body is read and ignored */
		return MHD_YES;
	}

	struct MHD_Response *response = MHD_create_response_from_buffer(
		sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return MHD_NO;
	enum MHD_Result ret = add_headers(response);
	if (ret == MHD_YES)
		ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

static int write_port_file(const char *path, unsigned port)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	int ok = fprintf(f, "%u\n", port) > 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 || (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
				      strcmp(argv[1], "--help") == 0))) {
		fprintf(stderr, "usage: %s [port [port-file]]\n", argv[0]);
		return argc > 3 ? 2 : 0;
	}
	long port = parse_long(argc > 1 ? argv[1] : getenv("BENCH_REFERENCE_PORT"), 0, 65535,
			       8081);
	const char *port_file = argc > 2 ? argv[2] : getenv("BENCH_REFERENCE_PORT_FILE");
	long threads = parse_long(first_nonempty(getenv("BENCH_REFERENCE_THREADS"),
						 getenv("SANGKIEN_THREADS")),
				  1, 256, 4);
	if (port < 0 || threads < 0) {
		fprintf(stderr, "bench-reference: invalid port or thread count\n");
		return 2;
	}

	/* Block the stop signals before MHD starts its threads, so that they
	 * inherit the mask and only sigwait() below receives them. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *daemon = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, answer, NULL,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1024,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)128,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		MHD_OPTION_END);
	if (daemon == NULL) {
		fprintf(stderr, "bench-reference: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}

	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon,
							       MHD_DAEMON_INFO_BIND_PORT);
	unsigned bound = info != NULL ? info->port : (unsigned)port;
	if (port_file != NULL && *port_file != '\0' && write_port_file(port_file, bound) != 0) {
		fprintf(stderr, "bench-reference: cannot write port file %s\n", port_file);
		MHD_stop_daemon(daemon);
		return 1;
	}
	fprintf(stderr, "bench-reference: listening on 127.0.0.1:%u with %ld threads\n", bound,
		threads);

	int sig = 0;
	while (sigwait(&stop_signals, &sig) != 0)
		;
	fprintf(stderr, "bench-reference: signal %d, stopping\n", sig);
	MHD_stop_daemon(daemon);
	return 0;
}
