/* See share.h. */
#include "db/share.h"

enum sk_db_status sk_db_share_call(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	return sk_db_exec(c, "share_call",
			  "SELECT c.title, c.description, c.state, w.name AS ward_name,"
			  " coalesce((SELECT string_agg(m.award || ': ' || m.title, E'\\n'"
			  " ORDER BY m.award_position NULLS LAST, m.rank NULLS LAST, m.id) FROM models m"
			  " WHERE m.campaign_id = c.id AND m.award IS NOT NULL), '') AS winners"
			  " FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE c.id = $1",
			  1, p, res);
}

enum sk_db_status sk_db_share_model(struct sk_dbconn *c, int64_t id, PGresult **res)
{
	char i[24];
	const char *p[] = { sk_db_i64str(i, id) };
	return sk_db_exec(c, "share_model",
			  "SELECT m.title, m.summary, coalesce(m.award, '') AS award, w.name AS ward_name, c.title AS campaign_title"
			  " FROM models m JOIN wards w ON w.id = m.ward_id JOIN campaigns c ON c.id = m.campaign_id"
			  " WHERE m.id = $1",
			  1, p, res);
}
