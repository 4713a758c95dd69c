/*
 * The HTTP core against the real daemon: every error code and its shape, the
 * body limits, JSON strictness, security headers, static files (types, ETag,
 * traversal attempts), per-address connection limits and the idle timeout.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static struct srv S;
static PGconn *PG;
static char FRONT[256]; /* the temporary frontend folder of the static suite */

/* ------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Checks that j is exactly {"error":{"code":code,"message":"<non-empty>","field":field|null}}. */
static void check_error_json(json_t *j, const char *code, const char *field, const char *body)
{
	cr_assert(json_is_object(j), "the error body is not a JSON object: %s", body ? body : "(none)");
	cr_assert_eq(json_object_size(j), 1, "the error body has extra keys: %s", body);
	json_t *e = json_object_get(j, "error");
	cr_assert(json_is_object(e), "no error object: %s", body);
	cr_assert_eq(json_object_size(e), 3, "error must have exactly code, message, field: %s", body);
	json_t *c = json_object_get(e, "code"), *m = json_object_get(e, "message"), *f = json_object_get(e, "field");
	cr_assert(json_is_string(c), "%s", body);
	cr_assert_str_eq(json_string_value(c), code, "%s", body);
	cr_assert(json_is_string(m) && json_string_length(m) > 0, "empty message: %s", body);
	cr_assert_not_null(f, "field is missing (it must be null or a name): %s", body);
	if (field == NULL) {
		cr_assert(json_is_null(f), "field should be null: %s", body);
	} else {
		cr_assert(json_is_string(f), "field should be \"%s\": %s", field, body);
		cr_assert_str_eq(json_string_value(f), field, "%s", body);
	}
}

static void assert_error(const struct resp *r, long status, const char *code, const char *field)
{
	cr_assert_eq(r->status, status, "expected %ld %s, got %ld: %s", status, code, r->status,
		     r->body ? r->body : "");
	char ct[128];
	cr_assert(resp_header(r, "Content-Type", ct, sizeof ct), "an error reply has no Content-Type");
	cr_assert(strncmp(ct, "application/json", 16) == 0, "error Content-Type is %s", ct);
	check_error_json(r->json, code, field, r->body);
}

/* The five security headers every reply carries. */
static void check_security_headers(const struct resp *r, const char *what)
{
	char v[1024];
	cr_assert(resp_header(r, "Content-Security-Policy", v, sizeof v), "%s: no CSP", what);
	cr_assert_not_null(strstr(v, "frame-ancestors 'none'"), "%s: CSP %s", what, v);
	cr_assert_not_null(strstr(v, "default-src 'self'"), "%s: CSP %s", what, v);
	cr_assert(resp_header(r, "X-Content-Type-Options", v, sizeof v), "%s: no X-Content-Type-Options", what);
	cr_assert_str_eq(v, "nosniff", "%s", what);
	cr_assert(resp_header(r, "Referrer-Policy", v, sizeof v), "%s: no Referrer-Policy", what);
	cr_assert_str_eq(v, "strict-origin-when-cross-origin", "%s", what);
	cr_assert(resp_header(r, "X-Frame-Options", v, sizeof v), "%s: no X-Frame-Options", what);
	cr_assert_str_eq(v, "DENY", "%s", what);
	cr_assert(resp_header(r, "X-Request-Id", v, sizeof v), "%s: no X-Request-Id", what);
	cr_assert_gt(strlen(v), 0, "%s", what);
}

/*
 * A 304 repeats none of them (the browser keeps those of the response it stored: RFC 9111,
 * 4.3.4), only its validator, Cache-Control, Vary and X-Request-Id: a repeat visit to a page is
 * mostly 304s (issue 11), and the policy headers were 450 of their 650 bytes.
 */
static void check_no_security_headers_on_304(const struct resp *r, const char *what)
{
	char v[1024];
	static const char *const policy[] = { "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
					      "X-Frame-Options", "Cross-Origin-Opener-Policy", "Permissions-Policy" };
	for (size_t i = 0; i < sizeof policy / sizeof *policy; i++)
		cr_assert_not(resp_header(r, policy[i], v, sizeof v), "%s: %s repeated on a 304", what, policy[i]);
	cr_assert(resp_header(r, "Cache-Control", v, sizeof v), "%s: no Cache-Control", what);
	cr_assert(resp_header(r, "X-Request-Id", v, sizeof v), "%s: no X-Request-Id", what);
}

/* The same on a raw reply (headers as text). */
static void check_security_headers_raw(const char *reply, const char *what)
{
	cr_assert_not_null(strcasestr(reply, "\r\nContent-Security-Policy: "), "%s: no CSP: %s", what, reply);
	cr_assert_not_null(strstr(reply, "frame-ancestors 'none'"), "%s", what);
	cr_assert_not_null(strcasestr(reply, "\r\nX-Content-Type-Options: nosniff\r\n"), "%s", what);
	cr_assert_not_null(strcasestr(reply, "\r\nReferrer-Policy: strict-origin-when-cross-origin\r\n"), "%s", what);
	cr_assert_not_null(strcasestr(reply, "\r\nX-Request-Id: "), "%s", what);
}

/* A TCP connection to s, from source_ip when not NULL. */
static int tcp_connect(const struct srv *s, const char *source_ip)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	if (source_ip) {
		struct sockaddr_in b = { .sin_family = AF_INET };
		inet_pton(AF_INET, source_ip, &b.sin_addr);
		cr_assert_eq(bind(fd, (struct sockaddr *)&b, sizeof b), 0, "bind %s: %s", source_ip, strerror(errno));
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
	return fd;
}

/* Sends everything it can; false when the peer is gone (never raises SIGPIPE). */
static bool tcp_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Reads one reply (headers, then Content-Length bytes of body) within
 * timeout_ms in all. Returns the bytes read (0: closed or reset without a
 * reply, or nothing in time); *closed tells whether the peer closed.
 */
static size_t read_reply(int fd, char *buf, size_t sz, int timeout_ms, bool *closed)
{
	size_t got = 0;
	double end = now_s() + timeout_ms / 1000.0;
	if (closed)
		*closed = false;
	buf[0] = '\0';
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0 || got >= sz - 1)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, left) <= 0)
			break;
		ssize_t n = recv(fd, buf + got, sz - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (closed)
				*closed = true;
			break;
		}
		got += (size_t)n;
		buf[got] = '\0';
		const char *hend = strstr(buf, "\r\n\r\n");
		if (hend) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			long want = cl && cl < hend ? atol(cl + 17) : 0;
			if ((long)(buf + got - (hend + 4)) >= want)
				break;
		}
	}
	buf[got] = '\0';
	return got;
}

static int reply_status(const char *reply)
{
	int status = 0;
	if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

/* The JSON body of a raw reply (caller decrefs), or NULL. */
static json_t *reply_json(const char *reply)
{
	const char *b = strstr(reply, "\r\n\r\n");
	return b ? json_loads(b + 4, 0, NULL) : NULL;
}

/* Waits (bounded) until the peer closes fd; returns the seconds it took, or -1 on timeout. */
static double wait_closed(int fd, int timeout_ms)
{
	double t0 = now_s(), end = t0 + timeout_ms / 1000.0;
	char buf[4096];
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, left) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return now_s() - t0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return now_s() - t0;
	}
}

/* A login nobody else uses. */
static void rand_email(char out[64])
{
	char code[12];
	rand_code(code);
	snprintf(out, 64, "http.%s.%ld@example.vn", code, random() % 1000000);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static long long accounts_with_login(const char *login)
{
	const char *p[] = { login };
	return db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* ------------------------------------------------------------------------- */
/* Suites                                                                     */
/* ------------------------------------------------------------------------- */

static void up_default(void)
{
	signal(SIGPIPE, SIG_IGN);
	srv_start(&S, NULL, NULL);
	PG = db_connect(NULL);
}

static void up_small_body(void)
{
	signal(SIGPIPE, SIG_IGN);
	const char *env[] = { "SANGKIEN_MAX_BODY=1024", "SANGKIEN_JSON_MAX_DEPTH=4", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };

static void remove_front(void)
{
	if (FRONT[0]) {
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", FRONT);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", FRONT);
		FRONT[0] = '\0';
	}
}

static void up_static(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(FRONT, sizeof FRONT, "/tmp/sk-front-XXXXXX");
	cr_assert_not_null(mkdtemp(FRONT));
	atexit(remove_front); /* also when the server fails to start and fini is skipped */
	const char *index = "<!doctype html><title>Sáng kiến</title><p>trang chủ</p>\n";
	write_file(FRONT, "index.html", index, strlen(index));
	write_file(FRONT, "app.css", "body { color: #222; }\n", 22);
	write_file(FRONT, "app.js", "console.log('xin chào');\n", strlen("console.log('xin chào');\n"));
	write_file(FRONT, "a.json", "{\"ok\":true}\n", 12);
	write_file(FRONT, "logo.png", png, sizeof png);
	write_file(FRONT, "icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n", 42);
	write_file(FRONT, ".hidden", "do not serve\n", 13);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/sub", FRONT);
	cr_assert_eq(mkdir(sub, 0755), 0);
	write_file(sub, "index.html", "<p>sub</p>\n", 11);
	char link[300];
	snprintf(link, sizeof link, "%s/evil", FRONT);
	cr_assert_eq(symlink("/etc/passwd", link), 0);
	snprintf(link, sizeof link, "%s/evildir", FRONT);
	cr_assert_eq(symlink("/etc", link), 0);
	char env_dir[320];
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_FRONTEND_DIR=%s", FRONT);
	const char *env[] = { env_dir, NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void up_per_ip(void)
{
	signal(SIGPIPE, SIG_IGN);
	const char *env[] = { "SANGKIEN_MAX_PER_IP=3", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void up_idle(void)
{
	signal(SIGPIPE, SIG_IGN);
	const char *env[] = { "SANGKIEN_IDLE_TIMEOUT=1", NULL };
	srv_start(&S, NULL, env);
	PG = db_connect(NULL);
}

static void down(void)
{
	srv_stop(&S);
	if (PG)
		PQfinish(PG);
	PG = NULL;
	remove_front();
}

TestSuite(http, .init = up_default, .fini = down, .timeout = 60);
TestSuite(http_limits, .init = up_small_body, .fini = down, .timeout = 60);
TestSuite(http_static, .init = up_static, .fini = down, .timeout = 60);
TestSuite(http_conn, .fini = down, .timeout = 60);

/* ------------------------------------------------------------------------- */
/* Routing errors: 404, 405                                                   */
/* ------------------------------------------------------------------------- */

Test(http, unknown_api_paths_are_404_json)
{
	struct client c;
	client_init(&c, &S);
	const char *paths[] = { "/api/v1/nope", "/api/v2/version", "/api", "/api/", "/api/v1/version/extra",
				"/api/v1/HEALTH", "/api/v1/health/", "/api/v1//health" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct resp *r = http(&c, "GET", paths[i], NULL, NULL);
		assert_error(r, 404, "not_found", NULL);
		check_security_headers(r, paths[i]);
		resp_free(r);
	}
	/* A missing static file is a JSON 404 as well. */
	struct resp *r = http(&c, "GET", "/no-such-page-anywhere.html", NULL, NULL);
	assert_error(r, 404, "not_found", NULL);
	resp_free(r);
	client_cleanup(&c);
}

/* True when the Allow value lists method as one of its comma-separated tokens. */
static bool allow_lists(const char *allow, const char *method)
{
	size_t n = strlen(method);
	for (const char *p = allow; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ", ");
		if (len == n && strncmp(p, method, n) == 0)
			return true;
		p += len;
	}
	return false;
}

Test(http, wrong_method_is_405_with_allow)
{
	struct client c;
	client_init(&c, &S);
	struct {
		const char *method, *path, *allow;
		bool exact; /* routes that will never take another method */
	} cases[] = {
		{ "PUT", "/api/v1/me", "GET", false },
		{ "POST", "/api/v1/health", "GET", true },
		{ "DELETE", "/api/v1/version", "GET", true },
		{ "GET", "/api/v1/accounts", "POST", false },
		{ "PATCH", "/api/v1/sessions", "POST", false },
		{ "GET", "/api/v1/sessions/current", "DELETE", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct resp *r = http(&c, cases[i].method, cases[i].path, NULL, NULL);
		assert_error(r, 405, "method_not_allowed", NULL);
		char allow[128];
		cr_assert(resp_header(r, "Allow", allow, sizeof allow), "%s %s: no Allow header", cases[i].method,
			  cases[i].path);
		if (cases[i].exact)
			cr_assert_str_eq(allow, cases[i].allow, "%s %s", cases[i].method, cases[i].path);
		cr_assert(allow_lists(allow, cases[i].allow), "%s %s: Allow: %s", cases[i].method, cases[i].path, allow);
		cr_assert(!allow_lists(allow, cases[i].method), "%s %s: Allow: %s", cases[i].method, cases[i].path,
			  allow);
		check_security_headers(r, "405");
		resp_free(r);
	}
	/* A route with two methods lists both. */
	struct resp *r = http(&c, "PUT", "/api/v1/admin/roles", "{}", NULL);
	assert_error(r, 405, "method_not_allowed", NULL);
	char allow[128];
	cr_assert(resp_header(r, "Allow", allow, sizeof allow));
	cr_assert(allow_lists(allow, "POST"), "%s", allow);
	cr_assert(allow_lists(allow, "DELETE"), "%s", allow);
	resp_free(r);
	client_cleanup(&c);
}

/* ------------------------------------------------------------------------- */
/* 415                                                                        */
/* ------------------------------------------------------------------------- */

Test(http, json_routes_need_a_json_content_type)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	const char *bad[] = {
		"Content-Type: text/plain",
		"Content-Type:", /* curl: send no Content-Type at all */
		"Content-Type: application/x-www-form-urlencoded",
		"Content-Type: application/jsonp",
		"Content-Type: application/json; charset=iso-8859-1",
		"Content-Type: multipart/form-data; boundary=x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char email[64], body[512];
		rand_email(email);
		snprintf(body, sizeof body,
			 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld}", email,
			 TEST_PASSWORD, (long long)ward);
		const char *h[] = { bad[i], NULL };
		struct resp *r = http(&c, "POST", "/api/v1/accounts", body, h);
		assert_error(r, 415, "unsupported_media_type", NULL);
		resp_free(r);
		cr_assert_eq(accounts_with_login(email), 0, "%s: an account was created anyway", bad[i]);
	}
	/* Positive control: the same request with a JSON type (charset allowed) creates it. */
	char email[64], body[512];
	rand_email(email);
	snprintf(body, sizeof body,
		 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld}", email,
		 TEST_PASSWORD, (long long)ward);
	const char *h[] = { "Content-Type: Application/JSON; charset=utf-8", NULL };
	struct resp *r = http(&c, "POST", "/api/v1/accounts", body, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	cr_assert_eq(accounts_with_login(email), 1);
	client_cleanup(&c);
}

/* ------------------------------------------------------------------------- */
/* 400 invalid_json                                                           */
/* ------------------------------------------------------------------------- */

static void expect_invalid_json(struct client *c, const char *body)
{
	/* http() sends strlen(body) bytes untouched, \xff included (bodies with NUL go raw, below). */
	struct resp *r = http(c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 400, "%s: %ld %s", body, r->status, r->body);
	assert_error(r, 400, "invalid_json", NULL);
	resp_free(r);
}

Test(http, bodies_that_are_not_a_strict_json_object_are_invalid_json)
{
	struct client c;
	client_init(&c, &S);
	const char *cases[] = {
		"hello",
		"",
		"[]",
		"[{\"login\":\"a@b.vn\"}]",
		"\"just a string\"",
		"42",
		"null",
		"{\"login\":\"a@b.vn\",}",
		"{'login':'a@b.vn'}",
		"{\"login\":\"a@b.vn\"} {}",
		/* duplicate keys */
		"{\"login\":\"a@b.vn\",\"login\":\"b@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\",\"ward_id\":1}",
		/* invalid UTF-8 inside a string: a stray byte, an overlong '/', a UTF-16 surrogate */
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\xff\",\"ward_id\":1}",
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\xc0\xaf\",\"ward_id\":1}",
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\xed\xa0\x80\",\"ward_id\":1}",
		/* NUL and lone surrogates written as escapes */
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\\u0000B\",\"ward_id\":1}",
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\\u0000\",\"display_name\":\"A\",\"ward_id\":1}",
		"{\"login\":\"a@b.vn\",\"password\":\"0123456789\",\"display_name\":\"A\\ud800\",\"ward_id\":1}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_invalid_json(&c, cases[i]);
	client_cleanup(&c);
}

/* {"login": [[...1...]]} with `arrays` levels of arrays: depth arrays + 1. */
static char *nested(int arrays)
{
	size_t len = 16 + 2 * (size_t)arrays + 4;
	char *b = malloc(len);
	size_t w = 0;
	w += (size_t)sprintf(b, "{\"login\":");
	for (int i = 0; i < arrays; i++)
		b[w++] = '[';
	b[w++] = '1';
	for (int i = 0; i < arrays; i++)
		b[w++] = ']';
	b[w++] = '}';
	b[w] = '\0';
	return b;
}

Test(http, nesting_deeper_than_the_limit_is_invalid_json)
{
	struct client c;
	client_init(&c, &S);
	/* 32 levels (the default limit) pass the parser and fail on the field instead. */
	char *ok = nested(31);
	struct resp *r = http(&c, "POST", "/api/v1/accounts", ok, NULL);
	assert_error(r, 400, "invalid_field", "login");
	resp_free(r);
	free(ok);
	/* 33 levels, and far deeper, are refused as JSON. */
	int deeper[] = { 32, 100, 5000, 100000 };
	for (size_t i = 0; i < sizeof deeper / sizeof deeper[0]; i++) {
		char *b = nested(deeper[i]);
		r = http(&c, "POST", "/api/v1/accounts", b, NULL);
		assert_error(r, 400, "invalid_json", NULL);
		resp_free(r);
		free(b);
	}
	/* Objects count too. */
	char body[1024];
	size_t w = (size_t)sprintf(body, "{\"login\":");
	for (int i = 0; i < 32; i++)
		w += (size_t)sprintf(body + w, "{\"a\":");
	w += (size_t)sprintf(body + w, "1");
	for (int i = 0; i < 33; i++)
		body[w++] = '}';
	body[w] = '\0';
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	assert_error(r, 400, "invalid_json", NULL);
	resp_free(r);
	/* The server is still fine. */
	r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
}

Test(http, a_body_with_a_raw_nul_byte_is_refused)
{
	/* A NUL byte outside any string, sent raw: JSON text cannot contain one. */
	static const char body[] = "{\"login\":\"a@b.vn\"}\0{}";
	char req[512];
	int n = snprintf(req, sizeof req,
			 "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 sizeof body - 1);
	memcpy(req + n, body, sizeof body - 1);
	int fd = tcp_connect(&S, NULL);
	cr_assert(tcp_send(fd, req, (size_t)n + sizeof body - 1));
	char reply[16384];
	read_reply(fd, reply, sizeof reply, 5000, NULL);
	close(fd);
	cr_assert_eq(reply_status(reply), 400, "%s", reply);
	json_t *j = reply_json(reply);
	check_error_json(j, "invalid_json", NULL, reply);
	json_decref(j);
}

/* ------------------------------------------------------------------------- */
/* 400 invalid_field                                                          */
/* ------------------------------------------------------------------------- */

static void expect_field(struct client *c, const char *body, const char *field)
{
	struct resp *r = http(c, "POST", "/api/v1/accounts", body, NULL);
	assert_error(r, 400, "invalid_field", field);
	resp_free(r);
}

Test(http, field_errors_name_the_field)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char email[64], b[1024];
	rand_email(email);
	long long w = (long long)ward;
	const char *pw = TEST_PASSWORD;
#define BODY(...) (snprintf(b, sizeof b, __VA_ARGS__), b)
	/* an unknown key */
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld,\"nickname\":\"x\"}",
			      email, pw, w), "nickname");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld,\"is_admin\":true}",
			      email, pw, w), "is_admin");
	/* missing required fields */
	expect_field(&c, BODY("{\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld}", pw, w), "login");
	expect_field(&c, BODY("{\"login\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld}", email, w), "password");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"ward_id\":%lld}", email, pw, w), "display_name");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\"}", email, pw), "ward_id");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":null}", email, pw),
		     "ward_id");
	expect_field(&c, "{}", "login");
	/* wrong types */
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":\"%lld\"}", email,
			      pw, w), "ward_id");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld.5}", email,
			      pw, w), "ward_id");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":true}", email, pw),
		     "ward_id");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":-3}", email, pw),
		     "ward_id");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":5,\"ward_id\":%lld}", email, pw, w),
		     "display_name");
	expect_field(&c, BODY("{\"login\":[\"%s\"],\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld}", email,
			      pw, w), "login");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":{},\"display_name\":\"A\",\"ward_id\":%lld}", email, w),
		     "password");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld,\"group_id\":\"1\"}",
			      email, pw, w), "group_id");
	/* bad logins */
	const char *logins[] = { "not a login", "0123456789", "+1 202 555 0100", "090123456", "a@b", "@example.vn",
				 "a@@example.vn", "0901234567x" };
	for (size_t i = 0; i < sizeof logins / sizeof logins[0]; i++)
		expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld}",
				      logins[i], pw, w), "login");
	/* passwords: 9 characters is too short (also 9 Vietnamese letters, more than 10 bytes) */
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"123456789\",\"display_name\":\"A\",\"ward_id\":%lld}", email,
			      w), "password");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"mậtkhẩuơi\",\"display_name\":\"A\",\"ward_id\":%lld}", email,
			      w), "password");
	/* display names: empty, blank, a control character, a line break */
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"\",\"ward_id\":%lld}", email, pw, w),
		     "display_name");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"   \",\"ward_id\":%lld}", email, pw,
			      w), "display_name");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\\u0007B\",\"ward_id\":%lld}", email,
			      pw, w), "display_name");
	expect_field(&c, BODY("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\\nB\",\"ward_id\":%lld}", email,
			      pw, w), "display_name");
#undef BODY
	cr_assert_eq(accounts_with_login(email), 0, "none of these may create the account");
	client_cleanup(&c);
}

static struct resp *register_named(struct client *c, const char *login, const char *password, const char *name,
				   int64_t ward)
{
	char *b = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&b, &len);
	fprintf(m, "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"%s\",\"ward_id\":%lld}", login, password,
		name, (long long)ward);
	fclose(m);
	struct resp *r = http(c, "POST", "/api/v1/accounts", b, NULL);
	free(b);
	return r;
}

static char *repeat(const char *unit, int times)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * (size_t)times + 1);
	for (int i = 0; i < times; i++)
		memcpy(s + ul * (size_t)i, unit, ul);
	s[ul * (size_t)times] = '\0';
	return s;
}

Test(http, display_name_length_counts_characters_not_bytes)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char email[64];

	/* 101 ASCII characters: too long. */
	char *s = repeat("a", 101);
	rand_email(email);
	struct resp *r = register_named(&c, email, TEST_PASSWORD, s, ward);
	assert_error(r, 400, "invalid_field", "display_name");
	resp_free(r);
	free(s);
	cr_assert_eq(accounts_with_login(email), 0);

	/* 101 Vietnamese letters: too long. */
	s = repeat("ệ", 101);
	r = register_named(&c, email, TEST_PASSWORD, s, ward);
	assert_error(r, 400, "invalid_field", "display_name");
	resp_free(r);
	free(s);

	/* 100 Vietnamese letters with diacritics (300 bytes): accepted and stored whole. */
	s = repeat("ệ", 100);
	cr_assert_eq(strlen(s), 300);
	r = register_named(&c, email, TEST_PASSWORD, s, ward);
	cr_assert_eq(r->status, 201, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "account"), "display_name")), s);
	resp_free(r);
	free(s);

	/* A 100-letter name mixing words and spaces, typed decomposed (NFD: 2-3 code points per
	   letter): counted after composition, so accepted too. */
	s = repeat("Nguye\xcc\x82\xcc\x83n ", 14); /* "Nguyễn " x14 = 98 characters */
	char name[1024];
	snprintf(name, sizeof name, "%sAn", s); /* 100 characters */
	free(s);
	rand_email(email);
	r = register_named(&c, email, TEST_PASSWORD, name, ward);
	cr_assert_eq(r->status, 201, "%s", r->body);
	const char *stored = json_string_value(json_object_get(json_object_get(r->json, "account"), "display_name"));
	cr_assert_not_null(strstr(stored, "Nguyễn Nguyễn"), "stored composed: %s", stored);
	resp_free(r);

	/* A 10-character password is long enough. */
	rand_email(email);
	r = register_named(&c, email, "0123456789", "Mười ký tự", ward);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	client_cleanup(&c);
}

/* ------------------------------------------------------------------------- */
/* 400 unexpected_body                                                        */
/* ------------------------------------------------------------------------- */

Test(http, a_body_on_a_route_that_takes_none_is_refused)
{
	const char *reqs[] = {
		"GET /api/v1/version HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
		"GET /api/v1/version HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
		"5\r\nhello\r\n0\r\n\r\n",
		"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
		"Connection: close\r\n\r\n{}",
	};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		int fd = tcp_connect(&S, NULL);
		cr_assert(tcp_send(fd, reqs[i], strlen(reqs[i])));
		char reply[16384];
		read_reply(fd, reply, sizeof reply, 5000, NULL);
		close(fd);
		cr_assert_eq(reply_status(reply), 400, "%s", reply);
		json_t *j = reply_json(reply);
		check_error_json(j, "unexpected_body", NULL, reply);
		json_decref(j);
	}
}

/* ------------------------------------------------------------------------- */
/* Headers and request ids                                                    */
/* ------------------------------------------------------------------------- */

Test(http, every_reply_carries_the_security_headers)
{
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r->json, "name")), "sangkien");
	check_security_headers(r, "JSON reply");
	resp_free(r);
	r = http(&c, "GET", "/api/v1/missing", NULL, NULL);
	check_security_headers(r, "error reply");
	resp_free(r);
	r = http(&c, "POST", "/api/v1/accounts", "[]", NULL);
	check_security_headers(r, "400 reply");
	resp_free(r);
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	assert_error(r, 401, "unauthenticated", NULL);
	check_security_headers(r, "401 reply");
	resp_free(r);
	r = http(&c, "HEAD", "/api/v1/version", NULL, NULL);
	check_security_headers(r, "HEAD reply");
	resp_free(r);
	client_cleanup(&c);
}

/* A registration that would succeed, framed in a way that leaves its end in doubt. */
Test(http, ambiguous_framing_is_400_bad_framing_and_changes_nothing)
{
	int64_t ward = seed_ward(PG, NULL);
	const char *framings[] = {
		"Content-Length: %zu\r\nContent-Length: %zu\r\n\r\n%s",
		"Content-Length: %zu\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
		"Transfer-Encoding: xchunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked, chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
		"Content-Length : %zu\r\n\r\n%s",
	};
	for (size_t i = 0; i < sizeof framings / sizeof framings[0]; i++) {
		char email[64], body[512], req[2048], head[1024];
		rand_email(email);
		snprintf(body, sizeof body,
			 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld}", email,
			 TEST_PASSWORD, (long long)ward);
		size_t n = strlen(body);
		snprintf(head, sizeof head, "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s",
			 framings[i]);
		if (i <= 1) /* a length, then a length or a chunk size */
			snprintf(req, sizeof req, head, n, n, body);
		else
			snprintf(req, sizeof req, head, n, body);
		char reply[16384];
		int st = raw_status(&S, req, reply, sizeof reply);
		cr_assert_eq(st, 400, "framing %zu answered %d: %s", i, st, reply);
		json_t *j = reply_json(reply);
		check_error_json(j, "bad_framing", NULL, reply);
		json_decref(j);
		check_security_headers_raw(reply, "bad_framing reply");
		cr_assert_not_null(strcasestr(reply, "\r\nConnection: close\r\n"), "framing %zu: %s", i, reply);
		const char *p[] = { email };
		cr_assert_eq(db_int(PG, "SELECT count(*) FROM accounts WHERE login = $1", 1, p), 0,
			     "framing %zu: the account was created", i);
	}
}

Test(http, request_ids_differ_and_appear_in_the_log)
{
	struct client c;
	client_init(&c, &S);
	char ids[5][64];
	for (int i = 0; i < 5; i++) {
		struct resp *r = http(&c, "GET", i % 2 ? "/api/v1/version" : "/api/v1/nope", NULL, NULL);
		cr_assert(resp_header(r, "X-Request-Id", ids[i], sizeof ids[i]));
		cr_assert_geq(strlen(ids[i]), 8, "%s", ids[i]);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(ids[i], ids[j], "two replies share the request id %s", ids[i]);
		resp_free(r);
	}
	/* The access log names each request by its id (the line is written as the request ends). */
	char want[80];
	snprintf(want, sizeof want, "req=%s ", ids[4]);
	bool found = false;
	for (int i = 0; i < 100 && !found; i++) {
		char *log = srv_log(&S);
		found = log && strstr(log, want) != NULL;
		free(log);
		if (!found)
			usleep(20 * 1000);
	}
	cr_assert(found, "the log has no line with %s", want);
	client_cleanup(&c);
}

/* ------------------------------------------------------------------------- */
/* 413 (SANGKIEN_MAX_BODY=1024)                                               */
/* ------------------------------------------------------------------------- */

Test(http_limits, an_announced_length_over_the_limit_is_refused_before_the_body)
{
	/* Headers only: the body never comes, yet the answer must. */
	const char *reqs[] = {
		"POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 100000000\r\n\r\n",
		"POST /api/v1/sessions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: 1025\r\n\r\n",
		/* on a path that takes no body, and on a static path */
		"POST /api/v1/version HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n",
		"PUT /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		int fd = tcp_connect(&S, NULL);
		cr_assert(tcp_send(fd, reqs[i], strlen(reqs[i])));
		double t0 = now_s();
		char reply[16384];
		read_reply(fd, reply, sizeof reply, 5000, NULL);
		double took = now_s() - t0;
		close(fd);
		cr_assert_eq(reply_status(reply), 413, "request %zu: %s", i, reply);
		cr_assert_lt(took, 2.0, "the 413 took %.2f s", took);
		json_t *j = reply_json(reply);
		check_error_json(j, "payload_too_large", NULL, reply);
		json_decref(j);
		check_security_headers_raw(reply, "413");
	}
}

Test(http_limits, the_configured_json_depth_is_enforced)
{
	struct client c;
	client_init(&c, &S);
	char *b = nested(3); /* 4 levels: allowed, so the field itself is judged */
	struct resp *r = http(&c, "POST", "/api/v1/accounts", b, NULL);
	assert_error(r, 400, "invalid_field", "login");
	resp_free(r);
	free(b);
	b = nested(4); /* 5 levels */
	r = http(&c, "POST", "/api/v1/accounts", b, NULL);
	assert_error(r, 400, "invalid_json", NULL);
	resp_free(r);
	free(b);
	client_cleanup(&c);
}

/* A registration body for login padded with spaces to exactly len bytes. */
static char *padded_registration(const char *login, int64_t ward, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head,
			 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld}", login,
			 TEST_PASSWORD, (long long)ward);
	cr_assert_lt((size_t)n, len);
	char *b = malloc(len + 1);
	memcpy(b, head, (size_t)n);
	memset(b + n, ' ', len - (size_t)n);
	b[len] = '\0';
	return b;
}

Test(http_limits, a_body_at_the_limit_passes_and_one_byte_more_does_not)
{
	struct client c;
	client_init(&c, &S);
	int64_t ward = seed_ward(PG, NULL);
	char email[64];
	rand_email(email);
	char *b = padded_registration(email, ward, 1025);
	int fd = tcp_connect(&S, NULL);
	char req[2048];
	int n = snprintf(req, sizeof req,
			 "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			 "Content-Length: 1025\r\nConnection: close\r\n\r\n%s",
			 b);
	free(b);
	tcp_send(fd, req, (size_t)n);
	char reply[16384];
	read_reply(fd, reply, sizeof reply, 5000, NULL);
	close(fd);
	cr_assert_eq(reply_status(reply), 413, "%s", reply);
	cr_assert_eq(accounts_with_login(email), 0);

	b = padded_registration(email, ward, 1024);
	struct resp *r = http(&c, "POST", "/api/v1/accounts", b, NULL);
	free(b);
	cr_assert_eq(r->status, 201, "a body of exactly the limit must pass: %ld %s", r->status, r->body);
	resp_free(r);
	cr_assert_eq(accounts_with_login(email), 1);
	client_cleanup(&c);
}

/* Sends body as chunks of at most `chunk` bytes on fd; false when the server hung up. */
static bool send_chunked(int fd, const char *body, size_t chunk)
{
	size_t len = strlen(body);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		char head[32];
		int h = snprintf(head, sizeof head, "%zx\r\n", n);
		if (!tcp_send(fd, head, (size_t)h) || !tcp_send(fd, body + off, n) || !tcp_send(fd, "\r\n", 2))
			return false;
		usleep(20 * 1000); /* arrive as separate pieces, as a slow upload would */
	}
	return tcp_send(fd, "0\r\n\r\n", 5);
}

static const char chunked_head[] = "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
				   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

Test(http_limits, a_chunked_body_under_the_limit_is_accepted)
{
	int64_t ward = seed_ward(PG, NULL);
	char email[64];
	rand_email(email);
	char *b = padded_registration(email, ward, 900);
	int fd = tcp_connect(&S, NULL);
	cr_assert(tcp_send(fd, chunked_head, strlen(chunked_head)));
	cr_assert(send_chunked(fd, b, 300));
	free(b);
	char reply[16384];
	read_reply(fd, reply, sizeof reply, 10000, NULL);
	close(fd);
	cr_assert_eq(reply_status(reply), 201, "%s", reply);
	cr_assert_eq(accounts_with_login(email), 1);
}

Test(http_limits, a_chunked_body_growing_past_the_limit_is_refused)
{
	int64_t ward = seed_ward(PG, NULL);
	char email[64];
	rand_email(email);
	/* A valid registration: were the limit not enforced, it would create the account. */
	char *b = padded_registration(email, ward, 3000);
	int fd = tcp_connect(&S, NULL);
	cr_assert(tcp_send(fd, chunked_head, strlen(chunked_head)));
	send_chunked(fd, b, 400); /* the server may hang up half way: that is fine */
	free(b);
	double t0 = now_s();
	char reply[16384];
	read_reply(fd, reply, sizeof reply, 5000, NULL);
	double took = now_s() - t0;
	close(fd);
	cr_assert_eq(reply_status(reply), 413, "no 413 for a chunked body over the limit (waited %.1f s): '%s'", took,
		     reply);
	json_t *j = reply_json(reply);
	check_error_json(j, "payload_too_large", NULL, reply);
	json_decref(j);
	cr_assert_eq(accounts_with_login(email), 0, "the oversized body was stored");
}

Test(http_limits, an_endless_chunked_body_is_cut_off)
{
	/* Past the limit the server may drop what still arrives, but not forever: a client that
	   never ends its body is disconnected after a bounded amount. */
	int fd = tcp_connect(&S, NULL);
	cr_assert(tcp_send(fd, chunked_head, strlen(chunked_head)));
	char chunk[1024 + 16];
	int h = snprintf(chunk, sizeof chunk, "%x\r\n", 1024);
	memset(chunk + h, ' ', 1024);
	memcpy(chunk + h + 1024, "\r\n", 2);
	size_t sent = 0;
	double t0 = now_s();
	while (sent < (size_t)64 << 20 && now_s() - t0 < 10) {
		if (!tcp_send(fd, chunk, (size_t)h + 1026))
			break;
		sent += 1024;
	}
	double took = wait_closed(fd, 5000);
	close(fd);
	cr_assert_lt(sent, (size_t)32 << 20, "the server kept reading an endless body (%zu bytes sent)", sent);
	cr_assert_geq(took, 0, "the connection was not closed");
	/* And it still serves. */
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
}

/* ------------------------------------------------------------------------- */
/* Static files                                                               */
/* ------------------------------------------------------------------------- */

static void expect_static(struct client *c, const char *path, const char *type, const void *content, size_t len)
{
	struct resp *r = http(c, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body ? r->body : "");
	char v[256];
	cr_assert(resp_header(r, "Content-Type", v, sizeof v), "%s: no Content-Type", path);
	cr_assert_str_eq(v, type, "%s", path);
	cr_assert(resp_header(r, "ETag", v, sizeof v), "%s: no ETag", path);
	cr_assert(v[0] == '"' && v[strlen(v) - 1] == '"' && strlen(v) > 2, "%s: ETag %s is not quoted", path, v);
	cr_assert(resp_header(r, "Cache-Control", v, sizeof v), "%s: no Cache-Control", path);
	cr_assert_str_eq(v, "no-cache", "%s", path);
	cr_assert_eq(r->len, len, "%s: %zu bytes instead of %zu", path, r->len, len);
	cr_assert_eq(memcmp(r->body, content, len), 0, "%s: wrong content", path);
	check_security_headers(r, path);
	resp_free(r);
}

Test(http_static, files_are_served_with_their_types)
{
	struct client c;
	client_init(&c, &S);
	const char *index = "<!doctype html><title>Sáng kiến</title><p>trang chủ</p>\n";
	expect_static(&c, "/", "text/html; charset=utf-8", index, strlen(index));
	expect_static(&c, "/index.html", "text/html; charset=utf-8", index, strlen(index));
	expect_static(&c, "/app.css", "text/css; charset=utf-8", "body { color: #222; }\n", 22);
	const char *js = "console.log('xin chào');\n";
	expect_static(&c, "/app.js", "text/javascript; charset=utf-8", js, strlen(js));
	expect_static(&c, "/a.json", "application/json; charset=utf-8", "{\"ok\":true}\n", 12);
	expect_static(&c, "/logo.png", "image/png", png, sizeof png);
	expect_static(&c, "/icon.svg", "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n", 42);
	expect_static(&c, "/sub/", "text/html; charset=utf-8", "<p>sub</p>\n", 11);
	/* Missing files and folders without a slash are JSON 404s. */
	const char *missing[] = { "/nope.html", "/sub", "/sub/nope.css", "/app.css/", "/index.htm" };
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		struct resp *r = http(&c, "GET", missing[i], NULL, NULL);
		assert_error(r, 404, "not_found", NULL);
		check_security_headers(r, missing[i]);
		resp_free(r);
	}
	client_cleanup(&c);
}

Test(http_static, etag_revalidation_and_head)
{
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/app.css", NULL, NULL);
	cr_assert_eq(r->status, 200);
	char etag[128];
	cr_assert(resp_header(r, "ETag", etag, sizeof etag));
	resp_free(r);

	char inm[200];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *h[] = { inm, NULL };
	r = http(&c, "GET", "/app.css", NULL, h);
	cr_assert_eq(r->status, 304, "If-None-Match with the ETag: %ld", r->status);
	cr_assert_eq(r->len, 0, "a 304 has no body");
	char v[128];
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_eq(v, etag);
	check_no_security_headers_on_304(r, "304");
	resp_free(r);

	/* In a list of tags, too. */
	snprintf(inm, sizeof inm, "If-None-Match: \"zzz\", %s", etag);
	r = http(&c, "GET", "/app.css", NULL, h);
	cr_assert_eq(r->status, 304);
	resp_free(r);

	/* Another tag: the file again. */
	const char *other[] = { "If-None-Match: \"0-0-0\"", NULL };
	r = http(&c, "GET", "/app.css", NULL, other);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->len, 22);
	resp_free(r);

	/* HEAD: the headers of GET without the body. */
	r = http(&c, "HEAD", "/app.css", NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->len, 0);
	cr_assert(resp_header(r, "Content-Length", v, sizeof v));
	cr_assert_str_eq(v, "22");
	cr_assert(resp_header(r, "Content-Type", v, sizeof v));
	cr_assert_str_eq(v, "text/css; charset=utf-8");
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_eq(v, etag);
	resp_free(r);
	r = http(&c, "HEAD", "/", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);

	/* A changed file gets a new tag: the old one no longer matches. */
	write_file(FRONT, "app.css", "body { color: #000; margin: 0; }\n", 33);
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	r = http(&c, "GET", "/app.css", NULL, h);
	cr_assert_eq(r->status, 200, "a stale ETag must not get 304");
	cr_assert_eq(r->len, 33);
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_neq(v, etag);
	resp_free(r);
	client_cleanup(&c);
}

/* body gunzipped into a malloc'd buffer (*outlen bytes); NULL when it is not valid gzip. */
static unsigned char *gunzip(const char *body, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return NULL;
	size_t cap = 1 << 20;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)body;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = inflate(&z, Z_FINISH);
	*outlen = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* A compressible script of about 6 KB, with variant c. */
static char *big_js(char c)
{
	char *s = malloc(8192);
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(s + n, 8192 - n, "var %c%03d = 'đề xuất số %d';\n", c, i, i);
	return s;
}

static bool vary_has_accept_encoding(const struct resp *r)
{
	char v[256];
	return resp_header(r, "Vary", v, sizeof v) && strcasestr(v, "Accept-Encoding") != NULL;
}

Test(http_static, gzip_when_asked_identity_otherwise)
{
	char *js = big_js('a');
	write_file(FRONT, "big.js", js, strlen(js));
	struct client c;
	client_init(&c, &S);

	/* Not asked: the bytes as they are, with Vary. */
	struct resp *r = http(&c, "GET", "/big.js", NULL, NULL);
	cr_assert_eq(r->status, 200);
	char v[256], etag_id[128], etag_gz[128];
	cr_assert_not(resp_header(r, "Content-Encoding", v, sizeof v), "identity was not asked for: %s", v);
	cr_assert(vary_has_accept_encoding(r), "no Vary: Accept-Encoding");
	cr_assert_eq(r->len, strlen(js));
	cr_assert_eq(memcmp(r->body, js, r->len), 0);
	cr_assert(resp_header(r, "ETag", etag_id, sizeof etag_id));
	cr_assert(resp_header(r, "Cache-Control", v, sizeof v));
	cr_assert_str_eq(v, "no-cache");
	check_security_headers(r, "identity");
	resp_free(r);

	/* Asked: gzip that decompresses to the same bytes, smaller, with its own strong tag. */
	const char *gz[] = { "Accept-Encoding: gzip, deflate, br", NULL };
	r = http(&c, "GET", "/big.js", NULL, gz);
	cr_assert_eq(r->status, 200);
	cr_assert(resp_header(r, "Content-Encoding", v, sizeof v), "no gzip although asked");
	cr_assert_str_eq(v, "gzip");
	cr_assert(vary_has_accept_encoding(r));
	cr_assert(resp_header(r, "Content-Type", v, sizeof v));
	cr_assert_str_eq(v, "text/javascript; charset=utf-8");
	cr_assert_lt(r->len, strlen(js) / 3, "gzip is %zu bytes for %zu", r->len, strlen(js));
	size_t ulen = 0;
	unsigned char *u = gunzip(r->body, r->len, &ulen);
	cr_assert_not_null(u, "not valid gzip");
	cr_assert_eq(ulen, strlen(js));
	cr_assert_eq(memcmp(u, js, ulen), 0, "gzip decompresses to other bytes");
	free(u);
	cr_assert(resp_header(r, "ETag", etag_gz, sizeof etag_gz));
	cr_assert(etag_gz[0] == '"' && etag_gz[strlen(etag_gz) - 1] == '"', "strong tag: %s", etag_gz);
	cr_assert_str_neq(etag_gz, etag_id, "each encoding needs its own strong tag");
	check_security_headers(r, "gzip");
	resp_free(r);

	/* Stable: the same tags again. */
	r = http(&c, "GET", "/big.js", NULL, gz);
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_eq(v, etag_gz);
	resp_free(r);

	/* gzip refused with q=0: identity. */
	const char *no[] = { "Accept-Encoding: gzip;q=0, identity", NULL };
	r = http(&c, "GET", "/big.js", NULL, no);
	cr_assert_eq(r->status, 200);
	cr_assert_not(resp_header(r, "Content-Encoding", v, sizeof v));
	cr_assert_eq(r->len, strlen(js));
	resp_free(r);

	/* 304 for the gzip tag when gzip is asked, with Vary and no body. */
	char inm[200];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag_gz);
	const char *cond[] = { "Accept-Encoding: gzip", inm, NULL };
	r = http(&c, "GET", "/big.js", NULL, cond);
	cr_assert_eq(r->status, 304, "%ld", r->status);
	cr_assert_eq(r->len, 0);
	cr_assert(vary_has_accept_encoding(r));
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_eq(v, etag_gz);
	check_no_security_headers_on_304(r, "304 gzip");
	resp_free(r);
	client_cleanup(&c);
	free(js);
}

Test(http_static, the_etag_follows_the_content_not_the_clock)
{
	char *js = big_js('b');
	write_file(FRONT, "tag.js", js, strlen(js));
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/tag.js", NULL, NULL);
	char etag[128], v[128];
	cr_assert(resp_header(r, "ETag", etag, sizeof etag));
	resp_free(r);

	/* The same bytes written again (a redeploy): the same tag, so browsers keep their copy. */
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	write_file(FRONT, "tag.js", js, strlen(js));
	r = http(&c, "GET", "/tag.js", NULL, NULL);
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_eq(v, etag, "unchanged bytes, new tag");
	resp_free(r);

	/* Other bytes of the same length: a new tag, and gzip of the new bytes. */
	char *js2 = big_js('c');
	cr_assert_eq(strlen(js2), strlen(js));
	write_file(FRONT, "tag.js", js2, strlen(js2));
	char inm[200];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *h[] = { inm, NULL };
	r = http(&c, "GET", "/tag.js", NULL, h);
	cr_assert_eq(r->status, 200, "a stale tag must not get 304");
	cr_assert(resp_header(r, "ETag", v, sizeof v));
	cr_assert_str_neq(v, etag);
	cr_assert_eq(memcmp(r->body, js2, r->len), 0);
	resp_free(r);
	const char *gz[] = { "Accept-Encoding: gzip", NULL };
	r = http(&c, "GET", "/tag.js", NULL, gz);
	size_t ulen = 0;
	unsigned char *u = gunzip(r->body, r->len, &ulen);
	cr_assert_not_null(u);
	cr_assert(ulen == strlen(js2) && memcmp(u, js2, ulen) == 0, "gzip of the old bytes served");
	free(u);
	resp_free(r);
	client_cleanup(&c);
	free(js);
	free(js2);
}

Test(http_static, only_get_and_head)
{
	struct client c;
	client_init(&c, &S);
	const char *methods[] = { "POST", "PUT", "DELETE", "PATCH" };
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct resp *r = http(&c, methods[i], i == 0 ? "/" : "/index.html", NULL, NULL);
		assert_error(r, 405, "method_not_allowed", NULL);
		char allow[64];
		cr_assert(resp_header(r, "Allow", allow, sizeof allow));
		cr_assert_str_eq(allow, "GET, HEAD");
		resp_free(r);
	}
	client_cleanup(&c);
}

Test(http_static, no_way_out_of_the_folder)
{
	const char *targets[] = {
		"/../etc/passwd",
		"/../../../../../../etc/passwd",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/..%2f..%2fetc/passwd",
		"/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
		"/%252e%252e/%252e%252e/etc/passwd",
		"/..%5c..%5cetc%5cpasswd",
		"/..\\..\\etc\\passwd",
		"/index.html%00.png",
		"/evil%00",
		"/evil",
		"/evil/",
		"/evildir/passwd",
		"/evildir/./passwd",
		"/evildir/../evildir/passwd",
		"/.hidden",
		"/%2ehidden",
		"/sub/../.hidden",
		"//etc/passwd",
		"///etc/passwd",
		"/a/../../etc/passwd",
		"/sub/../../etc/passwd",
		"/./index.html/../../etc/passwd",
		"/etc/passwd",
		"../etc/passwd",
		"etc/passwd",
		"http://t/../../etc/passwd",
		"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
	};
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		char req[1024], reply[16384];
		snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", targets[i]);
		int st = raw_status(&S, req, reply, sizeof reply);
		cr_assert(st == 404 || st == 400, "GET %s answered %d: %s", targets[i], st, reply);
		cr_assert_null(strstr(reply, "root:"), "GET %s leaked /etc/passwd", targets[i]);
		cr_assert_null(strstr(reply, "do not serve"), "GET %s served a hidden file", targets[i]);
		if (st == 404) {
			json_t *j = reply_json(reply);
			check_error_json(j, "not_found", NULL, reply);
			json_decref(j);
		}
	}
	/* The folder itself is still served. */
	char reply[16384];
	cr_assert_eq(raw_status(&S, "GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", reply,
				sizeof reply),
		     200);
	cr_assert_not_null(strstr(reply, "trang chủ"));
}

/* ------------------------------------------------------------------------- */
/* Connection limits and the idle timeout                                     */
/* ------------------------------------------------------------------------- */

static const char version_req[] = "GET /api/v1/version HTTP/1.1\r\nHost: t\r\n\r\n";

Test(http_conn, connections_per_address_are_limited, .init = up_per_ip)
{
	/* Three kept-alive connections from 127.0.0.1, each known to the server (it answered). */
	int idle[3];
	for (int i = 0; i < 3; i++) {
		idle[i] = tcp_connect(&S, "127.0.0.1");
		cr_assert(tcp_send(idle[i], version_req, strlen(version_req)));
		char reply[16384];
		bool closed;
		read_reply(idle[i], reply, sizeof reply, 5000, &closed);
		cr_assert_eq(reply_status(reply), 200, "connection %d: %s", i, reply);
		cr_assert(!closed);
	}
	/* A fourth from the same address gets no answer: it is closed. */
	int fourth = tcp_connect(&S, "127.0.0.1");
	tcp_send(fourth, version_req, strlen(version_req));
	char reply[16384];
	bool closed;
	size_t got = read_reply(fourth, reply, sizeof reply, 5000, &closed);
	close(fourth);
	cr_assert_eq(got, 0, "the 4th connection was answered: %s", reply);
	cr_assert(closed, "the 4th connection was neither answered nor closed within 5 s");

	/* Another address is not affected. */
	struct client other;
	client_init(&other, &S);
	snprintf(other.source_ip, sizeof other.source_ip, "127.0.0.5");
	struct resp *r = http(&other, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&other);
	/* The idle ones still work. */
	cr_assert(tcp_send(idle[0], version_req, strlen(version_req)));
	read_reply(idle[0], reply, sizeof reply, 5000, NULL);
	cr_assert_eq(reply_status(reply), 200, "%s", reply);

	/* Once one is closed, 127.0.0.1 may connect again (the server sees the close a little later). */
	close(idle[2]);
	int st = 0;
	for (int i = 0; i < 100 && st != 200; i++) {
		int fd = tcp_connect(&S, "127.0.0.1");
		tcp_send(fd, version_req, strlen(version_req));
		read_reply(fd, reply, sizeof reply, 2000, NULL);
		close(fd);
		st = reply_status(reply);
		if (st != 200)
			usleep(50 * 1000);
	}
	cr_assert_eq(st, 200, "127.0.0.1 stayed locked out after a connection closed");
	close(idle[0]);
	close(idle[1]);
}

Test(http_conn, slow_and_idle_connections_are_closed_without_starving_others, .init = up_idle)
{
	/* Several clients that send half a request line and stall (more than the worker threads). */
	enum { SLOW = 6 };
	int slow[SLOW];
	for (int i = 0; i < SLOW; i++) {
		slow[i] = tcp_connect(&S, NULL);
		cr_assert(tcp_send(slow[i], "GET /api/v1/vers", 16));
	}
	/* One that made a full request and then sits idle on keep-alive. */
	int kept = tcp_connect(&S, NULL);
	cr_assert(tcp_send(kept, version_req, strlen(version_req)));
	char reply[16384];
	read_reply(kept, reply, sizeof reply, 5000, NULL);
	cr_assert_eq(reply_status(reply), 200);
	double t0 = now_s();

	/* Meanwhile, everyone else is served at once. */
	struct client c;
	client_init(&c, &S);
	for (int i = 0; i < 10; i++) {
		double a = now_s();
		struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
		cr_assert_eq(r->status, 200);
		resp_free(r);
		cr_assert_lt(now_s() - a, 0.9, "a normal request waited behind slow clients");
	}
	client_cleanup(&c);

	/* The stalled connections are closed by the server within a bounded time, but not at once. */
	for (int i = 0; i < SLOW; i++) {
		double left = 5.0 - (now_s() - t0);
		double took = wait_closed(slow[i], (int)(left * 1000));
		cr_assert_geq(took, 0, "slow connection %d was not closed within 5 s", i);
		close(slow[i]);
	}
	double took = wait_closed(kept, 5000);
	cr_assert_geq(took, 0, "the idle keep-alive connection was not closed within 5 s");
	close(kept);
	cr_assert_geq(now_s() - t0, 0.5, "connections were closed before the 1 s idle timeout");

	/* And the server still serves. */
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
}
