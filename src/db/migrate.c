#include "db/migrate.h"

#include "db/db.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MIGRATIONS 512

struct migration {
	int version;
	char name[256];
};

static int by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int list_migrations(const char *dir, struct migration *out, char *err, size_t errsz)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errsz, "cannot open the migrations folder %s", dir);
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 8 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (!isdigit((unsigned char)e->d_name[0]) || !isdigit((unsigned char)e->d_name[1]) ||
		    !isdigit((unsigned char)e->d_name[2]) || e->d_name[3] != '_' || len >= 256)
			continue;
		if (n == MAX_MIGRATIONS)
			break;
		out[n].version = atoi(e->d_name);
		snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
		n++;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof *out, by_version);
	for (int i = 1; i < n; i++)
		if (out[i].version == out[i - 1].version) {
			snprintf(err, errsz, "two migrations share number %03d: %s and %s", out[i].version,
				 out[i - 1].name, out[i].name);
			return -1;
		}
	return n;
}

/*
 * The first statement in sql that controls transactions (BEGIN, COMMIT, ROLLBACK, END, START,
 * SAVEPOINT, RELEASE, ABORT, PREPARE TRANSACTION), looking past comments, quoted strings and
 * dollar-quoted bodies; NULL when there is none. Such a statement would end the migration's own
 * transaction half-way, so files that hold one are refused before anything runs.
 */
static const char *transaction_control(const char *sql, char *word, size_t wordsz)
{
	static const char *const banned[] = { "begin", "commit", "rollback", "end", "start", "savepoint",
					      "release", "abort", "prepare", NULL };
	bool at_start = true;
	const char *p = sql;
	while (*p) {
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
			continue;
		}
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && !(*p == q && p[1] != q))
				p += *p == q ? 2 : 1;
			if (*p)
				p++;
			at_start = false;
			continue;
		}
		if (*p == '$') { /* $tag$ ... $tag$ */
			const char *e = p + 1;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			if (*e == '$') {
				size_t taglen = (size_t)(e - p + 1);
				char tag[64];
				if (taglen < sizeof tag) {
					memcpy(tag, p, taglen);
					tag[taglen] = '\0';
					const char *close = strstr(e + 1, tag);
					p = close ? close + taglen : p + strlen(p);
					at_start = false;
					continue;
				}
			}
		}
		if (*p == ';') {
			at_start = true;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (at_start && isalpha((unsigned char)*p)) {
			size_t n = 0;
			while (isalpha((unsigned char)p[n]) && n + 1 < wordsz) {
				word[n] = (char)tolower((unsigned char)p[n]);
				n++;
			}
			word[n] = '\0';
			for (int i = 0; banned[i]; i++)
				if (!strcmp(word, banned[i]))
					return p;
		}
		at_start = false;
		p++;
	}
	return NULL;
}

static void checksum_hex(const char *sql, size_t len, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)sql, len);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

static const char create_table[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now());"
	"COMMENT ON TABLE schema_migrations IS 'Migrations applied from sql/, one row each; written "
	"only by sangkien migrate.'";

bool sk_migrate(const char *url, const char *dir, int *applied, char *err, size_t errsz)
{
	*applied = 0;
	struct migration *list = calloc(MAX_MIGRATIONS, sizeof *list);
	if (list == NULL) {
		snprintf(err, errsz, "out of memory");
		return false;
	}
	bool ok = false;
	struct sk_dbconn *c = NULL;
	int n = list_migrations(dir, list, err, errsz);
	if (n < 0)
		goto out;
	c = sk_dbconn_open(url, err, errsz);
	if (c == NULL)
		goto out;
	PGconn *pg = sk_dbconn_pg(c);
	PGresult *r = PQexec(pg, "SET client_min_messages = warning;"
				 "SELECT pg_advisory_lock(7265626);");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errsz, "cannot lock for migration: %s", PQerrorMessage(pg));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	if (sk_db_simple(c, create_table) != SK_DB_OK) {
		snprintf(err, errsz, "cannot create schema_migrations: %s", sk_db_last_error(c));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, list[i].name);
		size_t len = 0;
		char *sql = read_file(path, &len);
		if (sql == NULL) {
			snprintf(err, errsz, "cannot read %s", path);
			goto out;
		}
		char hex[65], version[16];
		checksum_hex(sql, len, hex);
		snprintf(version, sizeof version, "%d", list[i].version);
		const char *p1[] = { version };
		r = PQexecParams(pg, "SELECT checksum, name FROM schema_migrations WHERE version = $1", 1,
				 NULL, p1, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(err, errsz, "cannot read schema_migrations: %s", PQerrorMessage(pg));
			PQclear(r);
			free(sql);
			goto out;
		}
		if (PQntuples(r) == 1) {
			bool same = strcmp(PQgetvalue(r, 0, 0), hex) == 0;
			PQclear(r);
			free(sql);
			if (!same) {
				snprintf(err, errsz,
					 "migration %s was changed after it was applied; migrations are "
					 "forward-only: revert the file and add a new migration",
					 list[i].name);
				goto out;
			}
			continue;
		}
		PQclear(r);
		char word[32];
		if (transaction_control(sql, word, sizeof word)) {
			snprintf(err, errsz,
				 "migration %s contains a %s statement; each migration already runs in its own "
				 "transaction, so remove it (nothing was applied)",
				 list[i].name, word);
			free(sql);
			goto out;
		}
		r = PQexec(pg, "BEGIN");
		PQclear(r);
		r = PQexec(pg, sql);
		free(sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(err, errsz, "migration %s failed, nothing of it was applied: %s",
				 list[i].name, PQresultErrorMessage(r));
			PQclear(r);
			r = PQexec(pg, "ROLLBACK");
			PQclear(r);
			goto out;
		}
		PQclear(r);
		if (PQtransactionStatus(pg) != PQTRANS_INTRANS) { /* belt and braces: the file ended the transaction */
			snprintf(err, errsz, "migration %s ended its own transaction; it was not recorded", list[i].name);
			goto out;
		}
		const char *p3[] = { version, list[i].name, hex };
		r = PQexecParams(pg,
				 "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				 3, NULL, p3, NULL, NULL, 0);
		bool recorded = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		r = PQexec(pg, recorded ? "COMMIT" : "ROLLBACK");
		bool committed = recorded && PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!committed) {
			snprintf(err, errsz, "migration %s could not be committed: %s", list[i].name,
				 PQerrorMessage(pg));
			goto out;
		}
		sk_info("migrate: applied %s", list[i].name);
		(*applied)++;
	}
	ok = true;
out:
	if (c != NULL) {
		r = PQexec(sk_dbconn_pg(c), "SELECT pg_advisory_unlock(7265626)");
		PQclear(r);
	}
	sk_dbconn_close(c);
	free(list);
	return ok;
}
