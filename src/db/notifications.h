/* Notices (sql/028): a person's in-app list, read marks and channel choices. Every operation is
 * scoped to one account: no statement here reads or changes another person's notices. */
#ifndef SK_DB_NOTIFICATIONS_H
#define SK_DB_NOTIFICATIONS_H

#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * The account's notices newest first, older than id before (0: from the newest), at most limit.
 * Columns: id, event, facts (JSON text), created_at, read_at (ISO UTC, read_at NULL when unread),
 * and unread (the account's unread count, the same on every row). Caller clears *res.
 */
enum sk_db_status sk_db_notifications_list(struct sk_dbconn *c, int64_t account, int64_t before, int64_t limit,
					   PGresult **res);

/* How many of the account's notices are unread, into *unread. */
enum sk_db_status sk_db_notifications_unread(struct sk_dbconn *c, int64_t account, int64_t *unread);

/*
 * Marks read at now the account's notices whose ids are in ids_json (a JSON array of integers), or
 * all of them when ids_json is NULL; ids of other people's notices, or of none, change nothing.
 * Sets *unread to what remains unread.
 */
enum sk_db_status sk_db_notifications_mark_read(struct sk_dbconn *c, int64_t account, const char *ids_json,
						int64_t now, int64_t *unread);

/*
 * The account's channel choices (defaults when it never chose). Columns: sms, zalo, email,
 * email_address (NULL when none), notify_helper, lang, phone (the login when it is a phone number,
 * else NULL), login_email (the login when it is an email, else NULL), assisted (a volunteer
 * created the account). Caller clears *res.
 */
enum sk_db_status sk_db_notification_settings_get(struct sk_dbconn *c, int64_t account, PGresult **res);

struct sk_notification_settings {
	bool sms, zalo, email, notify_helper;
	const char *email_address; /* NULL: none */
	const char *lang;          /* "vi" or "en" */
};

/* Stores the account's channel choices at now. */
enum sk_db_status sk_db_notification_settings_put(struct sk_dbconn *c, int64_t account,
						  const struct sk_notification_settings *s, int64_t now);

/* Writes the time-based notices due at now (SQL notification_timers); their count into *written. */
enum sk_db_status sk_db_notification_timers(struct sk_dbconn *c, int64_t now, int64_t *written);

#endif
