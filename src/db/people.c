#include "db/people.h"

#include <stdio.h>
#include <string.h>

enum sk_db_status sk_db_assisted_resident(struct sk_dbconn *c, int64_t volunteer, int64_t ward, int64_t group,
					 const char *phone, const char *name, int64_t now, const char *ip, PGresult **res)
{
	char v[24], w[24], g[24], n[24];
	const char *p[] = { sk_db_i64str(v, volunteer), sk_db_i64str(w, ward), sk_db_i64str(g, group), phone, name,
			    sk_db_i64str(n, now), ip };
	return sk_db_exec(c, "assisted_resident",
			  "SELECT outcome, id, display_name, initials, group_id, group_name, may_issue_setup_code"
			  " FROM assisted_resident($1, $2, $3, $4, $5, to_timestamp($6), $7::inet)",
			  7, p, res);
}

enum sk_db_status sk_db_resident_lookup_take(struct sk_dbconn *c, int64_t volunteer, int64_t now, long max,
					     long window, long *retry_after)
{
	char v[24], n[24], m[24], w[24];
	const char *p[] = { sk_db_i64str(v, volunteer), sk_db_i64str(n, now), sk_db_i64str(m, max), sk_db_i64str(w, window) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "resident_lookup_take",
					  "SELECT resident_lookup_take($1, to_timestamp($2), $3, $4) AS retry_after", 4, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	*retry_after = (long)sk_db_i64(r, 0, "retry_after");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_people_search_take(struct sk_dbconn *c, int64_t searcher, int64_t now, long max, long window,
					   long *retry_after)
{
	char v[24], n[24], m[24], w[24];
	const char *p[] = { sk_db_i64str(v, searcher), sk_db_i64str(n, now), sk_db_i64str(m, max), sk_db_i64str(w, window) };
	PGresult *r;
	/* Committed without waiting for the WAL flush, as the search's audit row (accounts.c): a crash
	 * can only forget the last fraction of a second of counted searches. */
	enum sk_db_status st = sk_db_exec(c, "people_search_take",
					  "SELECT people_search_take($1, to_timestamp($2), $3, $4) AS retry_after"
					  " FROM (SELECT set_config('synchronous_commit', 'off', true)) lazy",
					  4, p, &r);
	if (st != SK_DB_OK) {
		PQclear(r);
		return st == SK_DB_NOROWS ? SK_DB_ERROR : st;
	}
	*retry_after = (long)sk_db_i64(r, 0, "retry_after");
	PQclear(r);
	return SK_DB_OK;
}

enum sk_db_status sk_db_personal_export(struct sk_dbconn *c, int64_t account, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, account) };
	return sk_db_exec(c, "personal_export", "SELECT personal_export($1)::text AS json", 1, p, res);
}

enum sk_db_status sk_db_personal_delete(struct sk_dbconn *c, int64_t account, int64_t now, const char *ip)
{
	char a[24], n[24];
	const char *p[] = { sk_db_i64str(a, account), sk_db_i64str(n, now), ip };
	return sk_db_exec(c, "personal_delete", "SELECT personal_delete($1, to_timestamp($2), $3::inet)", 3, p, NULL);
}
