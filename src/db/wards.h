/* Wards and their residential groups. */
#ifndef SK_DB_WARDS_H
#define SK_DB_WARDS_H

#include "db/db.h"

/* Every ward with its groups: ward_id, code, name, groups (JSON array text of {id,name}). */
enum sk_db_status sk_db_wards_list(struct sk_dbconn *c, PGresult **res);

/* Creates a ward with an audit event by actor. SK_DB_CONFLICT: the code is taken. */
enum sk_db_status sk_db_ward_create(struct sk_dbconn *c, int64_t actor, const char *code,
				    const char *name, const char *ip, int64_t *id);

/*
 * Creates a residential group in ward with an audit event by actor.
 * SK_DB_CONFLICT: the name is taken in that ward; SK_DB_CHECK: no such ward.
 */
enum sk_db_status sk_db_group_create(struct sk_dbconn *c, int64_t actor, int64_t ward,
				     const char *name, const char *ip, int64_t *id);

#endif
