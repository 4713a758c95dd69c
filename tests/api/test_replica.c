/*
 * Issue 14, part 1: several server processes on one primary, and a second pool for public reads
 * (--database-read-url). The "replica" here is a second database migrated the same way, which
 * never receives the primary's writes: whatever a request shows from it proves which pool served
 * it. (A real streaming standby is exercised by the cluster suite, scripts/cluster.)
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static PGconn *PG;
static char replica_name[64];
static char replica_url[1200];

#define S64(v) fmt_path("%lld", (long long)(v))

/* url with its database replaced by name (URI "postgresql://host/db?…" or key=value form). */
static void url_for(const char *url, const char *name, char *out, size_t outsz)
{
	const char *scheme = strstr(url, "://");
	if (scheme == NULL) {
		snprintf(out, outsz, "%s dbname='%s'", url, name);
		return;
	}
	const char *path = strchr(scheme + 3, '/');
	const char *query = strchr(scheme + 3, '?');
	if (path == NULL || (query && query < path))
		path = query ? query : url + strlen(url);
	const char *rest = query ? query : "";
	snprintf(out, outsz, "%.*s/%s%s", (int)(path - url), url, name, rest);
}

/* Creates database name (dropped first if left over) on the test server, migrated; its URL into url. */
static void database_new(const char *name, char *url, size_t urlsz)
{
	PQclear(db_exec(PG, fmt_path("DROP DATABASE IF EXISTS %s", name), 0, NULL));
	PQclear(db_exec(PG, fmt_path("CREATE DATABASE %s", name), 0, NULL));
	url_for(getenv("SANGKIEN_TEST_DATABASE_URL"), name, url, urlsz);
	const char *bin = getenv("SANGKIEN_BIN"), *src = getenv("SANGKIEN_SRC");
	pid_t pid = fork();
	if (pid == 0) {
		setenv("DATABASE_URL", url, 1);
		setenv("SANGKIEN_SQL_DIR", fmt_path("%s/sql", src ? src : "."), 1);
		execl(bin, bin, "migrate", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "migrating the database %s failed", name);
}

static void replica_up(void)
{
	PG = db_connect(NULL);
	snprintf(replica_name, sizeof replica_name, "sangkien_replica_%d", (int)getpid());
	database_new(replica_name, replica_url, sizeof replica_url);
}

static void replica_down(void)
{
	PQfinish(PG);
	PGconn *pg = db_connect(NULL);
	PQclear(PQexec(pg, fmt_path("DROP DATABASE IF EXISTS %s WITH (FORCE)", replica_name)));
	PQfinish(pg);
}

TestSuite(replica, .init = replica_up, .fini = replica_down, .timeout = 200);

static bool wards_list_has(struct srv *s, const char *code, struct client *as)
{
	struct client anon;
	struct client *c = as;
	if (c == NULL) {
		client_init(&anon, s);
		c = &anon;
	}
	struct resp *r = http(c, "GET", "/api/v1/wards", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	bool found = strstr(r->body, code) != NULL;
	resp_free(r);
	if (as == NULL)
		client_cleanup(&anon);
	return found;
}

Test(replica, public_reads_use_the_read_pool_and_signed_in_reads_the_primary)
{
	struct srv s;
	const char *env[] = { fmt_path("SANGKIEN_DATABASE_READ_URL=%s", replica_url), NULL };
	srv_start(&s, NULL, env);
	int64_t group;
	int64_t ward = seed_ward(PG, &group); /* on the primary only */
	char *code = db_text(PG, "SELECT code FROM wards WHERE id = $1", 1, (const char *const[]){ S64(ward) });
	/* Anonymous: the read pool, which does not have the new ward. */
	cr_assert(!wards_list_has(&s, code, NULL), "an anonymous public read went to the primary");
	PGconn *rep = db_connect(replica_url);
	PQclear(db_exec(rep, "INSERT INTO wards (code, name) VALUES ($1, 'Phường bản sao')", 1,
			(const char *const[]){ code }));
	cr_assert(wards_list_has(&s, code, NULL), "the read pool's data is not what was served");

	/* The public lists say how old their data is. */
	struct client anon;
	client_init(&anon, &s);
	struct resp *r = http(&anon, "GET", "/api/v1/campaigns", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	const char *as_of = json_string_value(json_object_get(r->json, "as_of"));
	cr_assert(as_of != NULL && strlen(as_of) == 20 && as_of[10] == 'T' && as_of[19] == 'Z', "as_of: %s", r->body);
	resp_free(r);

	/* A resident who has just registered (a write on the primary) sees their own account at once:
	 * signed-in reads never use the read pool, where the account does not exist. */
	struct client c;
	client_init(&c, &s);
	char phone[16];
	rand_phone(phone);
	int64_t id = register_account(&c, phone, TEST_PASSWORD, ward, group);
	cr_assert(id > 0);
	cr_assert_eq(login(&c, phone, TEST_PASSWORD), 201);
	r = http(&c, "GET", "/api/v1/me", NULL, NULL);
	cr_assert_eq(r->status, 200, "own account not visible at once: %ld %s", r->status, r->body);
	resp_free(r);
	/* Public routes that do not look the session up still read the primary for a client with a
	 * session cookie (it may have just written what it reads: an adoption on a model page). */
	int64_t ward2 = seed_ward(PG, NULL);
	char *code2 = db_text(PG, "SELECT code FROM wards WHERE id = $1", 1, (const char *const[]){ S64(ward2) });
	cr_assert(wards_list_has(&s, code2, &c), "a signed-in client's public read went to the read pool");
	cr_assert(!wards_list_has(&s, code2, NULL));
	free(code2);
	/* A signed-in client's call list is read on the primary: a call just opened there shows. */
	const char *cp[] = { S64(ward) };
	int64_t call = db_int(PG,
			      "INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at, state, config_digest)"
			      " VALUES ($1, 'Đợt mới mở', 'Mô tả', now() - interval '1 day', now() + interval '30 days',"
			      " 'open', repeat('a', 64)) RETURNING id",
			      1, cp);
	r = http(&c, "GET", fmt_path("/api/v1/campaigns?ward_id=%lld", (long long)ward), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert(strstr(r->body, fmt_path("\"id\":%lld", (long long)call)) != NULL, "signed-in list missed the call: %s",
		  r->body);
	resp_free(r);
	r = http(&anon, "GET", fmt_path("/api/v1/campaigns?ward_id=%lld", (long long)ward), NULL, NULL);
	cr_assert(strstr(r->body, fmt_path("\"id\":%lld", (long long)call)) == NULL, "anonymous list came from the primary");
	resp_free(r);
	client_cleanup(&anon);
	client_cleanup(&c);
	free(code);
	PQfinish(rep);
	srv_stop(&s);
}

Test(replica, a_process_with_a_read_pool_stamps_the_heartbeat)
{
	struct srv s;
	const char *env[] = { fmt_path("SANGKIEN_DATABASE_READ_URL=%s", replica_url), NULL };
	srv_start(&s, NULL, env);
	long long age = 99;
	for (int i = 0; i < 30 && age > 1; i++) {
		usleep(100 * 1000);
		age = db_int(PG, "SELECT extract(epoch FROM now() - at)::int8 FROM replica_heartbeat", 0, NULL);
	}
	cr_assert(age <= 1, "replica_heartbeat not stamped: %lld s old", age);
	srv_stop(&s);
}

Test(replica, an_unreachable_read_pool_falls_back_to_the_primary)
{
	struct srv s;
	const char *env[] = { "SANGKIEN_DATABASE_READ_URL=postgresql://127.0.0.1:1/nowhere?connect_timeout=1", NULL };
	srv_start(&s, NULL, env);
	int64_t ward = seed_ward(PG, NULL);
	char *code = db_text(PG, "SELECT code FROM wards WHERE id = $1", 1, (const char *const[]){ S64(ward) });
	cr_assert(wards_list_has(&s, code, NULL), "public read failed instead of using the primary");
	free(code);
	srv_stop(&s);
}

/* Inserts a published decision (version v, superseding v-1) of call with rank-1 title. */
static void publish(int64_t call, int64_t ward, int64_t by, int version, const char *title)
{
	const char *p[] = { S64(call), S64(ward), S64(by), S64(version), title };
	PQclear(db_exec(PG,
			"INSERT INTO decisions (campaign_id, ward_id, version, supersedes, correction_reason, method,"
			" inputs_digest, snapshot, decided_by, decided_at, published_by, published_at)"
			" VALUES ($1, $2, $4::int, (SELECT id FROM decisions WHERE campaign_id = $1 AND version = $4::int - 1),"
			" CASE WHEN $4::int > 1 THEN 'Đính chính' END, 'raw', repeat('b', 64),"
			" jsonb_build_object('campaign_title', 'Đợt', 'ranking', jsonb_build_array(jsonb_build_object("
			"'rank', 1, 'title', $5::text, 'award', 'Giải nhất'))), $3, now(), $3, now())",
			5, p));
}

static char *results_body(struct srv *s, int64_t call)
{
	struct client c;
	client_init(&c, s);
	struct resp *r = http(&c, "GET", fmt_path("/api/v1/campaigns/%lld/results", (long long)call), NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	char *body = strdup(r->body);
	resp_free(r);
	client_cleanup(&c);
	return body;
}

Test(replica, a_publication_elsewhere_reaches_every_process_cache)
{
	struct srv a, b;
	srv_start(&a, NULL, NULL);
	srv_start(&b, NULL, NULL);
	int64_t ward = seed_ward(PG, NULL);
	struct client c;
	client_init(&c, &a);
	char phone[16];
	rand_phone(phone);
	int64_t leader = make_account(&c, PG, ward, phone, "Lãnh đạo");
	client_cleanup(&c);
	const char *cp[] = { S64(ward) };
	int64_t call = db_int(PG,
			      "INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at, state, config_digest)"
			      " VALUES ($1, 'Đợt', 'Mô tả', now() - interval '30 days', now() - interval '1 day',"
			      " 'published', repeat('a', 64)) RETURNING id",
			      1, cp);
	publish(call, ward, leader, 1, "Bản đầu");
	char *first = results_body(&a, call); /* now in A's cache */
	cr_assert(strstr(first, "Bản đầu"));
	free(first);
	/* Another process (here: the database directly, as process B or a psql session would) publishes a
	 * correction. A must serve it within a couple of seconds, without anyone telling it. */
	publish(call, ward, leader, 2, "Bản đính chính");
	char *seen = NULL;
	for (int i = 0; i < 30; i++) {
		free(seen);
		seen = results_body(&a, call);
		if (strstr(seen, "Bản đính chính"))
			break;
		usleep(100 * 1000);
	}
	cr_assert(strstr(seen, "Bản đính chính"), "process A still serves the old results after 3 s: %s", seen);
	free(seen);
	seen = results_body(&b, call);
	cr_assert(strstr(seen, "Bản đính chính"));
	free(seen);
	srv_stop(&b);
	srv_stop(&a);
}

static long long sealers(void)
{
	return db_int(PG,
		      "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory'"
		      " AND l.classid = 29547 AND l.objid::int4 = hashtext('score-sealer') AND l.granted"
		      " AND a.datname = current_database()",
		      0, NULL);
}

Test(replica, exactly_one_sealer_across_processes)
{
	struct srv a, b;
	srv_start(&a, NULL, NULL);
	srv_start(&b, NULL, NULL);
	usleep(300 * 1000);
	cr_assert_eq(sealers(), 1, "score sealers holding the lock: %lld", sealers());
	/* The holder goes away: the other process takes over within a second or so. */
	srv_stop(&a);
	long long n = 0;
	for (int i = 0; i < 60 && n != 1; i++) {
		usleep(100 * 1000);
		n = sealers();
	}
	cr_assert_eq(n, 1, "no process took the sealer over: %lld", n);
	srv_stop(&b);
}

/* POST /accounts for a new login in ward/group; returns the status, and the error code into code. */
static long register_status(struct srv *s, int64_t ward, int64_t group, char code[64], char retry[16])
{
	struct client c;
	client_init(&c, s);
	char phone[16];
	rand_phone(phone);
	const char *body = fmt_path("{\"login\":\"%s\",\"password\":\"%s\",\"display_name\":\"Cư dân\","
				    "\"ward_id\":%lld,\"group_id\":%lld}",
				    phone, TEST_PASSWORD, (long long)ward, (long long)group);
	struct resp *r = http(&c, "POST", "/api/v1/accounts", body, NULL);
	long st = r->status;
	snprintf(code, 64, "%s", err_code(r));
	retry[0] = '\0';
	resp_header(r, "Retry-After", retry, 16);
	resp_free(r);
	client_cleanup(&c);
	return st;
}

/*
 * A failover as the pool sees it: every connection is cut, and the server that answers next is
 * read-only (a standby, or the old primary come back as one); later a writable primary answers
 * again. Writes meanwhile answer 503 database_unavailable with Retry-After (not 500), and once a
 * primary is back they succeed without a restart: a connection that met a read-only server was
 * not kept.
 */
Test(replica, writes_after_a_failover_need_no_restart)
{
	char name[64], url[1200];
	snprintf(name, sizeof name, "sangkien_failover_%d", (int)getpid());
	database_new(name, url, sizeof url);
	struct srv s;
	srv_start(&s, url, NULL);
	PGconn *db = db_connect(url);
	int64_t group, ward = seed_ward(db, &group);
	char code[64], retry[16];
	cr_assert_eq(register_status(&s, ward, group, code, retry), 201, "%s", code);

	PQclear(db_exec(PG, fmt_path("ALTER DATABASE %s SET default_transaction_read_only = on", name), 0, NULL));
	PQclear(db_exec(PG, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
			" AND application_name LIKE 'sangkien%'", 1, (const char *const[]){ name }));
	PQfinish(db);
	for (int i = 0; i < 4; i++) {
		long st = register_status(&s, ward, group, code, retry);
		cr_assert_eq(st, 503, "write %d on a read-only server: %ld %s (expected 503)", i, st, code);
		cr_assert_str_eq(code, "database_unavailable");
		cr_assert_str_eq(retry, "5");
	}
	PQclear(db_exec(PG, fmt_path("ALTER DATABASE %s RESET default_transaction_read_only", name), 0, NULL));
	long st = 0;
	for (int i = 0; i < 4 && st != 201; i++)
		st = register_status(&s, ward, group, code, retry);
	cr_assert_eq(st, 201, "writes still fail after the primary is back: %ld %s", st, code);
	srv_stop(&s);
	PQclear(PQexec(PG, fmt_path("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)));
}
