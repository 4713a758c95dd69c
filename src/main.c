/* sangkien: serve, migrate, admin create. */
#include "media/photo.h"
#include "cli_admin.h"
#include "cli_audit.h"
#include "config.h"
#include "db/migrate.h"
#include "db/heartbeat.h"
#include "db/sealer.h"
#include "http/server.h"
#include "log.h"

#include <locale.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
	fprintf(stderr,
		"sangkien %s: proposals, appraisal and published results for a ward's digital-transformation call\n\n"
		"usage: sangkien [options] <command>\n"
		"  serve                 apply pending migrations, then serve HTTP\n"
		"  migrate               apply pending migrations and exit\n"
		"  admin create --login L --name N [--password-stdin]\n"
		"                        create an installation administrator\n"
		"  audit verify [--campaign ID]\n"
		"                        recompute the score records' hash chains\n"
		"  --help, --version\n\n",
		SK_VERSION);
	sk_config_usage();
}

static bool need_database(const struct sk_config *cfg)
{
	if (cfg->database_url && cfg->database_url[0])
		return true;
	fprintf(stderr, "sangkien: no database: set DATABASE_URL or pass --database-url\n");
	return false;
}

static int run_migrate(const struct sk_config *cfg)
{
	int applied;
	char err[1024];
	if (!sk_migrate(cfg->database_url, cfg->sql_dir, &applied, err, sizeof err)) {
		sk_error("migrate: %s", err);
		return 1;
	}
	sk_info("migrate: %d migration%s applied, schema up to date", applied, applied == 1 ? "" : "s");
	return 0;
}

static int run_serve(const struct sk_config *cfg)
{
	if (run_migrate(cfg) != 0) {
		sk_error("serve: refusing to start until the migrations apply");
		return 1;
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* threads started from here on inherit the mask */
	signal(SIGPIPE, SIG_IGN);
	struct sk_db *db = sk_db_new(cfg->database_url, (int)cfg->db_pool, cfg->db_role);
	if (db == NULL)
		return 1;
	char err[600];
	if (cfg->db_role && *cfg->db_role && !sk_db_check(db, err, sizeof err) && strstr(err, "SET ROLE")) {
		sk_error("serve: %s. Grant the role to the login user (GRANT %s TO <user>) or set SANGKIEN_DB_ROLE=''.",
			 err, cfg->db_role);
		sk_db_free(db);
		return 1;
	}
	/* Public anonymous reads may go to a hot standby: a second pool of the same size. */
	struct sk_db *read_db = NULL;
	if (cfg->database_read_url && strcmp(cfg->database_read_url, cfg->database_url) != 0)
		read_db = sk_db_new_named(cfg->database_read_url, (int)cfg->db_pool, cfg->db_role, "sangkien-read");
	struct sk_server *srv = sk_server_start(cfg, db, read_db);
	if (srv == NULL) {
		sk_db_free(read_db);
		sk_db_free(db);
		return 1;
	}
	sk_log_start();
	/* With a read database, one process stamps the heartbeat its lag is measured by (sql/029). */
	struct sk_heartbeat *heartbeat = read_db ? sk_heartbeat_start(cfg->database_url, cfg->db_role) : NULL;
	if (read_db && heartbeat == NULL)
		sk_warn("serve: the replica heartbeat did not start: an idle primary makes the replica look late");
	/* Chains the review events every 25 ms: review writes never wait for the chain (sql/012). */
	struct sk_sealer *sealer = sk_sealer_start(cfg->database_url, cfg->db_role, 25);
	if (sealer == NULL)
		sk_warn("serve: the score record's sealer did not start: events are sealed only on demand");
	sk_info("serve: listening on %s (port %u), %ld threads, %ld database connections%s", cfg->listen,
		(unsigned)srv->port, cfg->threads, cfg->db_pool, read_db ? " (and as many for public reads)" : "");
	if (cfg->proxies.n > 0)
		sk_info("serve: the client address comes from X-Forwarded-For on connections from %s", cfg->trusted_proxy);
	for (int i = 0; i < cfg->proxies.n; i++)
		if (cfg->proxies.ranges[i].bits == 0)
			sk_warn("serve: --trusted-proxy includes every address (/0): any client can choose the address "
				"the login limits and the audit log see. List only the proxies' addresses.");
	if (cfg->test_clock)
		sk_warn("serve: the test clock is on: X-Sangkien-Test-Now is honoured. Never do this in production.");
	int sig = 0;
	sigwait(&stop, &sig);
	sk_info("serve: %s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sk_server_stop(srv);
	sk_sealer_stop(sealer); /* after the server: the writes it acknowledged are sealed before exit */
	sk_heartbeat_stop(heartbeat);
	sk_db_free(read_db);
	sk_db_free(db);
	sk_info("serve: stopped");
	sk_log_stop();
	return 0;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "C.UTF-8");
	if (sodium_init() < 0) {
		fprintf(stderr, "sangkien: libsodium could not start\n");
		return 1;
	}
	/* libvips for uploaded photos (src/media/photo.c): no operation cache, concurrency 1. */
	if (sk_photo_init(argv[0]) != 0) {
		fprintf(stderr, "sangkien: libvips could not start\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("sangkien %s\n", SK_VERSION);
			return 0;
		}
	}
	struct sk_config cfg;
	int rest;
	if (!sk_config_load(&cfg, argc - 1, argv + 1, &rest)) {
		sk_config_cleanup(&cfg);
		return 2;
	}
	char **args = argv + 1;
	int rc = 2;
	if (rest == 0) {
		usage();
	} else if (!strcmp(args[0], "serve") && rest == 1) {
		rc = need_database(&cfg) ? run_serve(&cfg) : 2;
	} else if (!strcmp(args[0], "migrate") && rest == 1) {
		rc = need_database(&cfg) ? run_migrate(&cfg) : 2;
	} else if (!strcmp(args[0], "audit")) {
		rc = need_database(&cfg) ? sk_cli_audit(&cfg, rest - 1, args + 1) : 2;
	} else if (!strcmp(args[0], "admin")) {
		rc = need_database(&cfg) ? sk_cli_admin(&cfg, rest - 1, args + 1) : 2;
	} else {
		fprintf(stderr, "sangkien: unknown command '%s' (try --help)\n", args[0]);
	}
	sk_config_cleanup(&cfg);
	return rc;
}
