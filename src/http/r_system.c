/* Health and version. */
#include "http/handlers.h"
#include "http/reply.h"

#include <string.h>

void system_version(struct sk_request *req)
{
	sk_reply_json(req, 200, json_pack("{s:s,s:s}", "name", "sangkien", "version", SK_VERSION));
}

void system_health(struct sk_request *req)
{
	struct sk_dbconn *db = sk_req_db_or_reply(req);
	if (db == NULL)
		return;
	PGresult *r;
	enum sk_db_status st = sk_db_exec(db, "health_ping", "SELECT 1 AS one", 0, NULL, &r);
	PQclear(r);
	if (st != SK_DB_OK) {
		sk_reply_db_error(req, st == SK_DB_ERROR ? SK_DB_UNAVAILABLE : st);
		return;
	}
	sk_reply_json(req, 200, json_pack("{s:s,s:s}", "status", "ok", "database", "ok"));
}
