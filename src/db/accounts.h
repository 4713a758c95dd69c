/* Accounts and the roles they hold. */
#ifndef SK_DB_ACCOUNTS_H
#define SK_DB_ACCOUNTS_H

#include "db/db.h"

struct sk_new_account {
	const char *login;      /* normalised */
	const char *login_kind; /* "phone" or "email" */
	const char *display_name;
	const char *password_hash;
	int64_t ward_id;        /* resident of this ward; 0 for none */
	int64_t group_id;       /* 0 for none */
	const char *ip;
	int64_t actor;          /* who created it (0: the person themselves) */
};

/*
 * Creates the account and its resident grant, with an audit event, in one
 * transaction. SK_DB_CONFLICT: the login is taken. SK_DB_CHECK: the ward or
 * group does not exist or the group is not in the ward. Sets *id.
 */
enum sk_db_status sk_db_account_create(struct sk_dbconn *c, const struct sk_new_account *a,
				       int64_t *id);

/* id, login, login_kind, display_name, password_hash, created_at of the login. */
enum sk_db_status sk_db_account_by_login(struct sk_dbconn *c, const char *login, PGresult **res);

/* id, login, login_kind, display_name, created_at of account id. */
enum sk_db_status sk_db_account_by_id(struct sk_dbconn *c, int64_t id, PGresult **res);

/* ward_id (NULL for installation-wide), ward_name, role, group_id, group_name per grant. */
enum sk_db_status sk_db_account_roles(struct sk_dbconn *c, int64_t id, PGresult **res);

/* Sets the password hash of an account (command-line admin creation). */
enum sk_db_status sk_db_account_set_password(struct sk_dbconn *c, int64_t id, const char *hash);

/*
 * Grants (or revokes, when grant is false) role in ward (0: installation-wide,
 * admin only) with an audit event by actor, in one transaction.
 * SK_DB_CONFLICT: already granted. SK_DB_NOROWS: nothing to revoke.
 * SK_DB_CHECK: no such account or ward.
 */
enum sk_db_status sk_db_role_change(struct sk_dbconn *c, bool grant, int64_t actor,
				    int64_t account_id, int64_t ward_id, const char *role,
				    const char *ip);

#endif
