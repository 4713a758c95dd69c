/*
 * Operations against the real binary and the real PostgreSQL: migrations
 * (atomic, idempotent, forward-only), a database outage and recovery, an
 * internal error, clean stops on signals, `sangkien admin create`, and logs
 * that never carry secrets.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Resources a test may hold; the suite's fini releases whatever is left. */
static struct srv S;
static PGconn *ADMIN;       /* a connection to the test database, for CREATE/DROP DATABASE */
static char DBNAME[4][64];  /* databases created by the test, dropped at the end */
static char TMPDIR_[4][256]; /* folders created by the test, removed at the end */

/* ------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------- */

static const char *bin(void)
{
	const char *b = getenv("SANGKIEN_BIN");
	return b && *b ? b : "build-test/sangkien";
}

static const char *src_dir(void)
{
	const char *s = getenv("SANGKIEN_SRC");
	return s && *s ? s : ".";
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
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

/*
 * Runs the sangkien binary with args (NULL-terminated) and extra environment
 * entries "NAME=value", feeding input (may be NULL) on stdin. Waits at most
 * timeout_s seconds (then kills it and returns -1). Returns the exit status;
 * *output (caller frees) gets stdout and stderr together.
 */
static int run_bin(const char *const *args, const char *const *env, const char *input, int timeout_s,
		   char **output)
{
	char out_path[128];
	snprintf(out_path, sizeof out_path, "/tmp/sk-ops-out-%d-%ld", getpid(), random());
	int in[2];
	cr_assert_eq(pipe(in), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		dup2(in[0], STDIN_FILENO);
		close(in[0]);
		close(in[1]);
		for (const char *const *e = env; e && *e; e++)
			putenv(strdup(*e));
		const char *argv[16];
		int n = 0;
		argv[n++] = bin();
		for (const char *const *a = args; *a && n < 15; a++)
			argv[n++] = *a;
		argv[n] = NULL;
		execv(bin(), (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	if (input) {
		signal(SIGPIPE, SIG_IGN);
		ssize_t w = write(in[1], input, strlen(input));
		(void)w;
	}
	close(in[1]);
	int status = 0;
	double end = now_s() + timeout_s;
	bool done = false;
	while (!done && now_s() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			done = true;
		else
			usleep(20 * 1000);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (output)
		*output = slurp(out_path);
	unlink(out_path);
	if (!done)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A conninfo string for database `name` on the same server as the test database. */
static char *conninfo_for(const char *name)
{
	PQconninfoOption *opts = PQconninfo(ADMIN);
	cr_assert_not_null(opts);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? name : o->val;
		if (v == NULL || *v == '\0' || (o->dispchar && o->dispchar[0] == 'D'))
			continue;
		fprintf(m, "%s='", o->keyword);
		for (const char *p = v; *p; p++) {
			if (*p == '\'' || *p == '\\')
				fputc('\\', m);
			fputc(*p, m);
		}
		fputs("' ", m);
	}
	fclose(m);
	PQconninfoFree(opts);
	return buf;
}

/* Creates an empty database with a unique name kept in DBNAME[slot]; returns its conninfo (caller frees). */
static char *create_db(int slot)
{
	char code[12];
	rand_code(code);
	snprintf(DBNAME[slot], sizeof DBNAME[slot], "sk_ops_%d_%s", getpid(), code);
	for (char *p = DBNAME[slot]; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	char sql[512];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", DBNAME[slot]);
	PGresult *r = NULL;
	/* CREATE DATABASE fails while someone else happens to be connected to template1: retry a little. */
	for (int i = 0; i < 50; i++) {
		PQclear(r);
		r = PQexec(ADMIN, sql);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return conninfo_for(DBNAME[slot]);
}

static void drop_db(int slot)
{
	if (!DBNAME[slot][0] || ADMIN == NULL)
		return;
	char sql[512];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", DBNAME[slot]);
	PQclear(PQexec(ADMIN, sql));
	DBNAME[slot][0] = '\0';
}

/* A temporary folder kept in TMPDIR_[slot]. */
static const char *make_tmpdir(int slot)
{
	snprintf(TMPDIR_[slot], sizeof TMPDIR_[slot], "/tmp/sk-ops-sql-XXXXXX");
	cr_assert_not_null(mkdtemp(TMPDIR_[slot]));
	return TMPDIR_[slot];
}

static bool is_migration(const char *name)
{
	size_t len = strlen(name);
	return len >= 8 && strcmp(name + len - 4, ".sql") == 0 && name[0] >= '0' && name[0] <= '9' &&
	       name[1] >= '0' && name[1] <= '9' && name[2] >= '0' && name[2] <= '9' && name[3] == '_';
}

static void write_text(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Copies the project's migrations into dir; returns how many there are. */
static int copy_migrations(const char *dir)
{
	char sql_dir[1024];
	snprintf(sql_dir, sizeof sql_dir, "%s/sql", src_dir());
	DIR *d = opendir(sql_dir);
	cr_assert_not_null(d, "%s", sql_dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_migration(e->d_name))
			continue;
		char from[2048], to[2048];
		snprintf(from, sizeof from, "%s/%s", sql_dir, e->d_name);
		snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
		char *text = slurp(from);
		write_text(to, text, "w");
		free(text);
		n++;
	}
	closedir(d);
	cr_assert_gt(n, 0, "no migrations in %s", sql_dir);
	return n;
}

static long long count_migrations(const char *dburl)
{
	PGconn *pg = db_connect(dburl);
	long long n = db_int(pg, "SELECT count(*) FROM schema_migrations", 0, NULL);
	PQfinish(pg);
	return n;
}

static void down(void)
{
	if (S.pid > 0)
		srv_stop(&S);
	for (int i = 0; i < 4; i++)
		drop_db(i);
	for (int i = 0; i < 4; i++)
		if (TMPDIR_[i][0]) {
			char cmd[1200];
			snprintf(cmd, sizeof cmd, "rm -rf '%s'", TMPDIR_[i]);
			if (system(cmd) != 0)
				fprintf(stderr, "could not remove %s\n", TMPDIR_[i]);
			TMPDIR_[i][0] = '\0';
		}
	if (ADMIN)
		PQfinish(ADMIN);
	ADMIN = NULL;
}

static void up(void)
{
	signal(SIGPIPE, SIG_IGN);
	ADMIN = db_connect(NULL);
	atexit(down); /* also when a test's setup fails and fini is skipped; a second run does nothing */
}

TestSuite(ops, .init = up, .fini = down, .timeout = 60);

/* ------------------------------------------------------------------------- */
/* Migrations                                                                 */
/* ------------------------------------------------------------------------- */

Test(ops, a_failing_migration_applies_nothing_of_itself_and_blocks_serve)
{
	char *url = create_db(0);
	const char *dir = make_tmpdir(0);
	int good = copy_migrations(dir);
	char path[512];
	snprintf(path, sizeof path, "%s/999_broken.sql", dir);
	write_text(path, "CREATE TABLE broken_probe (id int);\nSELECT 1/0;\n", "w");

	char env_url[2048], env_dir[512];
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s", dir);
	const char *env[] = { env_url, env_dir, "SANGKIEN_LISTEN=127.0.0.1:0", NULL };
	const char *migrate[] = { "migrate", NULL };
	char *out;
	int rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 1, "migrate with a broken file exited %d:\n%s", rc, out);
	cr_assert_not_null(strstr(out, "999_broken.sql"), "the message does not name the file:\n%s", out);
	cr_assert_not_null(strstr(out, "division by zero"), "the message does not say what failed:\n%s", out);
	free(out);

	PGconn *pg = db_connect(url);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM pg_class WHERE relname = 'broken_probe'", 0, NULL), 0,
		     "the failed migration's table was left behind");
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM schema_migrations", 0, NULL), good,
		     "schema_migrations should hold exactly the %d good migrations", good);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM schema_migrations WHERE version = 999 OR name LIKE '999%'", 0,
			    NULL),
		     0);
	PQfinish(pg);

	/* serve refuses to start on a schema it cannot bring up to date. */
	const char *serve[] = { "serve", NULL };
	rc = run_bin(serve, env, NULL, 30, &out);
	cr_assert(rc != 0 && rc != -1, "serve with a failing migration exited %d (-1: it kept running):\n%s", rc,
		  out);
	cr_assert_not_null(strstr(out, "999_broken.sql"), "%s", out);
	cr_assert_null(strstr(out, "listening"), "serve started listening anyway:\n%s", out);
	free(out);
	pg = db_connect(url);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM pg_class WHERE relname = 'broken_probe'", 0, NULL), 0);
	PQfinish(pg);
	free(url);
}

/*
 * "Nothing of it was applied" must hold even when the file ends the
 * transaction itself (a COMMIT copied from a psql script, or one written to
 * run CREATE INDEX CONCURRENTLY afterwards): either such a file is refused
 * before it runs, or its first half must not stay behind.
 */
Test(ops, a_migration_cannot_commit_half_of_itself)
{
	char *url = create_db(0);
	const char *dir = make_tmpdir(0);
	int good = copy_migrations(dir);
	char path[512];
	snprintf(path, sizeof path, "%s/999_commits.sql", dir);
	write_text(path, "CREATE TABLE commit_probe (id int);\nCOMMIT;\nSELECT 1/0;\n", "w");
	char env_url[2048], env_dir[512];
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s", dir);
	const char *env[] = { env_url, env_dir, NULL };
	const char *migrate[] = { "migrate", NULL };
	char *out;
	int rc = run_bin(migrate, env, NULL, 60, &out);
	bool named = strstr(out, "999_commits.sql") != NULL;
	PGconn *pg = db_connect(url);
	free(url);
	long long left = db_int(pg, "SELECT count(*) FROM pg_class WHERE relname = 'commit_probe'", 0, NULL);
	long long recorded = db_int(pg, "SELECT count(*) FROM schema_migrations", 0, NULL);
	PQfinish(pg);
	if (rc != 1 || !named || left != 0)
		cr_log_error("migrate said:\n%s", out);
	free(out);
	cr_assert_eq(rc, 1, "exit %d", rc);
	cr_assert(named, "the message does not name the file");
	cr_assert_eq(recorded, good);
	cr_assert_eq(left, 0, "the part before the file's own COMMIT stayed applied, although migrate said "
			      "\"nothing of it was applied\"");
}

Test(ops, migrate_twice_applies_each_migration_once)
{
	char *url = create_db(0);
	char sql_dir[1024], env_url[2048], env_dir[1100];
	snprintf(sql_dir, sizeof sql_dir, "%s/sql", src_dir());
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s", sql_dir);
	const char *env[] = { env_url, env_dir, NULL };
	const char *migrate[] = { "migrate", NULL };
	const char *tmp = make_tmpdir(0);
	int files = copy_migrations(tmp); /* only to count them */

	char *out;
	int rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 0, "first migrate exited %d:\n%s", rc, out);
	free(out);
	long long first = count_migrations(url);
	cr_assert_eq(first, files, "%lld rows in schema_migrations for %d files", first, files);
	PGconn *pg = db_connect(url);
	PGresult *r = db_exec(pg, "SELECT string_agg(version || ':' || checksum || ':' || applied_at, ',' ORDER BY version)"
				  " FROM schema_migrations", 0, NULL);
	char *before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64", 0, NULL), files,
		     "every applied migration records its SHA-256");

	rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 0, "second migrate exited %d:\n%s", rc, out);
	cr_assert_not_null(strstr(out, "0 migrations applied"), "the second run should apply nothing:\n%s", out);
	cr_assert_null(strstr(out, "migrate: applied"), "%s", out);
	free(out);
	cr_assert_eq(count_migrations(url), first);
	r = db_exec(pg, "SELECT string_agg(version || ':' || checksum || ':' || applied_at, ',' ORDER BY version)"
			" FROM schema_migrations", 0, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), before, "schema_migrations changed on the second run");
	PQclear(r);
	free(before);
	PQfinish(pg);
	free(url);
}

Test(ops, an_edited_or_duplicate_migration_is_refused)
{
	char *url = create_db(0);
	const char *dir = make_tmpdir(0);
	copy_migrations(dir);
	char env_url[2048], env_dir[512];
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s", dir);
	const char *env[] = { env_url, env_dir, NULL };
	const char *migrate[] = { "migrate", NULL };
	char *out;
	int rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 0, "%s", out);
	free(out);
	long long applied = count_migrations(url);

	/* Edit an applied file, even just by a comment. */
	char path[512];
	snprintf(path, sizeof path, "%s/001_foundation.sql", dir);
	write_text(path, "\n-- an afterthought\n", "a");
	rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 1, "migrate accepted an edited migration (exit %d):\n%s", rc, out);
	cr_assert_not_null(strstr(out, "changed"), "%s", out);
	cr_assert_not_null(strstr(out, "001_foundation.sql"), "%s", out);
	free(out);
	cr_assert_eq(count_migrations(url), applied);

	/* serve refuses too. */
	const char *serve[] = { "serve", NULL };
	const char *senv[] = { env_url, env_dir, "SANGKIEN_LISTEN=127.0.0.1:0", NULL };
	rc = run_bin(serve, senv, NULL, 30, &out);
	cr_assert(rc != 0 && rc != -1, "serve exited %d:\n%s", rc, out);
	free(out);

	/* Two files with one number are refused before anything runs. */
	const char *dir2 = make_tmpdir(1);
	copy_migrations(dir2);
	snprintf(path, sizeof path, "%s/001_again.sql", dir2);
	write_text(path, "CREATE TABLE dup_probe (id int);\n", "w");
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s", dir2);
	rc = run_bin(migrate, env, NULL, 60, &out);
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert_not_null(strstr(out, "001_again.sql"), "%s", out);
	free(out);
	PGconn *pg = db_connect(url);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM pg_class WHERE relname = 'dup_probe'", 0, NULL), 0);
	PQfinish(pg);
	free(url);
}

/* ------------------------------------------------------------------------- */
/* Database outage, internal errors                                           */
/* ------------------------------------------------------------------------- */

static void set_allow_connections(const char *db, bool allow)
{
	char sql[200];
	snprintf(sql, sizeof sql, "ALTER DATABASE %s WITH ALLOW_CONNECTIONS %s", db, allow ? "true" : "false");
	PQclear(db_exec(ADMIN, sql, 0, NULL));
}

static void terminate_backends(const char *db)
{
	const char *p[] = { db };
	PQclear(db_exec(ADMIN, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", 1, p));
	/* Bounded wait until they are gone. */
	for (int i = 0; i < 100; i++) {
		if (db_int(ADMIN, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", 1, p) == 0)
			return;
		usleep(50 * 1000);
	}
	cr_assert_fail("the backends of %s did not go away", db);
}

static void expect_unavailable(struct resp *r, const char *what)
{
	cr_assert_eq(r->status, 503, "%s during the outage: %ld %s", what, r->status, r->body ? r->body : "");
	cr_assert_str_eq(err_code(r), "database_unavailable", "%s: %s", what, r->body);
	json_t *e = json_object_get(r->json, "error");
	cr_assert(json_is_string(json_object_get(e, "message")));
	cr_assert(json_is_null(json_object_get(e, "field")));
	char v[64];
	cr_assert(resp_header(r, "Retry-After", v, sizeof v), "%s: a 503 should say when to retry", what);
}

Test(ops, a_database_outage_is_503_and_the_server_recovers)
{
	char *url = create_db(0);
	srv_start(&S, url, NULL);
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/health", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(r->json, "database")), "ok");
	resp_free(r);
	r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);

	set_allow_connections(DBNAME[0], false);
	terminate_backends(DBNAME[0]);

	for (int i = 0; i < 3; i++) {
		r = http(&c, "GET", "/api/v1/health", NULL, NULL);
		expect_unavailable(r, "health");
		resp_free(r);
		r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
		expect_unavailable(r, "wards");
		resp_free(r);
	}
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"outage.%ld@example.vn\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":1}",
		 random(), TEST_PASSWORD);
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	expect_unavailable(r, "registration");
	resp_free(r);
	/* What needs no database still works. */
	r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);

	set_allow_connections(DBNAME[0], true);
	long st = 0;
	double end = now_s() + 10;
	while (now_s() < end) {
		r = http(&c, "GET", "/api/v1/health", NULL, NULL);
		st = r->status;
		if (st != 200)
			expect_unavailable(r, "health while recovering");
		resp_free(r);
		if (st == 200)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(st, 200, "health did not come back within 10 s of the database returning");
	/* Every pooled connection is usable again (two threads, two connections). */
	for (int i = 0; i < 6; i++) {
		r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
		cr_assert_eq(r->status, 200, "wards after recovery: %ld %s", r->status, r->body);
		resp_free(r);
	}
	client_cleanup(&c);
	cr_assert_eq(srv_stop(&S), 0);
	free(url);
}

Test(ops, a_database_error_is_500_with_the_request_id)
{
	char *url = create_db(0);
	srv_start(&S, url, NULL);
	struct client c;
	client_init(&c, &S);
	struct resp *r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);

	PGconn *pg = db_connect(url);
	PQclear(db_exec(pg, "ALTER TABLE wards RENAME TO wards_gone", 0, NULL));
	PQfinish(pg);

	for (int i = 0; i < 4; i++) { /* both pooled connections: one has the statement prepared, one not */
		r = http(&c, "GET", "/api/v1/wards", NULL, NULL);
		cr_assert_eq(r->status, 500, "%ld %s", r->status, r->body);
		cr_assert_str_eq(err_code(r), "internal");
		char id[64];
		cr_assert(resp_header(r, "X-Request-Id", id, sizeof id));
		const char *msg = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
		cr_assert_not_null(msg);
		cr_assert_not_null(strstr(msg, id), "the message '%s' does not give the request id %s", msg, id);
		cr_assert_null(strstr(r->body, "wards"), "the reply leaks database details: %s", r->body);
		cr_assert_null(strstr(r->body, "relation"), "the reply leaks database details: %s", r->body);
		resp_free(r);
	}
	r = http(&c, "GET", "/api/v1/version", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	r = http(&c, "GET", "/api/v1/health", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	client_cleanup(&c);
	/* The log explains the 500 for the operator. */
	cr_assert_eq(srv_stop(&S), 0);
	char *log = srv_log(&S);
	cr_assert_not_null(strstr(log, "status=500"), "%s", log);
	cr_assert_not_null(strstr(log, "wards"), "the log does not say what failed:\n%s", log);
	free(log);
	free(url);
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                    */
/* ------------------------------------------------------------------------- */

/* Waits (bounded) for the daemon to exit; returns its exit status, -1 for a signal, -2 on timeout. */
static int wait_exit(struct srv *s, int timeout_s)
{
	int status = 0;
	double end = now_s() + timeout_s;
	while (now_s() < end) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(20 * 1000);
	}
	return -2;
}

Test(ops, sigterm_and_sigint_stop_the_server_cleanly)
{
	const int sigs[] = { SIGTERM, SIGINT };
	for (int i = 0; i < 2; i++) {
		srv_start(&S, NULL, NULL);
		struct client c;
		client_init(&c, &S);
		struct resp *r = http(&c, "GET", "/api/v1/health", NULL, NULL);
		cr_assert_eq(r->status, 200);
		resp_free(r);
		/* c keeps its connection open (keep-alive) while the server stops. */
		kill(S.pid, sigs[i]);
		int rc = wait_exit(&S, 15);
		cr_assert_eq(rc, 0, "exit status %d after %s (-1: killed by a signal, -2: still running)", rc,
			     strsignal(sigs[i]));
		char *log = srv_log(&S);
		cr_assert_not_null(strstr(log, "stopped"), "%s", log);
		cr_assert_not_null(strstr(log, sigs[i] == SIGTERM ? "SIGTERM" : "SIGINT"), "%s", log);
		cr_assert_null(strstr(log, "Sanitizer"), "%s", log);
		free(log);
		client_cleanup(&c);
	}
}

/* ------------------------------------------------------------------------- */
/* Administrators                                                             */
/* ------------------------------------------------------------------------- */

static json_t *find_role(json_t *account, const char *role)
{
	json_t *roles = json_object_get(account, "roles"), *g;
	size_t i;
	json_array_foreach(roles, i, g) {
		if (strcmp(json_string_value(json_object_get(g, "role")), role) == 0)
			return g;
	}
	return NULL;
}

/* Brings the shared test database's schema up to date (admin create does not migrate). */
static void ensure_schema(void)
{
	char env_url[2048], env_dir[1100];
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", getenv("SANGKIEN_TEST_DATABASE_URL"));
	snprintf(env_dir, sizeof env_dir, "SANGKIEN_SQL_DIR=%s/sql", src_dir());
	const char *env[] = { env_url, env_dir, NULL };
	const char *args[] = { "migrate", NULL };
	char *out;
	int rc = run_bin(args, env, NULL, 60, &out);
	cr_assert_eq(rc, 0, "migrate: %s", out);
	free(out);
}

static int admin_create(const char *login_, const char *name, const char *password_line, char **out)
{
	char env_url[2048];
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", getenv("SANGKIEN_TEST_DATABASE_URL"));
	const char *env[] = { env_url, NULL };
	const char *args[] = { "admin", "create", "--login", login_, "--name", name, "--password-stdin", NULL };
	return run_bin(args, env, password_line, 60, out);
}

Test(ops, admin_create_makes_an_installation_admin)
{
	char code[12], email[64], password[64];
	rand_code(code);
	snprintf(email, sizeof email, "QuanTri.%s@Example.VN", code);
	snprintf(password, sizeof password, "quản trị %ld mạnh", random());
	char line[80];
	snprintf(line, sizeof line, "%s\n", password);
	ensure_schema();
	char *out;
	int rc = admin_create(email, "Quản trị", line, &out);
	cr_assert_eq(rc, 0, "admin create exited %d:\n%s", rc, out);
	cr_assert_null(strstr(out, password), "the password was echoed:\n%s", out);
	free(out);

	srv_start(&S, NULL, NULL);
	struct client c;
	client_init(&c, &S);
	cr_assert_eq(login(&c, email, password), 201);
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	json_t *a = json_object_get(r->json, "account");
	cr_assert_str_eq(json_string_value(json_object_get(a, "display_name")), "Quản trị");
	char lower[64];
	snprintf(lower, sizeof lower, "%s", email);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	cr_assert_str_eq(json_string_value(json_object_get(a, "login")), lower);
	json_t *g = find_role(a, "admin");
	cr_assert_not_null(g, "no admin role: %s", r->body);
	cr_assert(json_is_null(json_object_get(g, "ward_id")), "an installation admin has ward_id null: %s", r->body);
	resp_free(r);
	/* And it acts as one: it may create a ward. */
	char ward_code[12], body[128];
	rand_code(ward_code);
	snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"Phường quản trị\"}", ward_code);
	r = http(&c, "POST", "/api/v1/admin/wards", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	resp_free(r);
	client_cleanup(&c);
}

Test(ops, admin_create_refuses_a_short_password_or_bad_login)
{
	char code[12], email[64];
	rand_code(code);
	snprintf(email, sizeof email, "short.%s@example.vn", code);
	for (char *p = email; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ensure_schema();
	char *out;
	int rc = admin_create(email, "Quản trị", "ngắn quá\n", &out); /* 8 characters */
	cr_assert_eq(rc, 2, "a short password: exit %d\n%s", rc, out);
	free(out);
	rc = admin_create(email, "Quản trị", "", &out); /* nothing on stdin */
	cr_assert_eq(rc, 2, "no password: exit %d\n%s", rc, out);
	free(out);
	rc = admin_create("not-a-login", "Quản trị", "một mật khẩu đủ dài\n", &out);
	cr_assert_eq(rc, 2, "a bad login: exit %d\n%s", rc, out);
	free(out);
	const char *p[] = { email };
	cr_assert_eq(db_int(ADMIN, "SELECT count(*) FROM accounts WHERE login = $1", 1, p), 0, "an account was created");
}

Test(ops, admin_create_promotes_an_existing_account)
{
	srv_start(&S, NULL, NULL);
	struct client c;
	client_init(&c, &S);
	int64_t group, ward = seed_ward(ADMIN, &group);
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, group);
	char *out;
	int rc = admin_create(phone, "Quản trị", "mật khẩu quản trị mới\n", &out);
	cr_assert_eq(rc, 0, "%s", out);
	free(out);
	cr_assert_eq(login(&c, phone, "mật khẩu quản trị mới"), 201);
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	json_t *a = json_object_get(r->json, "account");
	cr_assert_eq(json_integer_value(json_object_get(a, "id")), id, "promoted, not a second account");
	cr_assert_not_null(find_role(a, "admin"), "%s", r->body);
	cr_assert_not_null(find_role(a, "resident"), "the resident role stays: %s", r->body);
	resp_free(r);
	client_cleanup(&c);
}

Test(ops, the_first_account_on_an_empty_database_is_only_a_resident)
{
	char *url = create_db(0);
	srv_start(&S, url, NULL);
	PGconn *pg = db_connect(url);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM accounts", 0, NULL), 0);
	int64_t group, ward = seed_ward(pg, &group);
	struct client c;
	client_init(&c, &S);
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, group);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	struct resp *r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200);
	json_t *roles = json_object_get(json_object_get(r->json, "account"), "roles");
	cr_assert_eq(json_array_size(roles), 1, "%s", r->body);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(roles, 0), "role")), "resident");
	resp_free(r);
	/* Nor can it make itself one. */
	char body[128];
	snprintf(body, sizeof body, "{\"account_id\":%lld,\"ward_id\":%lld,\"role\":\"admin\"}", (long long)id,
		 (long long)ward);
	r = http(&c, "POST", "/api/v1/admin/roles", body, NULL);
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	r = http(&c, "POST", "/api/v1/admin/wards", "{\"code\":\"ZZ\",\"name\":\"Phường Z\"}", NULL);
	cr_assert_eq(r->status, 403, "%s", r->body);
	resp_free(r);
	cr_assert_eq(db_int(pg, "SELECT count(*) FROM role_grants WHERE role <> 'resident'", 0, NULL), 0);
	PQfinish(pg);
	client_cleanup(&c);
	free(url);
}

/* ------------------------------------------------------------------------- */
/* Logs                                                                       */
/* ------------------------------------------------------------------------- */

Test(ops, logs_never_contain_secrets)
{
	srv_start(&S, NULL, NULL);
	int64_t group, ward = seed_ward(ADMIN, &group);
	char phone[16], password[64], intl[20], body[512];
	rand_phone(phone);
	snprintf(intl, sizeof intl, "+84%s", phone + 1);
	snprintf(password, sizeof password, "Bí mật %ld của tôi", random());
	struct client c;
	client_init(&c, &S);
	register_account(&c, phone, password, ward, group);

	/* A failed login, then a good one in the +84 form. */
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s sai\"}", phone, password);
	struct resp *r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 401);
	resp_free(r);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", intl, password);
	r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	char cookie[512], token[128] = "", csrf[128];
	cr_assert(resp_header(r, "Set-Cookie", cookie, sizeof cookie));
	cr_assert_eq(sscanf(cookie, "sk_session=%127[^;]", token), 1, "%s", cookie);
	cr_assert_geq(strlen(token), 32);
	snprintf(csrf, sizeof csrf, "%s", json_string_value(json_object_get(r->json, "csrf_token")));
	cr_assert_geq(strlen(csrf), 32);
	snprintf(c.csrf, sizeof c.csrf, "%.63s", csrf);
	resp_free(r);

	/* Requests with the session, some carrying the number in the address. */
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200);
	resp_free(r);
	char path[128];
	snprintf(path, sizeof path, "/api/v1/admin/accounts?login=%s", phone);
	r = http(&c, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 403);
	resp_free(r);
	snprintf(path, sizeof path, "/%s.html", phone);
	r = http(&c, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 404);
	resp_free(r);
	snprintf(path, sizeof path, "/api/v1/nothing/%s", phone);
	r = http(&c, "GET", path, NULL, NULL);
	cr_assert_eq(r->status, 404);
	resp_free(r);
	/* The same login again (409), and a body that fails as JSON around the password. */
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"A\",\"ward_id\":%lld}", phone,
		 password, (long long)ward);
	r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	cr_assert_eq(r->status, 409);
	resp_free(r);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"", phone, password);
	r = http(&c, "POST", "/api/v1/sessions", body, NULL);
	cr_assert_eq(r->status, 400);
	resp_free(r);
	r = http(&c, "DELETE", "/api/v1/sessions/current", NULL, NULL);
	cr_assert_eq(r->status, 204);
	resp_free(r);
	client_cleanup(&c);

	cr_assert_eq(srv_stop(&S), 0); /* every line is written */
	char *log = srv_log(&S);
	const char *national = phone + 1; /* 9 digits: inside 09…, +849…, 849… alike */
	cr_assert_null(strstr(log, national), "the log contains the phone number:\n%s", log);
	cr_assert_null(strstr(log, password), "the log contains the password:\n%s", log);
	cr_assert_null(strstr(log, "Bí mật"), "the log contains part of the password:\n%s", log);
	cr_assert_null(strstr(log, token), "the log contains the session token:\n%s", log);
	cr_assert_null(strstr(log, csrf), "the log contains the CSRF token:\n%s", log);
	cr_assert_null(strstr(log, "$argon2"), "the log contains a password hash:\n%s", log);
	cr_assert_not_null(strstr(log, "req="), "%s", log);
	cr_assert_not_null(strstr(log, "status=201"), "%s", log);
	cr_assert_not_null(strstr(log, "status=401"), "%s", log);
	free(log);
}
