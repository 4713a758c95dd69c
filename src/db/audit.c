#include "db/audit.h"

#include <stdio.h>

enum sk_db_status sk_db_audit(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *action,
			      const char *subject, const char *ip, const char *detail_json)
{
	char a[24], w[24];
	const char *p[] = { actor ? sk_db_i64str(a, actor) : NULL, ward ? sk_db_i64str(w, ward) : NULL,
			    action, subject, ip, detail_json ? detail_json : "{}" };
	return sk_db_exec(c, "audit_append",
			  "INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)"
			  " VALUES ($1, $2, $3, $4, $5::inet, $6::jsonb)",
			  6, p, NULL);
}

enum sk_db_status sk_db_audit_list(struct sk_dbconn *c, int64_t ward, int64_t before, int limit,
				   PGresult **res)
{
	char w[24], b[24], l[24];
	const char *p[] = { ward ? sk_db_i64str(w, ward) : NULL, sk_db_i64str(b, before),
			    sk_db_i64str(l, limit) };
	return sk_db_exec(c, "audit_list",
			  "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at,"
			  " actor_account_id, ward_id, action, subject, host(ip) AS ip, detail::text AS detail"
			  " FROM audit_log"
			  " WHERE ($1::bigint IS NULL OR ward_id = $1) AND ($2::bigint = 0 OR id < $2)"
			  " ORDER BY id DESC LIMIT $3",
			  3, p, res);
}
