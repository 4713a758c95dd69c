#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind { OPT_STRING, OPT_LONG, OPT_BOOL };

struct opt {
	const char *flag; /* without the leading "--" */
	const char *env;
	enum opt_kind kind;
	size_t offset;
	const char *def;
	long min, max;
	const char *help;
};

#define O(field) offsetof(struct sk_config, field)

static const struct opt opts[] = {
	{ "database-url", "DATABASE_URL", OPT_STRING, O(database_url), NULL, 0, 0,
	  "PostgreSQL connection string (URI or key=value)" },
	{ "database-read-url", "SANGKIEN_DATABASE_READ_URL", OPT_STRING, O(database_read_url), NULL, 0, 0,
	  "connection string for public anonymous reads, e.g. a hot standby (default: --database-url)" },
	{ "replica-max-lag", "SANGKIEN_REPLICA_MAX_LAG", OPT_LONG, O(replica_max_lag), "30", 1, 86400,
	  "seconds the read database may lag behind before public reads go to the primary" },
	{ "trusted-proxy", "SANGKIEN_TRUSTED_PROXY", OPT_STRING, O(trusted_proxy), NULL, 0, 0,
	  "CIDR[,CIDR...] of reverse proxies whose X-Forwarded-For gives the client address (default: none)" },
	{ "listen", "SANGKIEN_LISTEN", OPT_STRING, O(listen), "127.0.0.1:8080", 0, 0,
	  "address:port to serve on (port 0 picks a free port)" },
	{ "port-file", "SANGKIEN_PORT_FILE", OPT_STRING, O(port_file), NULL, 0, 0,
	  "write the bound port to this file once listening" },
	{ "frontend-dir", "SANGKIEN_FRONTEND_DIR", OPT_STRING, O(frontend_dir), "frontend", 0, 0,
	  "folder of static pages" },
	{ "public-url", "SANGKIEN_PUBLIC_URL", OPT_STRING, O(public_url), NULL, 0, 0,
	  "absolute base URL of the site, e.g. https://sangkien.example.vn: link previews, QR codes (default http://LISTEN)" },
	{ "sql-dir", "SANGKIEN_SQL_DIR", OPT_STRING, O(sql_dir), "sql", 0, 0, "folder of migrations" },
	{ "db-role", "SANGKIEN_DB_ROLE", OPT_STRING, O(db_role), "sangkien_app", 0, 0,
	  "database role the server works as (SET ROLE); empty for the login role" },
	{ "threads", "SANGKIEN_THREADS", OPT_LONG, O(threads), "4", 1, 256, "HTTP worker threads" },
	{ "db-pool", "SANGKIEN_DB_POOL", OPT_LONG, O(db_pool), "0", 0, 512,
	  "database connections (0: one per worker thread)" },
	{ "max-body", "SANGKIEN_MAX_BODY", OPT_LONG, O(max_body), "1048576", 64, 1L << 30,
	  "largest JSON request body, bytes" },
	{ "max-upload", "SANGKIEN_MAX_UPLOAD", OPT_LONG, O(max_upload), "10485760", 1024, 10485760,
	  "largest uploaded file (attachment), bytes" },
	{ "max-connections", "SANGKIEN_MAX_CONNECTIONS", OPT_LONG, O(max_connections), "1024", 1,
	  100000, "open connections at most (with 64 spare, within the open-files limit)" },
	{ "max-per-ip", "SANGKIEN_MAX_PER_IP", OPT_LONG, O(max_per_ip), "128", 1, 100000,
	  "open connections from one address at most" },
	{ "idle-timeout", "SANGKIEN_IDLE_TIMEOUT", OPT_LONG, O(idle_timeout), "30", 1, 3600,
	  "seconds before an idle or slow connection is closed" },
	{ "header-timeout", "SANGKIEN_HEADER_TIMEOUT", OPT_LONG, O(header_timeout), "10", 1, 3600,
	  "seconds to receive a request's headers, however steadily they trickle" },
	{ "body-timeout", "SANGKIEN_BODY_TIMEOUT", OPT_LONG, O(body_timeout), "120", 1, 86400,
	  "seconds from a request's headers until its reply is sent (body upload included)" },
	{ "session-idle", "SANGKIEN_SESSION_IDLE", OPT_LONG, O(session_idle), "1800", 60, 86400 * 30,
	  "seconds of inactivity that end a session" },
	{ "session-absolute", "SANGKIEN_SESSION_ABSOLUTE", OPT_LONG, O(session_absolute), "43200", 60,
	  86400 * 90, "seconds after login that end a session" },
	{ "secure-cookies", "SANGKIEN_SECURE_COOKIES", OPT_BOOL, O(secure_cookies), "0", 0, 1,
	  "mark cookies Secure (set when served behind TLS)" },
	{ "login-max-per-account", "SANGKIEN_LOGIN_MAX_PER_ACCOUNT", OPT_LONG,
	  O(login_max_per_account), "5", 1, 10000,
	  "failed logins of a login from one address (or known device) per window; past it from all, a delay" },
	{ "login-max-per-ip", "SANGKIEN_LOGIN_MAX_PER_IP", OPT_LONG, O(login_max_per_ip), "20", 1,
	  100000, "failed logins per address per window" },
	{ "login-window", "SANGKIEN_LOGIN_WINDOW", OPT_LONG, O(login_window), "900", 1, 86400,
	  "seconds over which failed logins are counted" },
	{ "login-delay-max", "SANGKIEN_LOGIN_DELAY_MAX", OPT_LONG, O(login_delay_max), "300", 1, 86400,
	  "longest wait a login's failures from several addresses impose (doubling from 1 s)" },
	{ "device-ttl", "SANGKIEN_DEVICE_TTL", OPT_LONG, O(device_ttl), "15552000", 0, 86400 * 400,
	  "seconds a known-device cookie exempts its holder from others' failures (0: off)" },
	{ "setup-code-ttl", "SANGKIEN_SETUP_CODE_TTL", OPT_LONG, O(setup_code_ttl), "259200", 900, 86400 * 30,
	  "seconds a password set-up code stays valid" },
	{ "json-max-depth", "SANGKIEN_JSON_MAX_DEPTH", OPT_LONG, O(json_max_depth), "32", 2, 1000,
	  "deepest nesting accepted in a JSON body" },
	{ "test-clock", "SANGKIEN_TEST_CLOCK", OPT_BOOL, O(test_clock), "0", 0, 1,
	  "honour X-Sangkien-Test-Now (tests only, never in production)" },
	{ "access-log", "SANGKIEN_ACCESS_LOG", OPT_BOOL, O(access_log), "1", 0, 1,
	  "log one line per request" },
};

static bool set_opt(struct sk_config *cfg, const struct opt *o, const char *value, const char *from)
{
	char *base = (char *)cfg;
	switch (o->kind) {
	case OPT_STRING: {
		char **slot = (char **)(base + o->offset);
		free(*slot);
		*slot = value ? strdup(value) : NULL;
		return true;
	}
	case OPT_LONG: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
			fprintf(stderr, "sangkien: %s: '%s' is not a whole number from %ld to %ld\n", from,
				value, o->min, o->max);
			return false;
		}
		*(long *)(base + o->offset) = v;
		return true;
	}
	case OPT_BOOL: {
		bool v;
		if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") ||
		    !strcmp(value, "on"))
			v = true;
		else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") ||
			 !strcmp(value, "off") || !strcmp(value, ""))
			v = false;
		else {
			fprintf(stderr, "sangkien: %s: '%s' is not 0 or 1\n", from, value);
			return false;
		}
		*(bool *)(base + o->offset) = v;
		return true;
	}
	}
	return false;
}

/* An absolute http(s) base URL with a host, no spaces, quotes, angle brackets, query or fragment. */
static bool public_url_ok(const char *u)
{
	const char *host = !strncmp(u, "https://", 8) ? u + 8 : !strncmp(u, "http://", 7) ? u + 7 : NULL;
	if (host == NULL || *host == '\0' || *host == '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("\"'<>\\?#`", *p))
			return false;
	return strlen(u) < 512;
}

bool sk_config_load(struct sk_config *cfg, int argc, char **argv, int *rest)
{
	memset(cfg, 0, sizeof *cfg);
	size_t n = sizeof opts / sizeof opts[0];
	for (size_t i = 0; i < n; i++)
		if (opts[i].def && !set_opt(cfg, &opts[i], opts[i].def, "default"))
			return false;
	for (size_t i = 0; i < n; i++) {
		const char *v = getenv(opts[i].env);
		if (v != NULL && !set_opt(cfg, &opts[i], v, opts[i].env))
			return false;
	}
	int kept = 0;
	for (int a = 0; a < argc; a++) {
		const char *arg = argv[a];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			argv[kept++] = argv[a];
			continue;
		}
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt *o = NULL;
		for (size_t i = 0; i < n; i++)
			if (strlen(opts[i].flag) == nlen && !strncmp(opts[i].flag, name, nlen))
				o = &opts[i];
		if (o == NULL) {
			argv[kept++] = argv[a]; /* a subcommand's own flag */
			continue;
		}
		const char *value = eq ? eq + 1 : NULL;
		if (value == NULL && o->kind == OPT_BOOL)
			value = "1";
		if (value == NULL) {
			if (a + 1 >= argc) {
				fprintf(stderr, "sangkien: --%s needs a value\n", o->flag);
				return false;
			}
			value = argv[++a];
		}
		if (!set_opt(cfg, o, value, arg))
			return false;
	}
	if (cfg->db_pool == 0)
		cfg->db_pool = cfg->threads;
	char err[160];
	if (!sk_proxies_parse(cfg->trusted_proxy, &cfg->proxies, err, sizeof err)) {
		fprintf(stderr, "sangkien: --trusted-proxy: %s\n  (for example 127.0.0.1/32,10.0.0.0/8)\n", err);
		return false;
	}
	if (cfg->database_read_url && cfg->database_read_url[0] == '\0') {
		free(cfg->database_read_url);
		cfg->database_read_url = NULL;
	}
	if (cfg->public_url == NULL || cfg->public_url[0] == '\0') {
		size_t len = strlen(cfg->listen) + 8;
		free(cfg->public_url);
		cfg->public_url = malloc(len);
		if (cfg->public_url == NULL)
			return false;
		snprintf(cfg->public_url, len, "http://%s", cfg->listen);
	} else if (!public_url_ok(cfg->public_url)) {
		fprintf(stderr, "sangkien: --public-url: '%s' is not an absolute http:// or https:// address\n"
				"  (for example https://sangkien.example.vn, without a query or fragment)\n",
			cfg->public_url);
		return false;
	} else {
		size_t len = strlen(cfg->public_url);
		while (len > 0 && cfg->public_url[len - 1] == '/')
			cfg->public_url[--len] = '\0';
	}
	*rest = kept;
	return true;
}

void sk_config_usage(void)
{
	fprintf(stderr, "Options (flag, environment variable, default):\n");
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		fprintf(stderr, "  --%-22s %-32s %-16s %s\n", opts[i].flag, opts[i].env,
			opts[i].def ? opts[i].def : "(none)", opts[i].help);
}

void sk_config_cleanup(struct sk_config *cfg)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (opts[i].kind == OPT_STRING) {
			char **slot = (char **)((char *)cfg + opts[i].offset);
			free(*slot);
			*slot = NULL;
		}
}
