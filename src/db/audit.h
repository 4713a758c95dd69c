/* The append-only audit log: every login, failed login, role change and admin action. */
#ifndef SK_DB_AUDIT_H
#define SK_DB_AUDIT_H

#include "db/db.h"

/*
 * Appends one event. actor and ward are 0 when none; subject and ip may be
 * NULL; detail_json is a JSON object text or NULL for {}. Call it inside the
 * transaction of the change it records.
 */
enum sk_db_status sk_db_audit(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *action,
			      const char *subject, const char *ip, const char *detail_json);

/* Which events sk_db_audit_list returns; zero or NULL members filter nothing. */
struct sk_audit_filter {
	const char *wards;       /* PostgreSQL array text "{1,4}": events of these wards only; NULL: all */
	int64_t account;         /* events by this account or about it (subject account:<id>) */
	const char *action;      /* this action only */
	int64_t from_day, to_day; /* days since 1970-01-01 (Vietnam's calendar), inclusive; 0: open */
	int64_t before;          /* id < before */
	int limit;               /* 1..10000 */
};

/*
 * Events newest first: id, at, actor_account_id, actor_name, ward_id, action, subject, ip, detail
 * (JSON text).
 */
enum sk_db_status sk_db_audit_list(struct sk_dbconn *c, const struct sk_audit_filter *f, PGresult **res);

#endif
