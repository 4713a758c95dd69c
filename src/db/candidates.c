#include "db/candidates.h"

enum sk_db_status sk_db_panel_candidates(struct sk_dbconn *c, int64_t cid, PGresult **res)
{
	char a[24];
	const char *p[] = { sk_db_i64str(a, cid) };
	return sk_db_exec(c, "panel_candidates",
			  "SELECT a.id AS account_id, a.display_name, g.id AS group_id, g.name AS group_name,"
			  " EXISTS (SELECT 1 FROM panelists pn WHERE pn.campaign_id = k.id AND pn.account_id = a.id) AS on_panel"
			  " FROM campaigns k JOIN role_grants r ON r.ward_id = k.ward_id AND r.role = 'panelist'"
			  " JOIN accounts a ON a.id = r.account_id"
			  " LEFT JOIN LATERAL (SELECT rg.id, rg.name FROM role_grants h JOIN residential_groups rg"
			  "  ON rg.ward_id = h.ward_id AND rg.id = h.group_id"
			  "  WHERE h.account_id = a.id AND h.ward_id = k.ward_id AND h.role = 'resident' LIMIT 1) g ON true"
			  " WHERE k.id = $1 ORDER BY a.display_name, a.id",
			  1, p, res);
}
