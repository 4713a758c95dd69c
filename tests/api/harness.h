/*
 * API test harness: starts the real sangkien daemon on 127.0.0.1 against the
 * real PostgreSQL named by SANGKIEN_TEST_DATABASE_URL, and talks to it with
 * libcurl (or raw sockets for malformed requests). No mocks.
 */
#ifndef SK_TEST_HARNESS_H
#define SK_TEST_HARNESS_H

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct srv {
	pid_t pid;
	int port;
	char base[64];
	char dburl[1024];
	char log_path[256];
};

/*
 * Starts a daemon (SANGKIEN_BIN) with the test database (or dburl when not
 * NULL) and extra environment entries "NAME=value" (NULL-terminated, may be
 * NULL). Waits until it answers /api/v1/version. Fails the test otherwise.
 */
void srv_start(struct srv *s, const char *dburl, const char *const *env);

/* Sends SIGTERM and waits; returns the exit status (or -1 when killed by a signal). */
int srv_stop(struct srv *s);

/* The daemon's log so far (caller frees). */
char *srv_log(const struct srv *s);

struct resp {
	long status;
	char *body;
	size_t len;
	json_t *json; /* NULL unless the body parsed as JSON */
	char headers[16384];
};

struct client {
	CURL *curl;
	struct srv *srv;
	char csrf[64];
	char source_ip[32]; /* bind to this local address when set (127.0.0.x) */
	int64_t now;        /* sent as X-Sangkien-Test-Now when > 0 */
};

void client_init(struct client *c, struct srv *s);
void client_cleanup(struct client *c);

/*
 * Sends method path with body (JSON text, or NULL) and optional extra header
 * lines ("Name: value", NULL-terminated, may be NULL). Content-Type is
 * application/json when a body is given unless an extra header sets it. The
 * X-CSRF-Token header is sent when c->csrf is set. Returns a response the
 * caller frees with resp_free.
 */
struct resp *http(struct client *c, const char *method, const char *path, const char *body,
		  const char *const *headers);
void resp_free(struct resp *r);

/* The value of header name in r (case-insensitive), copied into out; false when absent. */
bool resp_header(const struct resp *r, const char *name, char *out, size_t outsz);

/* error.code of a JSON error reply, or "" */
const char *err_code(const struct resp *r);

/* Sends raw bytes on a new TCP connection and returns the status code of the reply (0: none). */
int raw_status(const struct srv *s, const char *request, char *reply, size_t replysz);

/* A connection to the test database; fails the test when it cannot connect. */
PGconn *db_connect(const char *dburl);
/* Runs sql with parameters, asserting success; returns the result (caller PQclear). */
PGresult *db_exec(PGconn *pg, const char *sql, int n, const char *const *params);
/* The single integer value sql returns. */
long long db_int(PGconn *pg, const char *sql, int n, const char *const *params);

/* A random Vietnamese mobile number "09xxxxxxxx" and an upper-case ward code. */
void rand_phone(char out[16]);
void rand_code(char out[12]);

/* Creates a ward with one residential group; returns the ward id and sets *group. */
int64_t seed_ward(PGconn *pg, int64_t *group);

/* Registers (via the API) an account with this login in ward; returns its id. */
int64_t register_account(struct client *c, const char *login, const char *password, int64_t ward, int64_t group);

/* Logs in, keeping the cookie in c and the CSRF token in c->csrf; returns the status. */
long login(struct client *c, const char *login, const char *password);

/* Grants role in ward (0: installation-wide) directly in the database. */
void grant_role(PGconn *pg, int64_t account, int64_t ward, const char *role);

#define TEST_PASSWORD "mật khẩu thử 2026"

/*
 * Like http, with a binary-safe body of len bytes (body NULL and len 0: none). A reply the server
 * sends while the body is still going out (an early refusal such as 413) counts as the reply: the
 * test fails only when no reply came at all.
 */
struct resp *http_bytes(struct client *c, const char *method, const char *path, const void *body, size_t len,
			const char *const *headers);

/* ------------------------------------------------------------------------- */
/* Generic helpers (appended for the panel and access-matrix tests)          */
/* ------------------------------------------------------------------------- */

/* Sends body (a JSON value, consumed; NULL: no body) as compact JSON text. */
struct resp *http_json(struct client *c, const char *method, const char *path, json_t *body);

/* Text made from a format, in one of 16 rotating 1 KiB buffers (valid for the next 15 calls). */
const char *fmt_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The single value sql returns, as a new string (NULL for SQL NULL); the caller frees. */
char *db_text(PGconn *pg, const char *sql, int n, const char *const *params);

/*
 * An argon2id hash of TEST_PASSWORD, made once per process by registering a throwaway
 * account in ward through c (so accounts can then be inserted directly, without a hash each).
 */
const char *test_password_hash(struct client *c, PGconn *pg, int64_t ward);

/*
 * Inserts an account directly: login "+84…" from phone "09…", display_name, password
 * TEST_PASSWORD (hash from test_password_hash). Returns its id. No role is granted.
 */
int64_t make_account(struct client *c, PGconn *pg, int64_t ward, const char *phone, const char *display_name);

/* Forgets the client's session: drops its cookies and CSRF token. */
void client_forget_session(struct client *c);

#endif
