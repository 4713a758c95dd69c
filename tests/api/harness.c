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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void seed_random(void)
{
	static bool seeded;
	if (!seeded) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		srandom((unsigned)(tv.tv_usec ^ (getpid() << 16) ^ tv.tv_sec));
		seeded = true;
	}
}

static char started_logs[16][256];
static int nstarted_logs;

/* The servers' logs go when the test process ends (SANGKIEN_KEEP_TEST_LOGS=1 keeps them). */
static void remove_logs(void)
{
	if (getenv("SANGKIEN_KEEP_TEST_LOGS"))
		return;
	for (int i = 0; i < nstarted_logs; i++)
		unlink(started_logs[i]);
}

void srv_start(struct srv *s, const char *dburl, const char *const *env)
{
	memset(s, 0, sizeof *s);
	seed_random();
	const char *bin = env_or("SANGKIEN_BIN", "build-test/sangkien");
	const char *src = env_or("SANGKIEN_SRC", ".");
	const char *url = dburl ? dburl : getenv("SANGKIEN_TEST_DATABASE_URL");
	cr_assert(url != NULL, "SANGKIEN_TEST_DATABASE_URL is not set (run scripts/test)");
	snprintf(s->dburl, sizeof s->dburl, "%s", url);
	char port_file[256];
	snprintf(port_file, sizeof port_file, "/tmp/sk-test-port-%d-%ld", getpid(), random());
	snprintf(s->log_path, sizeof s->log_path, "/tmp/sk-test-log-%d-%ld", getpid(), random());
	unlink(port_file);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test that started it */
		int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		char buf[4096];
		setenv("DATABASE_URL", url, 1);
		setenv("SANGKIEN_LISTEN", "127.0.0.1:0", 1);
		setenv("SANGKIEN_PORT_FILE", port_file, 1);
		snprintf(buf, sizeof buf, "%s/frontend", src);
		setenv("SANGKIEN_FRONTEND_DIR", buf, 1);
		snprintf(buf, sizeof buf, "%s/sql", src);
		setenv("SANGKIEN_SQL_DIR", buf, 1);
		setenv("SANGKIEN_THREADS", "2", 1);
		setenv("SANGKIEN_LOGIN_MAX_PER_IP", "100000", 0);
		setenv("SANGKIEN_TEST_CLOCK", "1", 0);
		setenv("ASAN_OPTIONS", "detect_leaks=1", 0);
		for (const char *const *e = env; e && *e; e++)
			putenv(strdup(*e));
		execl(bin, bin, "serve", (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	if (nstarted_logs == 0)
		atexit(remove_logs);
	if (nstarted_logs < 16)
		snprintf(started_logs[nstarted_logs++], sizeof started_logs[0], "%s", s->log_path);
	/* Wait (bounded) for the port file, then for the first answer. */
	for (int i = 0; i < 300 && s->port == 0; i++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			if (fscanf(f, "%d", &s->port) != 1)
				s->port = 0;
			fclose(f);
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *log = srv_log(s);
			cr_assert_fail("sangkien exited while starting:\n%s", log ? log : "");
		}
		if (s->port == 0)
			usleep(50 * 1000);
	}
	unlink(port_file);
	cr_assert(s->port > 0, "sangkien did not start within 15 s");
	snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
}

int srv_stop(struct srv *s)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	int status = 0;
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *srv_log(const struct srv *s)
{
	FILE *f = fopen(s->log_path, "r");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

void client_init(struct client *c, struct srv *s)
{
	memset(c, 0, sizeof *c);
	c->curl = curl_easy_init();
	c->srv = s;
	curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, ""); /* in-memory cookie engine */
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
}

void client_cleanup(struct client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t add = size * n;
	char *nb = realloc(r->body, r->len + add + 1);
	if (nb == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t add = size * n, have = strlen(r->headers);
	if (have + add + 1 < sizeof r->headers) {
		memcpy(r->headers + have, p, add);
		r->headers[have + add] = '\0';
	}
	return add;
}

struct resp *http(struct client *c, const char *method, const char *path, const char *body,
		  const char *const *headers)
{
	struct resp *r = calloc(1, sizeof *r);
	char url[2048];
	snprintf(url, sizeof url, "%s%s", c->srv->base, path);
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_INTERFACE, c->source_ip[0] ? c->source_ip : NULL);
	struct curl_slist *hl = NULL;
	bool has_ct = false;
	for (const char *const *e = headers; e && *e; e++) {
		hl = curl_slist_append(hl, *e);
		if (strncasecmp(*e, "Content-Type:", 13) == 0)
			has_ct = true;
	}
	if (body && !has_ct)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	char line[128];
	if (c->csrf[0]) {
		snprintf(line, sizeof line, "X-CSRF-Token: %s", c->csrf);
		hl = curl_slist_append(hl, line);
	}
	char nowline[64];
	if (c->now > 0) {
		snprintf(nowline, sizeof nowline, "X-Sangkien-Test-Now: %lld", (long long)c->now);
		hl = curl_slist_append(hl, nowline);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	return r;
}

void resp_free(struct resp *r)
{
	if (r == NULL)
		return;
	json_decref(r->json);
	free(r->body);
	free(r);
}

bool resp_header(const struct resp *r, const char *name, char *out, size_t outsz)
{
	size_t nlen = strlen(name);
	/* Only the last header block counts (after a 100 Continue there are two). */
	const char *block = r->headers, *p;
	while ((p = strstr(block, "\r\nHTTP/")) != NULL)
		block = p + 2;
	for (const char *line = block; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			size_t vlen = eol ? (size_t)(eol - v) : strlen(v);
			if (vlen >= outsz)
				vlen = outsz - 1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		line = eol ? eol + 2 : NULL;
	}
	return false;
}

const char *err_code(const struct resp *r)
{
	json_t *code = json_object_get(json_object_get(r->json, "error"), "code");
	return json_is_string(code) ? json_string_value(code) : "";
}

int raw_status(const struct srv *s, const char *request, char *reply, size_t replysz)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	size_t len = strlen(request);
	cr_assert_eq(write(fd, request, len), (ssize_t)len);
	char buf[16384];
	size_t got = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	while (got < sizeof buf - 1 && poll(&pfd, 1, 5000) > 0) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n")) { /* headers in: read what the length says */
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			const char *body = strstr(buf, "\r\n\r\n") + 4;
			if (cl && (size_t)(buf + got - body) >= (size_t)atol(cl + 17))
				break;
		}
	}
	buf[got] = '\0';
	close(fd);
	if (reply)
		snprintf(reply, replysz, "%s", buf);
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

PGconn *db_connect(const char *dburl)
{
	const char *url = dburl ? dburl : getenv("SANGKIEN_TEST_DATABASE_URL");
	cr_assert(url != NULL, "SANGKIEN_TEST_DATABASE_URL is not set");
	PGconn *pg = PQconnectdb(url);
	cr_assert_eq(PQstatus(pg), CONNECTION_OK, "cannot connect: %s", PQerrorMessage(pg));
	return pg;
}

PGresult *db_exec(PGconn *pg, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
	return r;
}

long long db_int(PGconn *pg, const char *sql, int n, const char *const *params)
{
	PGresult *r = db_exec(pg, sql, n, params);
	cr_assert_eq(PQntuples(r), 1, "%s returned %d rows", sql, PQntuples(r));
	long long v = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

void rand_phone(char out[16])
{
	seed_random();
	snprintf(out, 16, "09%08ld", random() % 100000000L);
}

void rand_code(char out[12])
{
	seed_random();
	out[0] = 'T';
	for (int i = 1; i < 8; i++)
		out[i] = (char)('A' + random() % 26);
	out[8] = '\0';
}

int64_t seed_ward(PGconn *pg, int64_t *group)
{
	char code[12], name[64];
	rand_code(code);
	snprintf(name, sizeof name, "Phường thử %s", code);
	const char *p[] = { code, name };
	int64_t ward = db_int(pg, "INSERT INTO wards (code, name) VALUES ($1, $2) RETURNING id", 2, p);
	char w[24];
	snprintf(w, sizeof w, "%lld", (long long)ward);
	const char *q[] = { w };
	int64_t g = db_int(pg, "INSERT INTO residential_groups (ward_id, name) VALUES ($1, 'Tổ dân phố 1') RETURNING id",
			   1, q);
	if (group)
		*group = g;
	return ward;
}

int64_t register_account(struct client *c, const char *login_, const char *password, int64_t ward, int64_t group)
{
	char body[1024];
	if (group)
		snprintf(body, sizeof body,
			 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld,\"group_id\":%lld}",
			 login_, password, (long long)ward, (long long)group);
	else
		snprintf(body, sizeof body,
			 "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Người thử\",\"ward_id\":%lld}", login_,
			 password, (long long)ward);
	struct resp *r = http(c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 201, "register %s: %ld %s", login_, r->status, r->body);
	int64_t id = json_integer_value(json_object_get(json_object_get(r->json, "account"), "id"));
	resp_free(r);
	return id;
}

long login(struct client *c, const char *login_, const char *password)
{
	char body[1024];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login_, password);
	c->csrf[0] = '\0';
	struct resp *r = http(c, "POST", "/api/v1/sessions", body, NULL);
	long st = r->status;
	if (st == 201)
		snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	resp_free(r);
	return st;
}

void grant_role(PGconn *pg, int64_t account, int64_t ward, const char *role)
{
	char a[24], w[24];
	snprintf(a, sizeof a, "%lld", (long long)account);
	snprintf(w, sizeof w, "%lld", (long long)ward);
	const char *p[] = { a, ward ? w : NULL, role };
	PQclear(db_exec(pg, "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($1, $2, $3)", 3, p));
}

struct resp *http_bytes(struct client *c, const char *method, const char *path, const void *body, size_t len,
			const char *const *headers)
{
	struct resp *r = calloc(1, sizeof *r);
	char url[2048];
	snprintf(url, sizeof url, "%s%s", c->srv->base, path);
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_INTERFACE, c->source_ip[0] ? c->source_ip : NULL);
	struct curl_slist *hl = NULL;
	for (const char *const *e = headers; e && *e; e++)
		hl = curl_slist_append(hl, *e);
	hl = curl_slist_append(hl, "Expect:");
	char line[128], nowline[64];
	if (c->csrf[0]) {
		snprintf(line, sizeof line, "X-CSRF-Token: %s", c->csrf);
		hl = curl_slist_append(hl, line);
	}
	if (c->now > 0) {
		snprintf(nowline, sizeof nowline, "X-Sangkien-Test-Now: %lld", (long long)c->now);
		hl = curl_slist_append(hl, nowline);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	cr_assert(rc == CURLE_OK || r->status > 0, "%s %s: %s", method, path, curl_easy_strerror(rc));
	/* The next request on this handle must not inherit a binary body size. */
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
	if (r->body)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	return r;
}

/* ------------------------------------------------------------------------- */
/* Generic helpers (appended for the panel and access-matrix tests)          */
/* ------------------------------------------------------------------------- */

#include <stdarg.h>

struct resp *http_json(struct client *c, const char *method, const char *path, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	struct resp *r = http(c, method, path, text, NULL);
	free(text);
	return r;
}

const char *fmt_path(const char *fmt, ...)
{
	static char bufs[16][1024];
	static unsigned next;
	char *b = bufs[next++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, 1024, fmt, ap);
	va_end(ap);
	return b;
}

char *db_text(PGconn *pg, const char *sql, int n, const char *const *params)
{
	PGresult *r = db_exec(pg, sql, n, params);
	cr_assert_eq(PQntuples(r), 1, "%s returned %d rows", sql, PQntuples(r));
	char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

const char *test_password_hash(struct client *c, PGconn *pg, int64_t ward)
{
	static char hash[256];
	if (hash[0])
		return hash;
	char phone[16], id[24];
	rand_phone(phone);
	snprintf(id, sizeof id, "%lld", (long long)register_account(c, phone, TEST_PASSWORD, ward, 0));
	const char *p[] = { id };
	char *h = db_text(pg, "SELECT password_hash FROM accounts WHERE id = $1", 1, p);
	cr_assert_not_null(h);
	snprintf(hash, sizeof hash, "%s", h);
	free(h);
	return hash;
}

int64_t make_account(struct client *c, PGconn *pg, int64_t ward, const char *phone, const char *display_name)
{
	char login_[24];
	snprintf(login_, sizeof login_, "+84%s", phone + 1);
	const char *p[] = { login_, display_name, test_password_hash(c, pg, ward) };
	return db_int(pg,
		      "INSERT INTO accounts (login, login_kind, display_name, password_hash)"
		      " VALUES ($1, 'phone', $2, $3) RETURNING id",
		      3, p);
}

void client_forget_session(struct client *c)
{
	curl_easy_setopt(c->curl, CURLOPT_COOKIELIST, "ALL");
	c->csrf[0] = '\0';
}
