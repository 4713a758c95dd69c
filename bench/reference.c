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
 * With BENCH_REFERENCE_DATABASE_URL set it also serves the two database ceilings of
 * issue 12, through the same design as sangkien (MHD threads + a pool of libpq
 * connections of the server's size, a mutex and a condition variable; prepared
 * statements; the reply built with jansson):
 *   GET  /ref/select  one prepared point SELECT by primary key on a table of
 *                     1,000 account-like rows (id, login, display_name, a
 *                     32-byte token hash, created_at), answered as JSON;
 *   POST /ref/insert  one durable one-row INSERT ... RETURNING (autocommit, so
 *                     synchronous_commit as the cluster has it), the body kept.
 * The tables (bench_reference_accounts, bench_reference_rows) are created in that
 * database at start-up if missing.
 *
 * Usage: bench-reference [port [port-file]]
 *   port       TCP port on 127.0.0.1 (default $BENCH_REFERENCE_PORT, else
 *              8081); 0 picks a free port.
 *   port-file  if given (or $BENCH_REFERENCE_PORT_FILE), the bound port is
 *              written there once the daemon listens.
 * Environment: BENCH_REFERENCE_THREADS (default $SANGKIEN_THREADS, else 4),
 * BENCH_REFERENCE_POOL (default $SANGKIEN_DB_POOL, else the thread count),
 * BENCH_REFERENCE_DATABASE_URL (default: no database endpoints).
 * Stops cleanly on SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
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

/* ---------------------------------------------------------------- the pool */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	PGconn **conns;
	bool *busy;
};
static struct pool pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL };
static atomic_uint_fast64_t select_counter;
#define ACCOUNTS 1000

static int pool_acquire(void)
{
	pthread_mutex_lock(&pool.lock);
	int i;
	for (;;) {
		for (i = 0; i < pool.size && pool.busy[i]; i++)
			;
		if (i < pool.size)
			break;
		pthread_cond_wait(&pool.freed, &pool.lock);
	}
	pool.busy[i] = true;
	pthread_mutex_unlock(&pool.lock);
	return i;
}

static void pool_release(int i)
{
	pthread_mutex_lock(&pool.lock);
	pool.busy[i] = false;
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
}

static bool exec_ok(PGconn *pg, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "bench-reference: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

static bool prepare_ok(PGconn *pg, const char *name, const char *sql, int nparams)
{
	PGresult *r = PQprepare(pg, name, sql, nparams, NULL);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "bench-reference: preparing %s: %s", name, PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

/* Opens the pool and creates the tables; false (with a message) when it cannot. */
static bool pool_open(const char *url, int size)
{
	pool.size = size;
	pool.conns = calloc((size_t)size, sizeof *pool.conns);
	pool.busy = calloc((size_t)size, sizeof *pool.busy);
	if (pool.conns == NULL || pool.busy == NULL)
		return false;
	for (int i = 0; i < size; i++) {
		const char *keys[] = { "dbname", "application_name", NULL };
		const char *vals[] = { url, "bench-reference", NULL };
		pool.conns[i] = PQconnectdbParams(keys, vals, 1);
		if (PQstatus(pool.conns[i]) != CONNECTION_OK) {
			fprintf(stderr, "bench-reference: %s", PQerrorMessage(pool.conns[i]));
			return false;
		}
	}
	PGconn *pg = pool.conns[0];
	if (!exec_ok(pg, "SET client_min_messages = warning") ||
	    !exec_ok(pg, "CREATE TABLE IF NOT EXISTS bench_reference_accounts (id bigint PRIMARY KEY,"
			 " login text NOT NULL UNIQUE, display_name text NOT NULL, token_hash bytea NOT NULL,"
			 " created_at timestamptz NOT NULL DEFAULT now())") ||
	    !exec_ok(pg, "INSERT INTO bench_reference_accounts (id, login, display_name, token_hash)"
			 " SELECT i, 'ref-' || i || '@example.vn', 'Người tham chiếu ' || i,"
			 " sha256(convert_to(i::text, 'UTF8')) FROM generate_series(1, 1000) i"
			 " ON CONFLICT DO NOTHING") ||
	    !exec_ok(pg, "CREATE TABLE IF NOT EXISTS bench_reference_rows (id bigserial PRIMARY KEY,"
			 " body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())") ||
	    !exec_ok(pg, "ANALYZE bench_reference_accounts"))
		return false;
	for (int i = 0; i < size; i++)
		if (!prepare_ok(pool.conns[i], "ref_select",
				"SELECT id, login, display_name, created_at FROM bench_reference_accounts"
				" WHERE id = $1",
				1) ||
		    !prepare_ok(pool.conns[i], "ref_insert",
				"INSERT INTO bench_reference_rows (body) VALUES ($1) RETURNING id, created_at", 1))
			return false;
	return true;
}

/* Runs one of the two statements on a pooled connection; returns the JSON reply body
 * (malloc'd) or NULL. */
static char *database_reply(bool insert, const char *body)
{
	char key[24];
	const char *param = body;
	if (!insert) {
		uint_fast64_t n = atomic_fetch_add_explicit(&select_counter, 1, memory_order_relaxed);
		snprintf(key, sizeof key, "%llu", (unsigned long long)(n % ACCOUNTS + 1));
		param = key;
	}
	int i = pool_acquire();
	PGresult *r = PQexecPrepared(pool.conns[i], insert ? "ref_insert" : "ref_select", 1, &param, NULL,
				     NULL, 0);
	pool_release(i);
	char *out = NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		json_t *row = insert ? json_pack("{s:I,s:s}", "id", (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10),
						 "created_at", PQgetvalue(r, 0, 1))
				     : json_pack("{s:{s:I,s:s,s:s,s:s}}", "account", "id",
						 (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10), "login",
						 PQgetvalue(r, 0, 1), "display_name", PQgetvalue(r, 0, 2),
						 "created_at", PQgetvalue(r, 0, 3));
		if (row != NULL)
			out = json_dumps(row, JSON_COMPACT);
		json_decref(row);
	} else {
		fprintf(stderr, "bench-reference: %s", PQresultErrorMessage(r));
	}
	PQclear(r);
	return out;
}

/* The request body of POST /ref/insert, accumulated up to 16 KiB. */
struct upload {
	int *marker;
	size_t len;
	char data[16384];
};

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
	(void)method;
	(void)version;

	bool is_select = pool.size > 0 && strcmp(url, "/ref/select") == 0;
	bool is_insert = pool.size > 0 && strcmp(url, "/ref/insert") == 0;
	if (*req_cls == NULL) {
		if (is_insert) {
			struct upload *u = calloc(1, sizeof *u);
			if (u == NULL)
				return MHD_NO;
			*req_cls = u;
		} else {
			*req_cls = &request_seen;
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (is_insert) {
			struct upload *u = *req_cls;
			size_t n = *upload_data_size;
			if (n > sizeof u->data - 1 - u->len)
				n = sizeof u->data - 1 - u->len;
			memcpy(u->data + u->len, upload_data, n);
			u->len += n;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct MHD_Response *response;
	if (is_select || is_insert) {
		char *reply = database_reply(is_insert, is_insert ? ((struct upload *)*req_cls)->data : NULL);
		if (reply == NULL)
			return MHD_NO;
		response = MHD_create_response_from_buffer(strlen(reply), reply, MHD_RESPMEM_MUST_FREE);
	} else {
		response = MHD_create_response_from_buffer(sizeof body - 1, (void *)body,
							   MHD_RESPMEM_PERSISTENT);
	}
	if (response == NULL)
		return MHD_NO;
	enum MHD_Result ret = add_headers(response);
	if (ret == MHD_YES)
		ret = MHD_queue_response(connection, is_insert ? MHD_HTTP_CREATED : MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *connection, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)connection;
	(void)toe;
	if (*req_cls != NULL && *req_cls != &request_seen)
		free(*req_cls);
	*req_cls = NULL;
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
	long pool_size = parse_long(first_nonempty(getenv("BENCH_REFERENCE_POOL"), getenv("SANGKIEN_DB_POOL")),
				    0, 512, 0);
	if (pool_size == 0)
		pool_size = threads;
	const char *database_url = getenv("BENCH_REFERENCE_DATABASE_URL");
	if (port < 0 || threads < 0 || pool_size < 0) {
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

	if (database_url != NULL && *database_url != '\0' && !pool_open(database_url, (int)pool_size)) {
		fprintf(stderr, "bench-reference: cannot open the database pool\n");
		return 1;
	}

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
		MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
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
	fprintf(stderr, "bench-reference: listening on 127.0.0.1:%u with %ld threads, pool %d\n", bound,
		threads, pool.size);

	int sig = 0;
	while (sigwait(&stop_signals, &sig) != 0)
		;
	fprintf(stderr, "bench-reference: signal %d, stopping\n", sig);
	MHD_stop_daemon(daemon);
	for (int i = 0; i < pool.size; i++)
		PQfinish(pool.conns[i]);
	return 0;
}
