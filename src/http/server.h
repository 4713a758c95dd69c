/*
 * The HTTP server: libmicrohttpd daemon, the life of one request, and the
 * request object every handler receives. Handlers always reply through
 * http/reply.h; one that does not is answered 500 by the server.
 */
#ifndef SK_HTTP_SERVER_H
#define SK_HTTP_SERVER_H

#include "config.h"
#include "db/db.h"
#include "domain/roles.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SK_MAX_PARAMS 4
#define SK_MAX_GRANTS 64
#define SK_MAX_EXTRA_HEADERS 4
#define SK_MAX_OWNED 32

struct sk_server {
	const struct sk_config *cfg;
	struct sk_db *db;      /* the primary: writes, and every read of a signed-in client */
	struct sk_db *read_db; /* public anonymous reads (--database-read-url); NULL: db */
	pthread_mutex_t lag_lock;
	double lag_checked;    /* CLOCK_MONOTONIC seconds of the last check of read_db's lag; 0: never */
	double lag;            /* read_db's lag then, in seconds */
	bool lag_ok;           /* read_db answered and lagged at most --replica-max-lag */
	struct MHD_Daemon *daemon;
	struct sk_watchdog *watchdog; /* the request deadlines (http/watchdog.h) */
	char frontend_real[4096]; /* realpath of the frontend folder */
	uint16_t port;
};

struct sk_grant {
	int64_t ward_id; /* 0: installation-wide */
	enum sk_role role;
};

struct sk_session {
	int64_t id;
	int64_t account_id;
	char csrf[48];
	struct sk_grant grants[SK_MAX_GRANTS];
	int ngrants;
	/* The account's public view as JSON text (sk_db_account_json), when the route asked for it
	 * (sk_auth_load's with_account); owned by the request. NULL otherwise. */
	char *account_json;
	size_t account_json_len;
};

struct sk_route;

struct sk_request {
	struct sk_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const struct sk_route *route;
	char params[SK_MAX_PARAMS][64];
	int nparams;
	char *body;
	size_t body_len, body_cap;
	unsigned early_status; /* an error decided before the body was read */
	const char *framing_error; /* why the request's framing was refused (400 bad_framing), or NULL */
	char id[17];
	char ip[64];
	struct timespec t0;
	int64_t now;           /* the server's clock for this request, Unix seconds */
	unsigned status;       /* what was replied, for the log */
	bool replied;
	bool queue_failed;     /* a reply was refused by libmicrohttpd mid-upload: send it at the end */
	size_t discarded;      /* body bytes thrown away after an early error */
	struct sk_dbconn *db;  /* acquired on first use, released once the handler has replied */
	struct sk_db *db_pool; /* the pool req->db came from (NULL: srv->db) */
	double as_of;          /* Unix seconds the data read through req->db is current as of; 0: now */
	bool has_session;
	struct sk_session session;
	json_t *json;          /* the parsed body */
	char *extra_headers[SK_MAX_EXTRA_HEADERS][2];
	int nextra;
	void *owned[SK_MAX_OWNED]; /* freed when the request ends */
	int nowned;
};

/* Starts serving per cfg, on the primary's pool db and the read pool read_db (NULL: db for all).
 * Returns NULL with a message logged on failure. */
struct sk_server *sk_server_start(const struct sk_config *cfg, struct sk_db *db, struct sk_db *read_db);
void sk_server_stop(struct sk_server *srv);

/* Path parameter i (0-based) as an int64 id > 0, or 0 when it is not one. */
int64_t sk_param_id(const struct sk_request *req, int i);

/*
 * The request's database connection, acquired on first call. When the
 * database cannot be reached it replies 503 itself and returns NULL.
 */
struct sk_dbconn *sk_req_db_or_reply(struct sk_request *req);

/*
 * A connection for a public read: when the request has no session (nor a session cookie) and
 * --database-read-url is set,
 * one from the read pool, provided that pool answers and lags at most --replica-max-lag (checked at
 * most once a second); otherwise (and always for a signed-in client, who must see their own writes)
 * the primary's, as sk_req_db_or_reply. Replies 503 itself and returns NULL when neither answers.
 */
struct sk_dbconn *sk_req_public_db_or_reply(struct sk_request *req);

/* When the data read through the request's connection is current as of, ISO 8601 UTC, into out (at least 32 bytes). */
const char *sk_req_as_of(const struct sk_request *req, char *out, size_t outsz);

/* Keeps ptr until the request ends, then frees it. Returns ptr. */
void *sk_req_own(struct sk_request *req, void *ptr);

/* Query-string argument, or NULL. */
const char *sk_req_query(const struct sk_request *req, const char *name);

/*
 * Query-string whole number in min..max into *out (def when absent). On anything else replies 400
 * invalid_field naming it and returns false.
 */
bool sk_req_query_int(struct sk_request *req, const char *name, long long min, long long max, long long def,
		      long long *out);

#endif
