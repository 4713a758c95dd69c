/* Server configuration: one table of options, each settable by flag or environment. */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include "domain/forwarded.h"

#include <stdbool.h>
#include <stddef.h>

struct sk_config {
	char *database_url;
	char *database_read_url; /* public anonymous reads (a hot standby may serve them); NULL: database_url */
	long replica_max_lag;    /* seconds: a read pool further behind than this is not used */
	char *trusted_proxy;     /* "CIDR[,CIDR…]": peers whose X-Forwarded-For is believed */
	struct sk_proxies proxies; /* trusted_proxy, parsed */
	char *listen;        /* "host:port" */
	char *port_file;     /* write the bound port here once listening, if set */
	char *frontend_dir;
	char *public_url;    /* absolute base URL of the public site (link previews, shared links, QR codes), no
			      * trailing '/'; http://LISTEN when unset */
	char *sql_dir;
	char *db_role;       /* SET ROLE after connecting; "" for none */
	long threads;
	long db_pool;
	long max_body;       /* bytes of a JSON request body */
	long max_upload;     /* bytes of an uploaded file */
	long max_connections;
	long max_per_ip;
	long idle_timeout;   /* seconds */
	long header_timeout; /* seconds to receive a request's headers (the watchdog) */
	long body_timeout;   /* seconds from the headers until the reply is sent (the watchdog) */
	long session_idle;   /* seconds */
	long session_absolute;
	bool secure_cookies;
	long login_max_per_account;
	long login_max_per_ip;
	long login_window;   /* seconds */
	long login_delay_max; /* seconds: cap of the per-login progressive delay across addresses */
	long device_ttl;      /* seconds a known-device cookie is honoured (0: none set) */
	long setup_code_ttl; /* seconds a password set-up code is valid */
	long json_max_depth;
	bool test_clock;
	bool access_log;
};

/*
 * Fills cfg from defaults, then the environment, then argv flags of the form
 * --name=value or --name value (argv[0] is the first flag). Unknown flags and
 * bad values print a message to stderr and return false. Positional arguments
 * are left in place and counted in *rest (their indexes are moved to the front).
 */
bool sk_config_load(struct sk_config *cfg, int argc, char **argv, int *rest);

/* Prints every option with its flag, variable and default. */
void sk_config_usage(void);

void sk_config_cleanup(struct sk_config *cfg);

#endif
