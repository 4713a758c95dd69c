/*
 * The database layer: a pool of libpq connections, named prepared statements,
 * and one transaction helper that reruns on serialization failure and deadlock.
 * Nothing here builds HTTP replies.
 */
#ifndef SK_DB_H
#define SK_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

enum sk_db_status {
	SK_DB_OK = 0,
	SK_DB_NOROWS,      /* the statement matched nothing */
	SK_DB_CONFLICT,    /* unique or exclusion violation (23505, 23P01) */
	SK_DB_CHECK,       /* a CHECK, NOT NULL or foreign-key constraint refused the row (23xxx) */
	SK_DB_RETRY,       /* serialization failure or deadlock: rerun the transaction */
	SK_DB_RULE,        /* a database function refused the write (P0001): sk_db_rule() names the rule */
	SK_DB_UNAVAILABLE, /* the server cannot be reached, or refused a write as read-only (25006): the
			    * connection is made again before its next use */
	SK_DB_ERROR,       /* anything else: a bug or a broken invariant */
};

struct sk_dbconn;
struct sk_db;

/*
 * Opens a pool of size connections to url, each switched to the database role
 * `role` (SET ROLE) when it is not NULL or empty. Connections are made lazily.
 */
struct sk_db *sk_db_new(const char *url, int size, const char *role);

/* sk_db_new whose connections carry application_name (a static string) unless the URL sets one. */
struct sk_db *sk_db_new_named(const char *url, int size, const char *role, const char *application_name);

/* Tries one connection now; false with a message in err when it fails. */
bool sk_db_check(struct sk_db *db, char *err, size_t errsz);
void sk_db_free(struct sk_db *db);

/*
 * Takes a connection from the pool, reconnecting it if it was lost. Returns
 * NULL when the database cannot be reached or none was free within wait_ms.
 * Every acquired connection goes back with sk_db_release.
 */
struct sk_dbconn *sk_db_acquire(struct sk_db *db, int wait_ms);
void sk_db_release(struct sk_db *db, struct sk_dbconn *c);

/* A single connection outside any pool (command-line tools); NULL with a message on failure. */
struct sk_dbconn *sk_dbconn_open(const char *url, char *err, size_t errsz);
void sk_dbconn_close(struct sk_dbconn *c);
PGconn *sk_dbconn_pg(struct sk_dbconn *c);

/*
 * Runs the prepared statement `name` (prepared from sql on first use on this
 * connection) with text parameters (NULL for SQL NULL). On SK_DB_OK or
 * SK_DB_NOROWS *res (when res is not NULL) holds the result, to be PQclear'ed
 * by the caller; on any other status *res is NULL. SK_DB_NOROWS means a
 * statement that returns rows returned none.
 */
enum sk_db_status sk_db_exec(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
			     const char *const *params, PGresult **res);

/* sk_db_exec with binary parameters (formats[i] = 1, lengths[i] bytes) and, with result_format 1, binary results. */
enum sk_db_status sk_db_exec_bin(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
				 const char *const *params, const int *lengths, const int *formats, int result_format,
				 PGresult **res);

/*
 * Runs a statement that returns one text value (a JSON document made by the database) and copies
 * it into *json (caller frees). A statement that returns no row is SK_DB_ERROR here.
 */
enum sk_db_status sk_db_json(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
			     const char *const *params, char **json);

/* Like sk_db_exec for statements run once (DDL, BEGIN): not prepared. */
enum sk_db_status sk_db_simple(struct sk_dbconn *c, const char *sql);

typedef enum sk_db_status (*sk_db_tx_fn)(struct sk_dbconn *c, void *ctx);

/*
 * Runs fn inside a transaction at the given isolation ("READ COMMITTED",
 * "REPEATABLE READ" or "SERIALIZABLE"), committing on SK_DB_OK and rolling back
 * on anything else. Reruns the whole transaction up to 8 times when fn or the
 * commit reports SK_DB_RETRY. fn must therefore be idempotent in its effects
 * outside the database. Returns fn's final status.
 */
enum sk_db_status sk_db_tx(struct sk_dbconn *c, const char *isolation, sk_db_tx_fn fn, void *ctx);

/* The stable code of the rule that refused the last write (SK_DB_RULE), e.g. "version_conflict". */
const char *sk_db_rule(struct sk_dbconn *c);

/* The message of the last error on c, for logs (never user data). */
const char *sk_db_last_error(struct sk_dbconn *c);

/* Column helpers: read a field of row by column name. */
const char *sk_db_str(PGresult *r, int row, const char *col);
int64_t sk_db_i64(PGresult *r, int row, const char *col);
bool sk_db_bool(PGresult *r, int row, const char *col);
bool sk_db_isnull(PGresult *r, int row, const char *col);

/*
 * How many seconds the data on c lags behind its primary into *lag: 0 on a primary and on a
 * standby seen streaming with all it received applied; otherwise the age of the newer of the last
 * replayed transaction and the last replayed heartbeat (sql/029; 1e9 when neither is known).
 */
enum sk_db_status sk_db_read_lag(struct sk_dbconn *c, double *lag);

/* Formats an int64 for a text parameter into buf (at least 24 bytes). */
const char *sk_db_i64str(char *buf, int64_t v);

#endif
