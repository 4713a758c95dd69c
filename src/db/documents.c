#include "db/documents.h"

enum sk_db_status sk_db_document_campaign(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "document_campaign",
			  "SELECT c.title, c.state, w.name AS ward_name,"
			  " to_char(c.closes_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'HH24:MI \"ngày\" DD/MM/YYYY') AS closes_at_text,"
			  " md5(c.title || '|' || c.closes_at::text || '|' || c.state || '|' || w.name) AS version,"
			  " (SELECT d.id FROM decisions d WHERE d.campaign_id = c.id AND d.published_at IS NOT NULL"
			  "  ORDER BY d.version DESC LIMIT 1) AS decision_id"
			  " FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE c.id = $1",
			  1, p, res);
}
