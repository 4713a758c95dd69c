#include "cli_admin.h"

#include "db/accounts.h"
#include "db/audit.h"
#include "domain/login.h"
#include "domain/text.h"
#include "passwords.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: sangkien admin create --login <phone|email> --name <display name> [--password-stdin]\n"
			"  Creates an installation administrator, or makes an existing account one.\n"
			"  The password is read from standard input (prompted for on a terminal).\n");
}

static bool read_password(bool from_stdin, char *out, size_t outsz)
{
	struct termios old, quiet;
	bool tty = !from_stdin && isatty(STDIN_FILENO);
	if (tty) {
		fprintf(stderr, "Password (at least %d characters): ", SK_PASSWORD_MIN);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	bool ok = fgets(out, (int)outsz, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

static int admin_create(const struct sk_config *cfg, int argc, char **argv)
{
	const char *login_in = NULL, *name_in = NULL;
	bool from_stdin = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--login") && i + 1 < argc)
			login_in = argv[++i];
		else if (!strncmp(argv[i], "--login=", 8))
			login_in = argv[i] + 8;
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name_in = argv[++i];
		else if (!strncmp(argv[i], "--name=", 7))
			name_in = argv[i] + 7;
		else if (!strcmp(argv[i], "--password-stdin"))
			from_stdin = true;
		else {
			usage();
			return 2;
		}
	}
	if (login_in == NULL || name_in == NULL) {
		usage();
		return 2;
	}
	char login[SK_LOGIN_MAX + 1];
	enum sk_login_kind kind = sk_login_normalize(login_in, login, sizeof login);
	if (kind == SK_LOGIN_INVALID) {
		fprintf(stderr, "sangkien: the login must be a Vietnamese mobile number or an email address\n");
		return 2;
	}
	char *name;
	if (sk_text_clean(name_in, strlen(name_in), SK_TEXT_SINGLE_LINE, 1, 100, &name) != SK_TEXT_OK) {
		fprintf(stderr, "sangkien: the name must be 1 to 100 characters of text\n");
		return 2;
	}
	char password[SK_PASSWORD_MAX * 4 + 2];
	if (!read_password(from_stdin, password, sizeof password) || !sk_password_acceptable(password)) {
		fprintf(stderr, "sangkien: the password must be at least %d characters\n", SK_PASSWORD_MIN);
		free(name);
		return 2;
	}
	char *nfc = NULL; /* the same normalisation as passwords typed into the web pages */
	if (sk_text_clean(password, strlen(password), SK_TEXT_KEEP_SPACE, SK_PASSWORD_MIN, SK_PASSWORD_MAX, &nfc) != SK_TEXT_OK) {
		sodium_memzero(password, sizeof password);
		fprintf(stderr, "sangkien: the password must be %d to %d characters of text\n", SK_PASSWORD_MIN, SK_PASSWORD_MAX);
		free(name);
		return 2;
	}
	char hash[SK_PWHASH_LEN];
	bool hashed = sk_password_hash(nfc, hash);
	sodium_memzero(password, sizeof password);
	sodium_memzero(nfc, strlen(nfc));
	free(nfc);
	if (!hashed) {
		fprintf(stderr, "sangkien: out of memory hashing the password\n");
		free(name);
		return 1;
	}
	char err[512];
	struct sk_dbconn *db = sk_dbconn_open(cfg->database_url, err, sizeof err);
	if (db == NULL) {
		fprintf(stderr, "sangkien: cannot connect to the database: %s\n", err);
		free(name);
		return 1;
	}
	int rc = 1;
	PGresult *r;
	int64_t id;
	enum sk_db_status st = sk_db_account_by_login(db, login, &r);
	if (st == SK_DB_OK) {
		id = sk_db_i64(r, 0, "id");
		PQclear(r);
		st = sk_db_account_set_password(db, id, hash);
	} else if (st == SK_DB_NOROWS) {
		PQclear(r);
		struct sk_new_account a = { .login = login, .login_kind = sk_login_kind_str(kind),
					    .display_name = name, .password_hash = hash, .ip = NULL };
		st = sk_db_account_create(db, &a, &id);
	}
	if (st != SK_DB_OK) {
		fprintf(stderr, "sangkien: cannot create the account: %s\n", sk_db_last_error(db));
		goto out;
	}
	st = sk_db_role_change(db, true, 0, id, 0, "admin", NULL, NULL);
	if (st != SK_DB_OK && st != SK_DB_CONFLICT) {
		fprintf(stderr, "sangkien: cannot grant the admin role: %s\n", sk_db_last_error(db));
		goto out;
	}
	sk_db_audit(db, id, 0, "admin_created_cli", NULL, NULL, NULL);
	printf("Installation administrator ready: account %lld (%s)\n", (long long)id, name);
	rc = 0;
out:
	sk_dbconn_close(db);
	free(name);
	return rc;
}

int sk_cli_admin(const struct sk_config *cfg, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "create"))
		return admin_create(cfg, argc - 1, argv + 1);
	usage();
	return 2;
}
