/* Wards and their residential groups. */
#ifndef SK_DB_WARDS_H
#define SK_DB_WARDS_H

#include "db/db.h"

/* Every ward with its groups in use: id, code, name, groups (JSON array text of {id,name}). */
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

/*
 * The wards of the PostgreSQL array text wards ("{1,4}"; NULL: every ward), each with all its groups,
 * retired ones last: id, code, name, created_at, groups (JSON array text of {id, name, retired_at (null
 * when in use), residents}).
 */
enum sk_db_status sk_db_wards_admin_list(struct sk_dbconn *c, const char *wards, PGresult **res);

/* Renames ward, audited ward_renamed (detail from, to). SK_DB_NOROWS: no such ward. */
enum sk_db_status sk_db_ward_rename(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *name,
				    const char *ip);

/* Sets ward's public contact (sql/026), audited ward_public_contact_changed. SK_DB_NOROWS: no such ward. */
enum sk_db_status sk_db_ward_public_contact_set(struct sk_dbconn *c, int64_t actor, int64_t ward, const char *contact,
						const char *ip);

/* The ward of residential group into *ward. SK_DB_NOROWS: no such group. */
enum sk_db_status sk_db_group_ward(struct sk_dbconn *c, int64_t group, int64_t *ward);

/*
 * Renames group (name NULL: keep) and retires (retire 1), restores (0) or leaves it (-1), audited
 * group_renamed, group_retired, group_restored for what changed. SK_DB_NOROWS: no such group;
 * SK_DB_CONFLICT: the ward has another group of that name.
 */
enum sk_db_status sk_db_group_update(struct sk_dbconn *c, int64_t actor, int64_t group, const char *name, int retire,
				     const char *ip);

/* The group as JSON text {id, ward_id, name, retired_at} (caller frees). */
enum sk_db_status sk_db_group_json(struct sk_dbconn *c, int64_t group, char **json);

#endif
