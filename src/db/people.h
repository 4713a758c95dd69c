/* People as volunteers meet them, and the personal data a person can take away or erase. */
#ifndef SK_DB_PEOPLE_H
#define SK_DB_PEOPLE_H

#include "db/db.h"

/*
 * Finds the account with this (normalised) phone, or creates it without a password as a resident
 * of ward in group, recording that volunteer did it. *created tells which; id, display_name in *res.
 * SK_DB_CHECK: the group is not of the ward.
 */
enum sk_db_status sk_db_resident_find_or_create(struct sk_dbconn *c, int64_t volunteer, int64_t ward, int64_t group,
						const char *phone, const char *name, const char *ip, bool *created,
						PGresult **res);

/* Everything held about account as one JSON document (column "json"). */
enum sk_db_status sk_db_personal_export(struct sk_dbconn *c, int64_t account, PGresult **res);

/* Removes the personal data of account, ends its sessions, keeps its proposals; audited. */
enum sk_db_status sk_db_personal_delete(struct sk_dbconn *c, int64_t account, int64_t now, const char *ip);

#endif
