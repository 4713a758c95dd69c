/*
 * Password set-up codes: a one-time 8-digit code that the resident redeems with a new password. The
 * volunteer who created the account in the assisted flow may make one until the account first has a
 * password; a leader of a ward where the account is a resident, an administrator of every ward where the
 * account holds a role (an account holding an admin role only before its first password; sql/023), or an
 * installation administrator, at any time (also the way to reset a forgotten password). A consent on record gives no such right.
 * The SQL function setup_code_authority decides. The code is only ever in the issuer's reply: it is
 * stored as an argon2id hash and never logged.
 *
 * Notices: issuing a code (setup_code_issued, or password_reset_code_issued for an account that already
 * has a password) and redeeming one (password_set_with_code, password_reset_with_code) tell the account
 * holder, through the audit_notify trigger of sql/028 in the same transaction.
 */
#include "db/accounts.h"
#include "db/audit.h"
#include "db/sessions.h"
#include "domain/login.h"
#include "http/auth.h"
#include "http/handlers.h"
#include "http/json_in.h"
#include "http/reply.h"
#include "log.h"
#include "passwords.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CODE_DIGITS 8
#define FORBIDDEN_MESSAGE                                                                                          \
	"Only the volunteer who created this resident's account (before it has a password), a leader of the "     \
	"resident's ward, an administrator of every ward where the account holds a role, or an installation "     \
	"administrator can do this."

static void iso_utc(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void setup_codes_issue(struct sk_request *req)
{
	int64_t account = sk_param_id(req, 0);
	if (account == 0) {
		sk_reply_error(req, 404, "not_found", NULL, "There is no such account.");
		return;
	}
	/* Only these may ever issue one: refuse the others before spending a hash. */
	if (!sk_has_role(req, 0, SK_ROLE_ADMIN) && !sk_has_role(req, 0, SK_ROLE_VOLUNTEER) &&
	    !sk_has_role(req, 0, SK_ROLE_LEADER)) {
		sk_reply_error(req, 403, "forbidden", NULL,
			       FORBIDDEN_MESSAGE);
		return;
	}
	/* Uniform over 0..99,999,999: randombytes_uniform rejects the values that would bias a modulo. */
	char code[CODE_DIGITS + 1], shown[CODE_DIGITS + 2];
	snprintf(code, sizeof code, "%08u", (unsigned)randombytes_uniform(100000000u));
	char hash[SK_PWHASH_LEN];
	if (!sk_password_hash(code, hash)) {
		sodium_memzero(code, sizeof code);
		sk_reply_error(req, 500, "internal", NULL, "The code could not be made.");
		return;
	}
	int64_t expires = 0;
	enum sk_db_status st = sk_db_setup_code_issue(req->db, req->session.account_id, account, hash, req->now,
						      req->srv->cfg->setup_code_ttl, req->ip, &expires);
	if (st == SK_DB_RULE && !strcmp(sk_db_rule(req->db), "not_found")) {
		sodium_memzero(code, sizeof code);
		sk_reply_error(req, 404, "not_found", NULL, "There is no such account.");
		return;
	}
	if (st == SK_DB_RULE) {
		sodium_memzero(code, sizeof code);
		/* Staff of a ward the caller administers, refused: they also hold a role beyond the caller's wards,
		 * an installation-wide role, or an admin role with a password (sql/023). Say so, and who can. */
		bool staff = false;
		if (sk_has_role(req, 0, SK_ROLE_ADMIN) &&
		    sk_db_account_in_admin_wards(req->db, req->session.account_id, account, &staff) == SK_DB_OK && staff) {
			sk_reply_error(req, 403, "reset_needs_installation_admin", NULL,
				       "This account also holds a role outside the wards you administer, an "
				       "installation-wide role or an administrator's role: only an installation "
				       "administrator can make it a set-up code.");
			return;
		}
		sk_reply_error(req, 403, "forbidden", NULL,
			       FORBIDDEN_MESSAGE);
		return;
	}
	if (st != SK_DB_OK) {
		sodium_memzero(code, sizeof code);
		sk_reply_db_error(req, st);
		return;
	}
	snprintf(shown, sizeof shown, "%.4s %.4s", code, code + 4);
	sodium_memzero(code, sizeof code);
	char at[32];
	iso_utc(expires, at);
	sk_reply_json(req, 201,
		      json_pack("{s:{s:I,s:s,s:s,s:I}}", "setup_code", "account_id", (json_int_t)account, "code", shown,
				"expires_at", at, "valid_seconds", (json_int_t)req->srv->cfg->setup_code_ttl));
	sodium_memzero(shown, sizeof shown);
}

/* The 8 digits of a code as typed ("1234 5678", "1234-5678"), or false when it is not one. */
static bool code_digits(const char *in, char out[CODE_DIGITS + 1])
{
	int n = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n == CODE_DIGITS)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n == CODE_DIGITS;
}

static void reply_invalid_code(struct sk_request *req)
{
	sk_reply_error(req, 401, "invalid_setup_code", "code",
		       "This code is wrong, already used or expired. Ask your volunteer or ward leader for a new one.");
}

void setup_codes_redeem(struct sk_request *req)
{
	const char *login_in, *code_in, *password;
	struct sk_field fields[] = {
		SK_STRING("login", &login_in, 1, SK_LOGIN_MAX),
		SK_SECRET("code", &code_in, 1, 32),
		SK_SECRET("password", &password, SK_PASSWORD_MIN, SK_PASSWORD_MAX),
		SK_END,
	};
	if (!sk_json_parse(req, fields))
		return;
	char code[CODE_DIGITS + 1];
	if (!code_digits(code_in, code)) {
		sk_reply_error(req, 400, "invalid_field", "code", "The code has 8 digits, such as 1234 5678.");
		return;
	}
	char login[SK_LOGIN_MAX + 1];
	if (sk_login_normalize(login_in, login, sizeof login) == SK_LOGIN_INVALID)
		snprintf(login, sizeof login, "invalid");
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL)
		goto out;
	/* The failed-login throttle, as it is: a wrong code counts as a failed login of this login. */
	if (sk_auth_throttled(req, db, login, "{\"via\":\"setup_code\"}", "wrong codes or passwords"))
		goto out;
	PGresult *r;
	enum sk_db_status st = sk_db_setup_code_live(db, login, req->now, &r);
	if (st != SK_DB_OK && st != SK_DB_NOROWS) {
		sk_reply_db_error(req, st);
		goto out;
	}
	const char *hash = st == SK_DB_OK && !sk_db_isnull(r, 0, "code_id") ? sk_db_str(r, 0, "code_hash") : NULL;
	/* Without a live code this still spends one verification, so timing tells nothing. */
	bool ok = sk_password_verify(code, hash) && hash != NULL;
	int64_t code_id = ok ? sk_db_i64(r, 0, "code_id") : 0;
	PQclear(r);
	if (ok) {
		char pwhash[SK_PWHASH_LEN];
		if (!sk_password_hash(password, pwhash)) {
			sk_reply_error(req, 500, "internal", NULL, "The password could not be processed.");
			goto out;
		}
		/* A new password, and with it the wrong codes and passwords tried before forgotten. */
		st = sk_db_setup_code_redeem(db, code_id, pwhash, req->now, req->ip);
		if (st == SK_DB_OK) {
			sk_reply_empty(req, 204);
			goto out;
		}
		if (st != SK_DB_NOROWS) {
			sk_reply_db_error(req, st);
			goto out;
		}
	}
	st = sk_auth_failed(req, db, login, "{\"via\":\"setup_code\"}");
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st);
		goto out;
	}
	reply_invalid_code(req);
out:
	sodium_memzero(code, sizeof code);
}
