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

enum sk_db_status sk_db_audit_list(struct sk_dbconn *c, const struct sk_audit_filter *f, PGresult **res)
{
	char a[24], b[24], l[24], fr[24], to[24];
	const char *p[] = { f->wards, f->account ? sk_db_i64str(a, f->account) : NULL, f->action,
			    f->from_day ? sk_db_i64str(fr, f->from_day) : NULL, f->to_day ? sk_db_i64str(to, f->to_day) : NULL,
			    sk_db_i64str(b, f->before), sk_db_i64str(l, f->limit) };
	/* Days are counted in Vietnam's time (UTC+7, no summer time): day d starts at d*86400 - 7 h UTC. */
	return sk_db_exec(c, "audit_list",
			  "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at,"
			  " l.actor_account_id, x.display_name AS actor_name, l.ward_id, l.action, l.subject,"
			  " host(l.ip) AS ip, l.detail::text AS detail"
			  " FROM audit_log l LEFT JOIN accounts x ON x.id = l.actor_account_id"
			  " WHERE ($1::bigint[] IS NULL OR l.ward_id = ANY ($1::bigint[]))"
			  "  AND ($2::bigint IS NULL OR l.actor_account_id = $2 OR l.subject = 'account:' || $2)"
			  "  AND ($3::text IS NULL OR l.action = $3)"
			  "  AND ($4::bigint IS NULL OR l.at >= to_timestamp($4::bigint * 86400 - 25200))"
			  "  AND ($5::bigint IS NULL OR l.at < to_timestamp(($5::bigint + 1) * 86400 - 25200))"
			  "  AND ($6::bigint = 0 OR l.id < $6)"
			  " ORDER BY l.id DESC LIMIT $7",
			  7, p, res);
}
