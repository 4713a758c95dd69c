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

/* Sets the password hash of an account (command-line admin creation). */
enum sk_db_status sk_db_account_set_password(struct sk_dbconn *c, int64_t id, const char *hash);

/*
 * Grants (or revokes, when grant is false) role in ward (0: installation-wide,
 * admin only) with an audit event by actor (detail {role, reason}; reason may be NULL), in one transaction.
 * SK_DB_CONFLICT: already granted. SK_DB_NOROWS: nothing to revoke.
 * SK_DB_CHECK: no such account or ward.
 */
enum sk_db_status sk_db_role_change(struct sk_dbconn *c, bool grant, int64_t actor,
				    int64_t account_id, int64_t ward_id, const char *role,
				    const char *reason, const char *ip);

/*
 * SQL fragment, for src/db only: the text sk_db_account_json returns, built from the accounts row
 * `a`. Concatenation rather than json_build_object/json_agg (whose output has spaces and
 * newlines) so that a handler can send it as it is, byte for byte what jansson's compact output
 * of the same object was.
 */
/* One role of role_grants r as a JSON object, wards w and residential_groups g left-joined. */
#define ACCOUNT_ROLES_AGG_SQL                                                                     \
	"string_agg('{\"role\":' || to_json(r.role)"                                             \
	"   || ',\"ward_id\":' || coalesce(r.ward_id::text, 'null')"                              \
	"   || ',\"ward_name\":' || coalesce(to_json(w.name)::text, 'null')"                      \
	"   || ',\"ward_code\":' || coalesce(to_json(w.code)::text, 'null')"                      \
	"   || ',\"group_id\":' || coalesce(r.group_id::text, 'null')"                            \
	"   || ',\"group_name\":' || coalesce(to_json(g.name)::text, 'null') || '}',"             \
	"   ',' ORDER BY r.ward_id NULLS FIRST, r.role)"
#define ACCOUNT_ROLES_FROM_SQL                                                                    \
	" FROM role_grants r LEFT JOIN wards w ON w.id = r.ward_id"                               \
	" LEFT JOIN residential_groups g ON g.id = r.group_id"
/* The account document of accounts a, its roles array's inside given as the text expression roles. */
#define ACCOUNT_JSON_WITH_ROLES_SQL(roles)                                                        \
	"'{\"id\":' || a.id || ',\"login\":' || to_json(a.login) || ',\"login_kind\":'"           \
	" || to_json(a.login_kind) || ',\"display_name\":' || to_json(a.display_name)"            \
	" || ',\"created_at\":\"'"                                                                \
	" || to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"          \
	" || '\",\"roles\":[' || coalesce(" roles ", '') || ']}'"
#define ACCOUNT_JSON_SQL                                                                          \
	ACCOUNT_JSON_WITH_ROLES_SQL("(SELECT " ACCOUNT_ROLES_AGG_SQL ACCOUNT_ROLES_FROM_SQL        \
				    " WHERE r.account_id = a.id)")

/*
 * The account's public view as compact JSON text (caller frees *json), roles by
 * ward (installation-wide first) then role:
 * {"id","login","login_kind","display_name","created_at","roles":[{"role",
 * "ward_id","ward_name","ward_code","group_id","group_name"}]}. The one place
 * that builds it, so /me, login and registration send the same document.
 * SK_DB_ERROR when there is no such account.
 */
enum sk_db_status sk_db_account_json(struct sk_dbconn *c, int64_t account_id, char **json);

/*
 * Issues a password set-up code for account by actor (its argon2id hash code_hash), valid ttl
 * seconds from now, revoking the account's live one, audited (never the code). Sets *expires (Unix
 * seconds). SK_DB_RULE with sk_db_rule() "not_found" (no such account) or "forbidden" (actor may not).
 */
enum sk_db_status sk_db_setup_code_issue(struct sk_dbconn *c, int64_t actor, int64_t account, const char *code_hash,
					 int64_t now, long ttl, const char *ip, int64_t *expires);

/*
 * The account with this normalised login and its live set-up code at now: columns account_id, code_id
 * (NULL when none) and code_hash. SK_DB_NOROWS when no account has the login.
 */
enum sk_db_status sk_db_setup_code_live(struct sk_dbconn *c, const char *login, int64_t now, PGresult **res);

/*
 * Redeems code (verified by the caller): the account gets password_hash, the code is used, every
 * session of the account ends, audited, and every failed login or set-up of its login (both scopes,
 * every address and device) is forgotten, all in one transaction. SK_DB_NOROWS when the code stopped
 * being live meanwhile (nothing changed).
 */
enum sk_db_status sk_db_setup_code_redeem(struct sk_dbconn *c, int64_t code, const char *password_hash, int64_t now,
					  const char *ip);

/*
 * *staff: whether account holds a role in a ward where admin holds the admin role, or the
 * installation-wide admin role (what explains a ward admin's refused set-up code).
 */
enum sk_db_status sk_db_account_in_admin_wards(struct sk_dbconn *c, int64_t admin, int64_t account, bool *staff);

/* Who searches people, for the audit row a search writes in the same statement (SEARCH_AUDIT_SQL). */
struct sk_db_searcher {
	int64_t actor;
	const char *ip;
	const char *kind; /* "phone", "email" or "name": sk_search_kind */
};

/*
 * Accounts (not deleted) whose name (diacritics and case ignored) or email holds query, or whose phone
 * holds digits (sk_login_search_digits; NULL: none), holding a role in one of the wards of the
 * PostgreSQL array text wards (NULL: any account), by name, at most limit: column json, the account
 * view as sk_db_account_json makes it. Audited as people_searched (subject "accounts", the lowest of
 * wards) in the same statement: the query's kind and keyed hash, never the query.
 */
enum sk_db_status sk_db_accounts_search(struct sk_dbconn *c, const char *query, const char *digits,
					const char *wards, int limit, const struct sk_db_searcher *who, PGresult **res);

struct sk_admin_new_account {
	const char *login;      /* normalised */
	const char *login_kind; /* "phone" or "email" */
	const char *display_name;
	const char *roles_json; /* JSON array text of {role, ward_id (null: installation), group_id (null)} */
	const char *code_hash;  /* argon2id hash of the set-up code to issue */
	int64_t actor, now;
	long ttl;
	const char *ip;
};

/*
 * An administrator creates an account (no password) with its roles and its first set-up code, in one
 * transaction, audited account_created (detail by_other, roles) and setup_code_issued. Sets *id and
 * *expires. SK_DB_CONFLICT: the login is taken (or a role given twice); SK_DB_CHECK: a ward or group
 * does not exist, a group is not in its ward or is retired, or a group is given to another role than
 * resident; SK_DB_RULE "forbidden": the actor may not make this account a code.
 */
enum sk_db_status sk_db_admin_account_create(struct sk_dbconn *c, const struct sk_admin_new_account *a, int64_t *id,
					     int64_t *expires);

/*
 * Audits an administrator's lookup of one exact (normalised) login as people_searched (subject
 * "accounts", query_kind "login", a keyed hash of login, results 0 or 1; ward: the lowest of the
 * PostgreSQL array text wards, NULL for NULL), committed without waiting for the WAL flush.
 */
enum sk_db_status sk_db_login_lookup_audit(struct sk_dbconn *c, const struct sk_db_searcher *who, const char *wards,
					   const char *login, bool found);

/*
 * Audits an administrator's (actor's) view of account as account_viewed, filed under the lowest of
 * account's wards within the PostgreSQL array text wards (NULL: any of its wards), committed without
 * waiting for the WAL flush.
 */
enum sk_db_status sk_db_account_view_audit(struct sk_dbconn *c, int64_t actor, const char *ip, const char *wards,
					   int64_t account);

/*
 * Residents of ward (not deleted) whose name (diacritics and case ignored) or email holds query, or
 * whose phone holds digits (NULL: none), by name, at most limit: id, login, display_name, group_id,
 * group_name, group_retired_at, has_password, proposals (their number in the ward). Audited as
 * people_searched (subject "residents") in the same statement: the query's kind and keyed hash.
 */
enum sk_db_status sk_db_residents_search(struct sk_dbconn *c, int64_t ward, const char *query, const char *digits,
					 int limit, const struct sk_db_searcher *who, PGresult **res);

/*
 * Account as a resident of ward (SK_DB_NOROWS when it is not one, or deleted): the columns of
 * sk_db_residents_search but proposals, may_issue_setup_code (whether actor may make it a set-up
 * code) and proposals (JSON array text of its proposals in the ward, newest first: id, title, status,
 * tracking_code, campaign_id, campaign_title, group_name, updated_at, submitted_at). A resident found
 * is audited as resident_viewed by actor from ip, in the same statement.
 */
enum sk_db_status sk_db_resident_get(struct sk_dbconn *c, int64_t ward, int64_t account, int64_t actor,
				     const char *ip, PGresult **res);

#endif
