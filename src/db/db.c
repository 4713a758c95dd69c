#include "db/db.h"

#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PREPARED 256

struct sk_dbconn {
	PGconn *pg;
	char *url;
	char *role; /* SET ROLE to this after connecting, when not NULL */
	const char *application_name; /* static */
	const char *prepared[MAX_PREPARED]; /* statement names prepared on this connection */
	int nprepared;
	bool busy;
	bool drop; /* the server was lost or is read-only: reconnect before the next use */
	char last_error[512];
	char rule[64];
};

struct sk_db {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	struct sk_dbconn *conns;
};

static PGconn *connect_url(const char *url, const char *application_name)
{
	/* Keywords before "dbname" are defaults that the URL's own parameters override. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "5", application_name, url, NULL };
	return PQconnectdbParams(keys, vals, 1);
}

static void conn_reset_state(struct sk_dbconn *c)
{
	c->nprepared = 0;
}

static bool conn_ensure(struct sk_dbconn *c)
{
	if (c->drop && c->pg != NULL) {
		/* A new connection rather than PQreset: with a multi-host URL and target_session_attrs,
		 * libpq then looks for the server that now fits (the new primary after a failover). */
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->drop = false;
	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
		return true;
	if (c->pg == NULL)
		c->pg = connect_url(c->url, c->application_name ? c->application_name : "sangkien");
	else
		PQreset(c->pg);
	conn_reset_state(c);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		snprintf(c->last_error, sizeof c->last_error, "%s", PQerrorMessage(c->pg));
		return false;
	}
	if (c->role != NULL) {
		char *ident = PQescapeIdentifier(c->pg, c->role, strlen(c->role));
		char sql[256];
		snprintf(sql, sizeof sql, "SET ROLE %s", ident ? ident : "\"\"");
		PQfreemem(ident);
		PGresult *r = PQexec(c->pg, sql);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			snprintf(c->last_error, sizeof c->last_error, "cannot SET ROLE %s: %s", c->role,
				 PQresultErrorMessage(r));
			sk_error("db: %s", c->last_error);
			PQfinish(c->pg);
			c->pg = NULL;
		}
		PQclear(r);
		return ok;
	}
	return true;
}

struct sk_db *sk_db_new(const char *url, int size, const char *role)
{
	return sk_db_new_named(url, size, role, "sangkien");
}

struct sk_db *sk_db_new_named(const char *url, int size, const char *role, const char *application_name)
{
	struct sk_db *db = calloc(1, sizeof *db);
	if (db == NULL)
		return NULL;
	db->conns = calloc((size_t)size, sizeof *db->conns);
	if (db->conns == NULL) {
		free(db);
		return NULL;
	}
	db->size = size;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	for (int i = 0; i < size; i++) {
		db->conns[i].url = strdup(url);
		db->conns[i].role = role && *role ? strdup(role) : NULL;
		db->conns[i].application_name = application_name;
	}
	return db;
}

void sk_db_free(struct sk_db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < db->size; i++) {
		if (db->conns[i].pg)
			PQfinish(db->conns[i].pg);
		free(db->conns[i].url);
		free(db->conns[i].role);
	}
	free(db->conns);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->freed);
	free(db);
}

struct sk_dbconn *sk_db_acquire(struct sk_db *db, int wait_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	struct sk_dbconn *c = NULL;
	pthread_mutex_lock(&db->lock);
	for (;;) {
		/* Prefer a connection that is already open. */
		for (int i = 0; i < db->size && c == NULL; i++)
			if (!db->conns[i].busy && db->conns[i].pg != NULL)
				c = &db->conns[i];
		for (int i = 0; i < db->size && c == NULL; i++)
			if (!db->conns[i].busy)
				c = &db->conns[i];
		if (c != NULL)
			break;
		if (pthread_cond_timedwait(&db->freed, &db->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (c != NULL)
		c->busy = true;
	pthread_mutex_unlock(&db->lock);
	if (c == NULL)
		return NULL;
	if (!conn_ensure(c)) {
		sk_db_release(db, c);
		return NULL;
	}
	return c;
}

bool sk_db_check(struct sk_db *db, char *err, size_t errsz)
{
	struct sk_dbconn *c = sk_db_acquire(db, 1000);
	if (c == NULL) {
		snprintf(err, errsz, "%s", db->conns[0].last_error);
		return false;
	}
	sk_db_release(db, c);
	return true;
}

void sk_db_release(struct sk_db *db, struct sk_dbconn *c)
{
	if (c == NULL)
		return;
	/* A connection left inside a transaction (a bug path) is rolled back before reuse. */
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->pg, "ROLLBACK");
		PQclear(r);
	}
	pthread_mutex_lock(&db->lock);
	c->busy = false;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

struct sk_dbconn *sk_dbconn_open(const char *url, char *err, size_t errsz)
{
	struct sk_dbconn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->url = strdup(url);
	c->application_name = "sangkien";
	if (!conn_ensure(c)) {
		snprintf(err, errsz, "%s", c->last_error);
		sk_dbconn_close(c);
		return NULL;
	}
	return c;
}

void sk_dbconn_close(struct sk_dbconn *c)
{
	if (c == NULL)
		return;
	if (c->pg)
		PQfinish(c->pg);
	free(c->url);
	free(c);
}

PGconn *sk_dbconn_pg(struct sk_dbconn *c)
{
	return c->pg;
}

const char *sk_db_rule(struct sk_dbconn *c)
{
	return c->rule;
}

const char *sk_db_last_error(struct sk_dbconn *c)
{
	return c->last_error;
}

static enum sk_db_status status_of(struct sk_dbconn *c, PGresult *r)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK)
		return PQntuples(r) == 0 ? SK_DB_NOROWS : SK_DB_OK;
	if (st == PGRES_COMMAND_OK)
		return SK_DB_OK;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->last_error, sizeof c->last_error, "%s",
		 r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
	/* 25006: a write reached a server that is (now) read-only, a standby after a failover. */
	if (PQstatus(c->pg) != CONNECTION_OK || state == NULL || !strncmp(state, "08", 2) ||
	    !strcmp(state, "57P01") || !strcmp(state, "57P02") || !strcmp(state, "57P03") || !strcmp(state, "25006")) {
		c->drop = true;
		return SK_DB_UNAVAILABLE;
	}
	if (!strcmp(state, "P0001")) {
		const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(c->rule, sizeof c->rule, "%s", m ? m : "");
		return SK_DB_RULE;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
		return SK_DB_RETRY;
	if (!strcmp(state, "23505") || !strcmp(state, "23P01"))
		return SK_DB_CONFLICT;
	if (!strncmp(state, "23", 2))
		return SK_DB_CHECK;
	return SK_DB_ERROR;
}

static bool is_prepared(struct sk_dbconn *c, const char *name)
{
	for (int i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == name || !strcmp(c->prepared[i], name))
			return true;
	return false;
}

enum sk_db_status sk_db_exec_bin(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
				 const char *const *params, const int *lengths, const int *formats, int result_format,
				 PGresult **res)
{
	if (res)
		*res = NULL;
	if (!is_prepared(c, name)) {
		PGresult *p = PQprepare(c->pg, name, sql, nparams, NULL);
		enum sk_db_status st = status_of(c, p);
		PQclear(p);
		if (st != SK_DB_OK) {
			if (st == SK_DB_ERROR)
				sk_error("db: preparing %s failed: %s", name, c->last_error);
			return st;
		}
		if (c->nprepared < MAX_PREPARED)
			c->prepared[c->nprepared++] = name;
	}
	PGresult *r = PQexecPrepared(c->pg, name, nparams, params, lengths, formats, result_format);
	enum sk_db_status st = status_of(c, r);
	if (st == SK_DB_ERROR)
		sk_error("db: %s failed: %s", name, c->last_error);
	if ((st == SK_DB_OK || st == SK_DB_NOROWS) && res)
		*res = r;
	else
		PQclear(r);
	return st;
}

enum sk_db_status sk_db_exec(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
			     const char *const *params, PGresult **res)
{
	return sk_db_exec_bin(c, name, sql, nparams, params, NULL, NULL, 0, res);
}

enum sk_db_status sk_db_json(struct sk_dbconn *c, const char *name, const char *sql, int nparams,
			     const char *const *params, char **json)
{
	PGresult *r;
	*json = NULL;
	enum sk_db_status st = sk_db_exec(c, name, sql, nparams, params, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	*json = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *json ? SK_DB_OK : SK_DB_ERROR;
}

enum sk_db_status sk_db_simple(struct sk_dbconn *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);
	enum sk_db_status st = status_of(c, r);
	PQclear(r);
	return st == SK_DB_NOROWS ? SK_DB_OK : st;
}

enum sk_db_status sk_db_tx(struct sk_dbconn *c, const char *isolation, sk_db_tx_fn fn, void *ctx)
{
	char begin[64];
	snprintf(begin, sizeof begin, "BEGIN ISOLATION LEVEL %s", isolation);
	enum sk_db_status st = SK_DB_ERROR;
	for (int attempt = 0; attempt < 8; attempt++) {
		if (attempt > 0) /* back off a little, more each time, with jitter */
			usleep((useconds_t)(1000 * attempt + rand() % 1000));
		st = sk_db_simple(c, begin);
		if (st != SK_DB_OK)
			return st;
		st = fn(c, ctx);
		if (st == SK_DB_OK || st == SK_DB_NOROWS) {
			enum sk_db_status cst = sk_db_simple(c, "COMMIT");
			if (cst == SK_DB_OK)
				return st;
			st = cst;
		} else if (PQstatus(c->pg) == CONNECTION_OK) {
			PGresult *r = PQexec(c->pg, "ROLLBACK");
			PQclear(r);
		}
		if (st != SK_DB_RETRY)
			return st;
	}
	return st;
}

static int col(PGresult *r, const char *name)
{
	int i = PQfnumber(r, name);
	if (i < 0)
		sk_error("db: no column %s in result", name);
	return i;
}

const char *sk_db_str(PGresult *r, int row, const char *name)
{
	int i = col(r, name);
	if (i < 0 || PQgetisnull(r, row, i))
		return NULL;
	return PQgetvalue(r, row, i);
}

int64_t sk_db_i64(PGresult *r, int row, const char *name)
{
	const char *s = sk_db_str(r, row, name);
	return s ? strtoll(s, NULL, 10) : 0;
}

bool sk_db_bool(PGresult *r, int row, const char *name)
{
	const char *s = sk_db_str(r, row, name);
	return s && s[0] == 't';
}

bool sk_db_isnull(PGresult *r, int row, const char *name)
{
	int i = col(r, name);
	return i < 0 || PQgetisnull(r, row, i);
}

enum sk_db_status sk_db_read_lag(struct sk_dbconn *c, double *lag)
{
	PGresult *r;
	/* A standby that has applied all it received while streaming is current (seen only with
	 * pg_read_all_stats); otherwise its data is as old as the newest of the last transaction it
	 * replayed and the last heartbeat it replayed (sql/029, stamped every second on the primary). */
	enum sk_db_status st = sk_db_exec(
		c, "db_read_lag",
		"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0::float8"
		" WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
		"  AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0::float8"
		" ELSE greatest(0, coalesce(extract(epoch FROM now() - greatest(pg_last_xact_replay_timestamp(),"
		"  (SELECT at FROM replica_heartbeat WHERE id)))::float8, 1e9)) END AS lag",
		0, NULL, &r);
	if (st == SK_DB_OK)
		*lag = strtod(sk_db_str(r, 0, "lag"), NULL);
	PQclear(r);
	return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
}

const char *sk_db_i64str(char *buf, int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}
