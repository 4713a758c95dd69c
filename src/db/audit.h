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

/* Events newest first, with id < before (0: from the newest); limit 1..500. */
enum sk_db_status sk_db_audit_list(struct sk_dbconn *c, int64_t ward, int64_t before, int limit,
				   PGresult **res);

#endif
