#include "http/server.h"

#include "http/auth.h"
#include "http/handlers.h"
#include "http/reply.h"
#include "http/router.h"
#include "http/static.h"
#include "http/watchdog.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>

static atomic_ullong request_counter;
static unsigned request_prefix;

int64_t sk_param_id(const struct sk_request *req, int i)
{
	if (i >= req->nparams)
		return 0;
	const char *s = req->params[i];
	if (*s < '1' || *s > '9' || strlen(s) > 18)
		return 0;
	int64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

void *sk_req_own(struct sk_request *req, void *ptr)
{
	if (req->nowned < SK_MAX_OWNED)
		req->owned[req->nowned++] = ptr;
	else
		sk_error("req=%s owns too many buffers; leaking one", req->id);
	return ptr;
}

const char *sk_req_query(const struct sk_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool sk_req_query_int(struct sk_request *req, const char *name, long long min, long long max, long long def,
		      long long *out)
{
	const char *s = sk_req_query(req, name);
	*out = def;
	if (s == NULL)
		return true;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		sk_reply_error(req, 400, "invalid_field", name, "'%s' must be a whole number from %lld to %lld.", name, min,
			       max);
		return false;
	}
	*out = v;
	return true;
}

struct sk_dbconn *sk_req_db_or_reply(struct sk_request *req)
{
	if (req->db != NULL)
		return req->db;
	req->db = sk_db_acquire(req->srv->db, 3000);
	if (req->db == NULL)
		sk_reply_db_error(req, SK_DB_UNAVAILABLE);
	return req->db;
}

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether the read pool may serve now (c: one of its connections, for a check when due); *lag set. */
static bool read_pool_fresh(struct sk_server *srv, struct sk_dbconn *c, double *lag)
{
	double now = monotonic_s();
	pthread_mutex_lock(&srv->lag_lock);
	bool due = srv->lag_checked == 0 || now - srv->lag_checked >= 1.0;
	bool ok = srv->lag_ok;
	*lag = srv->lag;
	pthread_mutex_unlock(&srv->lag_lock);
	if (!due)
		return ok;
	double measured = 0;
	enum sk_db_status st = sk_db_read_lag(c, &measured);
	bool now_ok = st == SK_DB_OK && measured <= (double)srv->cfg->replica_max_lag;
	pthread_mutex_lock(&srv->lag_lock);
	if (now_ok != srv->lag_ok || srv->lag_checked == 0) {
		if (now_ok)
			sk_info("read database: serving public reads (lag %.1f s)", measured);
		else if (st == SK_DB_OK)
			sk_warn("read database: %.1f s behind (over --replica-max-lag %ld): public reads go to the primary",
				measured, srv->cfg->replica_max_lag);
		else
			sk_warn("read database: lag unknown (%s): public reads go to the primary", sk_db_last_error(c));
	}
	srv->lag_checked = now;
	srv->lag = st == SK_DB_OK ? measured : 0;
	srv->lag_ok = now_ok;
	*lag = srv->lag;
	pthread_mutex_unlock(&srv->lag_lock);
	return now_ok;
}

struct sk_dbconn *sk_req_public_db_or_reply(struct sk_request *req)
{
	struct sk_server *srv = req->srv;
	/* A session cookie, valid or not (public routes do not look the session up): the client may
	 * have just written what it now reads (an adoption on the model page, a leader's call). */
	if (req->db != NULL || req->has_session || srv->read_db == NULL ||
	    MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SK_COOKIE_NAME) != NULL)
		return sk_req_db_or_reply(req);
	struct sk_dbconn *c = sk_db_acquire(srv->read_db, 1000);
	double lag = 0;
	if (c != NULL && read_pool_fresh(srv, c, &lag)) {
		req->db = c;
		req->db_pool = srv->read_db;
		req->as_of = (double)time(NULL) - lag;
		return c;
	}
	if (c != NULL)
		sk_db_release(srv->read_db, c);
	else {
		pthread_mutex_lock(&srv->lag_lock);
		if (srv->lag_ok || srv->lag_checked == 0)
			sk_warn("read database: cannot connect: public reads go to the primary");
		srv->lag_ok = false;
		srv->lag_checked = monotonic_s();
		pthread_mutex_unlock(&srv->lag_lock);
	}
	return sk_req_db_or_reply(req);
}

const char *sk_req_as_of(const struct sk_request *req, char *out, size_t outsz)
{
	time_t t = req->as_of > 0 ? (time_t)req->as_of : time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

/* Gives the request's connection back to the pool it came from. */
static void request_release_db(struct sk_request *req)
{
	if (req->db == NULL)
		return;
	sk_db_release(req->db_pool ? req->db_pool : req->srv->db, req->db);
	req->db = NULL;
	req->db_pool = NULL;
}

static void request_free(struct sk_request *req)
{
	request_release_db(req);
	json_decref(req->json);
	free(req->body);
	for (int i = 0; i < req->nextra; i++) {
		free(req->extra_headers[i][0]);
		free(req->extra_headers[i][1]);
	}
	for (int i = 0; i < req->nowned; i++)
		free(req->owned[i]);
	free(req);
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, outsz, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)outsz);
}

struct xff_join {
	char *text; /* malloc'd; NULL until a field is seen */
	size_t len;
	bool failed; /* out of memory */
};

static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct xff_join *j = cls;
	if (key == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	size_t vlen = value ? strlen(value) : 0;
	char *grown = realloc(j->text, j->len + vlen + 2); /* headers are bounded by libmicrohttpd (32 KiB) */
	if (grown == NULL) {
		j->failed = true;
		return MHD_NO;
	}
	j->text = grown;
	if (j->len > 0)
		j->text[j->len++] = ',';
	memcpy(j->text + j->len, value ? value : "", vlen);
	j->len += vlen;
	j->text[j->len] = '\0';
	return MHD_YES;
}

/*
 * The request's client address into out: the TCP peer, or, when the peer is a trusted proxy
 * (--trusted-proxy), what its X-Forwarded-For fields (all of them, in order) say by
 * sk_forwarded_client.
 */
static void request_client(const struct sk_server *srv, struct MHD_Connection *conn, char *out, size_t outsz)
{
	char peer[64];
	client_ip(conn, peer, sizeof peer);
	if (srv->cfg->proxies.n == 0) {
		snprintf(out, outsz, "%s", peer);
		return;
	}
	struct xff_join j = { NULL, 0, false };
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For") != NULL)
		MHD_get_connection_values(conn, MHD_HEADER_KIND, join_xff, &j);
	sk_forwarded_client(&srv->cfg->proxies, peer, j.failed ? NULL : j.text, out, outsz);
	free(j.text);
}

static int64_t request_now(struct sk_request *req)
{
	if (req->srv->cfg->test_clock) {
		const char *t = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Sangkien-Test-Now");
		if (t != NULL) {
			char *end;
			long long v = strtoll(t, &end, 10);
			if (end != t && *end == '\0' && v > 0)
				return v;
		}
	}
	return (int64_t)time(NULL);
}

static bool is_json_content_type(const char *ct)
{
	if (ct == NULL)
		return false;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n) != 0)
		return false;
	const char *rest = ct + n;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return true;
	if (*rest != ';')
		return false;
	rest++;
	while (*rest == ' ')
		rest++;
	return (strncasecmp(rest, "charset=utf-8", 13) == 0 && rest[13] == '\0') ||
	       (strncasecmp(rest, "charset=\"utf-8\"", 15) == 0 && rest[15] == '\0');
}

static bool is_api(const char *url)
{
	return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
}

static bool changes_state(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0;
}

/* The largest body the request's route accepts. */
static unsigned long long body_limit(const struct sk_request *req)
{
	const struct sk_config *cfg = req->srv->cfg;
	if (req->route != NULL && req->route->body == SK_BODY_UPLOAD)
		return (unsigned long long)cfg->max_upload;
	return (unsigned long long)cfg->max_body;
}

struct framing {
	int content_length; /* Content-Length headers */
	int transfer_encoding;
	bool te_not_chunked;  /* a Transfer-Encoding other than exactly "chunked" */
	bool spaced_name;     /* a header name with a blank in it ("Content-Length : 5") */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if (strpbrk(key, " \t") != NULL)
		f->spaced_name = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		if (value == NULL || strcasecmp(value, "chunked") != 0)
			f->te_not_chunked = true;
	}
	return MHD_YES;
}

/*
 * Why the request's body cannot be told apart from the next request without guessing (what
 * request smuggling feeds on), or NULL when its framing is unambiguous. libmicrohttpd 0.9.75
 * takes the first Content-Length, lets Transfer-Encoding win over Content-Length, and reads an
 * unknown transfer coding ("xchunked") as a body that lasts until the connection closes; a proxy
 * in front may choose otherwise. So any doubt is refused.
 */
static const char *framing_problem(struct MHD_Connection *conn, const char *version)
{
	struct framing f = { 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.spaced_name)
		return "A header name contains a blank.";
	if (f.content_length > 1)
		return "The request has more than one Content-Length header.";
	if (f.transfer_encoding > 0 && f.content_length > 0)
		return "The request has both Content-Length and Transfer-Encoding.";
	if (f.transfer_encoding > 1 || f.te_not_chunked)
		return "The only transfer coding accepted is Transfer-Encoding: chunked, once.";
	if (f.transfer_encoding > 0 && strcmp(version, MHD_HTTP_VERSION_1_1) != 0)
		return "Transfer-Encoding needs HTTP/1.1.";
	return NULL;
}

/* Decides, from the headers alone, an error to answer before reading any body. */
static void check_early(struct sk_request *req, const char *version)
{
	req->framing_error = framing_problem(req->conn, version);
	if (req->framing_error != NULL) {
		req->early_status = 400;
		return;
	}
	char allow[64];
	enum sk_match m = SK_MATCH_NONE;
	if (is_api(req->url))
		m = sk_route_find(req->method, req->url, &req->route, req->params, &req->nparams, allow,
				  sizeof allow);
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
	if (length > body_limit(req)) {
		req->early_status = 413;
		return;
	}
	if (m == SK_MATCH_OK && req->route->body == SK_BODY_JSON) {
		const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!is_json_content_type(ct))
			req->early_status = 415;
	}
}

static void reply_early(struct sk_request *req)
{
	if (req->early_status == 400) {
		/* Where this request ends is unknown, so nothing after it on this connection can be read. */
		sk_reply_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
		sk_reply_error(req, 400, "bad_framing", NULL, "%s", req->framing_error);
	} else if (req->early_status == 413)
		sk_reply_error(req, 413, "payload_too_large", NULL,
			       "The request body is larger than the limit of %llu bytes.", body_limit(req));
	else
		sk_reply_error(req, 415, "unsupported_media_type", NULL,
			       "Send the body as JSON with the header Content-Type: application/json.");
}

static void dispatch_api(struct sk_request *req)
{
	char allow[64];
	enum sk_match m = sk_route_find(req->method, req->url, &req->route, req->params, &req->nparams,
					allow, sizeof allow);
	if (m == SK_MATCH_NONE) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such address in the API.");
		return;
	}
	if (m == SK_MATCH_METHOD) {
		sk_reply_header(req, "Allow", allow);
		sk_reply_error(req, 405, "method_not_allowed", NULL, "This address accepts only %s.", allow);
		return;
	}
	const struct sk_route *route = req->route;
	if (route->body == SK_BODY_NONE && req->body_len > 0) {
		sk_reply_error(req, 400, "unexpected_body", NULL, "This request takes no body.");
		return;
	}
	bool replied = false;
	/* Public routes that take no body need no session (and no database). */
	if (route->access != SK_PUBLIC || route->body != SK_BODY_NONE) {
		/* GET /api/v1/me answers from what the session lookup returns: one round trip. */
		sk_auth_load(req, route->handler == accounts_me, &replied);
		if (replied)
			return;
	}
	if (route->access == SK_SIGNED_IN && !req->has_session) {
		sk_reply_error(req, 401, "unauthenticated", NULL, "Please log in first.");
		return;
	}
	if (req->has_session && changes_state(req->method) && route->access != SK_PUBLIC &&
	    !sk_auth_csrf_ok(req)) {
		sk_reply_error(req, 403, "csrf_failed", NULL,
			       "The request lacks a valid X-CSRF-Token header. Reload the page and try again.");
		return;
	}
	route->handler(req);
	if (!req->replied) {
		sk_error("req=%s handler for %s %s did not reply", req->id, route->method, route->pattern);
		sk_reply_error(req, 500, "internal", NULL, "Something went wrong on the server. The request id is %s.",
			       req->id);
	}
}

/* /results/{id}: the published results page, with link previews filled in. */
static void serve_results_page(struct sk_request *req)
{
	char *end;
	long long id = strtoll(req->url + 9, &end, 10);
	if (id <= 0 || *end != '\0' || end == req->url + 9) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such page.");
		return;
	}
	results_page(req, id);
	if (!req->replied && !req->queue_failed)
		sk_reply_error(req, 500, "internal", NULL, "The results page could not be built.");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct sk_server *srv = cls;
	struct sk_request *req = *con_cls;
	if (req == NULL) {
		sk_watchdog_headers_done(srv->watchdog, conn);
		req = calloc(1, sizeof *req);
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		req->srv = srv;
		req->conn = conn;
		req->method = method;
		req->url = url;
		clock_gettime(CLOCK_MONOTONIC, &req->t0);
		snprintf(req->id, sizeof req->id, "%08x%08llx", request_prefix,
			 (unsigned long long)atomic_fetch_add(&request_counter, 1) & 0xffffffffULL);
		request_client(srv, conn, req->ip, sizeof req->ip);
		req->now = request_now(req);
		check_early(req, version);
		/* An error known from the headers alone is answered now, before the body is read. */
		if (req->early_status) {
			reply_early(req);
			return MHD_YES;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0)
		sk_watchdog_body_progress(srv->watchdog, conn, *upload_data_size);
	else
		sk_watchdog_body_done(srv->watchdog, conn);
	if (req->replied) { /* an early error: discard whatever body still arrives */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->early_status) {
		/* The error is known but could not be sent mid-body: drop the rest (up to a bound, then
		 * close the connection), and answer when the body ends. */
		req->discarded += *upload_data_size;
		if (*upload_data_size > 0) {
			*upload_data_size = 0;
			return req->discarded > 4 * body_limit(req) + 65536 ? MHD_NO : MHD_YES;
		}
		req->queue_failed = false;
		reply_early(req);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->body_len + n > body_limit(req)) {
			req->early_status = 413;
			free(req->body);
			req->body = NULL;
			req->body_len = req->body_cap = 0;
			reply_early(req);
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap) {
			size_t cap = req->body_cap ? req->body_cap : 4096;
			while (cap < req->body_len + n + 1)
				cap *= 2;
			char *nb = realloc(req->body, cap);
			if (nb == NULL)
				return MHD_NO;
			req->body = nb;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (is_api(url))
		dispatch_api(req);
	else if (!strncmp(url, "/results/", 9) && !strcmp(method, "GET"))
		serve_results_page(req);
	else if (!strncmp(url, "/cards/", 7) && !strcmp(method, "GET"))
		share_card(req);
	else if (!share_page(req))
		sk_static_serve(req);
	/* The reply is queued and owns its body (a copy, or memory it frees itself), so the pool
	 * connection can go back now rather than after the socket write. */
	request_release_db(req);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sk_server *srv = cls;
	sk_watchdog_request_done(srv->watchdog, conn);
	struct sk_request *req = *con_cls;
	if (req == NULL)
		return;
	if (srv->cfg->access_log) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - req->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - req->t0.tv_nsec) / 1e6;
		const char *what = req->route ? req->route->pattern : (is_api(req->url) ? "(api)" : "(static)");
		sk_info("req=%s %s %s status=%u dur_ms=%.2f%s", req->id, req->method, what, req->status, ms,
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	}
	request_free(req);
	*con_cls = NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding that never produces NUL: "%00" stays as is, and such a path is refused later. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			int v = hexval(r[1]) * 16 + hexval(r[2]);
			if (v != 0) {
				*w++ = (char)v;
				r += 3;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static bool parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (colon == NULL || (size_t)(colon - listen) >= sizeof host)
		return false;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return false;
	memset(ss, 0, sizeof *ss);
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, h, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof *in4;
		return true;
	}
	if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof *in6;
		return true;
	}
	return false;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	sk_warn("http: %s", msg);
}

/* Files the process needs besides its connections: listening and epoll sockets, the threads'
 * wake-up pipes, the database pool, the log, static files being sent. */
#define SK_SPARE_FILES 64

/*
 * Raises the soft limit on open files to the hard one and checks that max_connections fit in it.
 * Sets *max_fd to the limit. Returns false, with a message logged, when they do not fit.
 */
static bool raise_file_limit(const struct sk_config *cfg, size_t *max_fd)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		sk_error("cannot read the limit on open files: %s", strerror(errno));
		return false;
	}
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit want = rl;
		want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
		else
			sk_warn("cannot raise the limit on open files from %llu to %llu: %s",
				(unsigned long long)rl.rlim_cur, (unsigned long long)want.rlim_cur, strerror(errno));
	}
	rlim_t soft = rl.rlim_cur == RLIM_INFINITY ? 1048576 : rl.rlim_cur;
	if ((rlim_t)cfg->max_connections + SK_SPARE_FILES > soft) {
		sk_error("--max-connections %ld needs %ld open files, but the limit (RLIMIT_NOFILE) is %llu: raise "
			 "the hard limit (LimitNOFILE= in the systemd unit, ulimit -Hn) or lower --max-connections",
			 cfg->max_connections, cfg->max_connections + SK_SPARE_FILES, (unsigned long long)soft);
		return false;
	}
	*max_fd = (size_t)soft;
	return true;
}

struct sk_server *sk_server_start(const struct sk_config *cfg, struct sk_db *db, struct sk_db *read_db)
{
	struct sk_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return NULL;
	srv->cfg = cfg;
	srv->db = db;
	srv->read_db = read_db;
	pthread_mutex_init(&srv->lag_lock, NULL);
	randombytes_buf(&request_prefix, sizeof request_prefix);
	if (realpath(cfg->frontend_dir, srv->frontend_real) == NULL) {
		sk_warn("frontend folder %s not found: static pages will answer 404", cfg->frontend_dir);
		srv->frontend_real[0] = '\0';
	}
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (!parse_listen(cfg->listen, &ss, &sslen)) {
		sk_error("cannot understand the listen address '%s' (expected host:port)", cfg->listen);
		free(srv);
		return NULL;
	}
	struct sk_watchdog_limits limits = {
		.header_timeout = (double)cfg->header_timeout,
		.body_timeout = (double)cfg->body_timeout,
		.max_connections = cfg->max_connections,
	};
	if (!raise_file_limit(cfg, &limits.max_fd) || (srv->watchdog = sk_watchdog_start(&limits)) == NULL) {
		free(srv);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, sk_watchdog_notify, srv->watchdog,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
		MHD_OPTION_END);
	if (srv->daemon == NULL) {
		sk_error("cannot listen on %s (is the port in use?)", cfg->listen);
		sk_watchdog_stop(srv->watchdog);
		free(srv);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : 0;
	if (cfg->port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", cfg->port_file);
		FILE *f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%u\n", (unsigned)srv->port) < 0 || fclose(f) != 0 ||
		    rename(tmp, cfg->port_file) != 0)
			sk_warn("cannot write the port file %s: %s", cfg->port_file, strerror(errno));
	}
	return srv;
}

void sk_server_stop(struct sk_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->daemon);
	sk_watchdog_stop(srv->watchdog);
	free(srv);
}
