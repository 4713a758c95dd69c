/* People as volunteers meet them, and the personal data a person can take away or erase. */
#ifndef SK_DB_PEOPLE_H
#define SK_DB_PEOPLE_H

#include "db/db.h"

/*
 * A volunteer of ward meets a resident with this (normalised) phone. Column outcome of the one row in
 * *res (caller PQclear):
 *   "found": the account is already a resident of ward: id, initials, group_id, group_name (of its own
 *            resident role; group and name given here are ignored), may_issue_setup_code; display_name
 *            NULL. Nothing about the account changes.
 *   "created": a new account without a password, resident of ward in group, recorded as made by
 *            volunteer: id, display_name, initials, group_id, group_name, may_issue_setup_code true.
 *   "registered_elsewhere": the phone belongs to an account that is not a resident of ward; every
 *            other column NULL (false). Nothing is written but the audit row.
 * SK_DB_RULE "group_not_in_ward": group is not a residential group of ward.
 */
enum sk_db_status sk_db_assisted_resident(struct sk_dbconn *c, int64_t volunteer, int64_t ward, int64_t group,
					 const char *phone, const char *name, int64_t now, const char *ip, PGresult **res);

/*
 * Takes one of volunteer's "find a resident" lookups: at most max per window seconds, counted in the
 * database (every server process shares the count) at the request's clock now. *retry_after: 0 when
 * taken (recorded), otherwise the seconds until one frees (nothing recorded).
 */
enum sk_db_status sk_db_resident_lookup_take(struct sk_dbconn *c, int64_t volunteer, int64_t now, long max,
					     long window, long *retry_after);

/*
 * Takes one of searcher's searches of people (a leader's or an administrator's): at most max per window
 * seconds, counted in the database at the request's clock now. *retry_after: 0 when taken (recorded),
 * otherwise the seconds until one frees (nothing recorded).
 */
enum sk_db_status sk_db_people_search_take(struct sk_dbconn *c, int64_t searcher, int64_t now, long max, long window,
					   long *retry_after);

/* Everything held about account as one JSON document (column "json"). */
enum sk_db_status sk_db_personal_export(struct sk_dbconn *c, int64_t account, PGresult **res);

/* Removes the personal data of account, ends its sessions, keeps its proposals; audited. */
enum sk_db_status sk_db_personal_delete(struct sk_dbconn *c, int64_t account, int64_t now, const char *ip);

#endif
