#include "db/notifications.h"

#include <stdio.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

enum sk_db_status sk_db_notifications_list(struct sk_dbconn *c, int64_t account, int64_t before, int64_t limit,
					   PGresult **res)
{
	char a[24], b[24], l[24];
	const char *p[] = { sk_db_i64str(a, account), sk_db_i64str(b, before), sk_db_i64str(l, limit) };
	return sk_db_exec(c, "notifications_list",
			  "SELECT n.id, n.event, n.facts::text AS facts, " ISO("n.created_at") " AS created_at, "
			  ISO("n.read_at") " AS read_at,"
			  " (SELECT count(*) FROM notifications u WHERE u.account_id = $1 AND u.read_at IS NULL) AS unread"
			  " FROM notifications n WHERE n.account_id = $1 AND ($2::bigint = 0 OR n.id < $2)"
			  " ORDER BY n.id DESC LIMIT $3",
			  3, p, res);
}

enum sk_db_status sk_db_notifications_unread(struct sk_dbconn *c, int64_t account, int64_t *unread)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, account) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "notifications_unread",
					  "SELECT count(*) AS unread FROM notifications WHERE account_id = $1 AND read_at IS NULL",
					  1, p, &r);
	if (st == SK_DB_OK)
		*unread = sk_db_i64(r, 0, "unread");
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_notifications_mark_read(struct sk_dbconn *c, int64_t account, const char *ids_json,
						int64_t now, int64_t *unread)
{
	char a[24], n[24];
	const char *p[] = { sk_db_i64str(a, account), ids_json, sk_db_i64str(n, now) };
	PGresult *r;
	/* The outer count sees the rows as they were before the update: what stays unread is the
	 * difference. */
	enum sk_db_status st = sk_db_exec(
		c, "notifications_mark_read",
		"WITH m AS (UPDATE notifications SET read_at = to_timestamp($3)"
		"  WHERE account_id = $1 AND read_at IS NULL"
		"  AND ($2::jsonb IS NULL OR id IN (SELECT jsonb_array_elements_text($2::jsonb)::bigint)) RETURNING 1)"
		" SELECT (SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL)"
		"  - (SELECT count(*) FROM m) AS unread",
		3, p, &r);
	if (st == SK_DB_OK)
		*unread = sk_db_i64(r, 0, "unread");
	PQclear(r);
	return st;
}

enum sk_db_status sk_db_notification_settings_get(struct sk_dbconn *c, int64_t account, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, account) };
	return sk_db_exec(c, "notification_settings_get",
			  "SELECT coalesce(s.sms, false) AS sms, coalesce(s.zalo, false) AS zalo,"
			  " coalesce(s.email, false) AS email, s.email_address, coalesce(s.notify_helper, false) AS notify_helper,"
			  " coalesce(s.lang, 'vi') AS lang,"
			  " CASE WHEN a.login_kind = 'phone' THEN a.login END AS phone,"
			  " CASE WHEN a.login_kind = 'email' THEN a.login END AS login_email,"
			  " EXISTS (SELECT 1 FROM assisted_accounts aa WHERE aa.account_id = a.id) AS assisted"
			  " FROM accounts a LEFT JOIN notification_settings s ON s.account_id = a.id WHERE a.id = $1",
			  1, p, res);
}

enum sk_db_status sk_db_notification_settings_put(struct sk_dbconn *c, int64_t account,
						  const struct sk_notification_settings *s, int64_t now)
{
	char a[24], n[24];
	const char *p[] = { sk_db_i64str(a, account), s->sms ? "t" : "f", s->zalo ? "t" : "f", s->email ? "t" : "f",
			    s->email_address, s->notify_helper ? "t" : "f", s->lang, sk_db_i64str(n, now) };
	return sk_db_exec(c, "notification_settings_put",
			  "INSERT INTO notification_settings (account_id, sms, zalo, email, email_address, notify_helper,"
			  " lang, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8))"
			  " ON CONFLICT (account_id) DO UPDATE SET sms = EXCLUDED.sms, zalo = EXCLUDED.zalo,"
			  " email = EXCLUDED.email, email_address = EXCLUDED.email_address,"
			  " notify_helper = EXCLUDED.notify_helper, lang = EXCLUDED.lang, updated_at = EXCLUDED.updated_at",
			  8, p, NULL);
}

enum sk_db_status sk_db_notification_timers(struct sk_dbconn *c, int64_t now, int64_t *written)
{
	char n[24];
	const char *p[] = { sk_db_i64str(n, now) };
	PGresult *r;
	enum sk_db_status st = sk_db_exec(c, "notification_timers",
					  "SELECT notification_timers(to_timestamp($1)) AS written", 1, p, &r);
	if (st == SK_DB_OK)
		*written = sk_db_i64(r, 0, "written");
	PQclear(r);
	return st;
}
