/* What the link previews (Open Graph tags and cards) of public pages show. */
#ifndef SK_DB_SHARE_H
#define SK_DB_SHARE_H

#include "db/db.h"

/*
 * Call id: title, description, state, ward_name, and winners (the titles of its catalogue models,
 * one a line, "" before publication). SK_DB_NOROWS when there is no such call.
 */
enum sk_db_status sk_db_share_call(struct sk_dbconn *c, int64_t id, PGresult **res);

/* Model id: title, summary, award, ward_name, campaign_title. SK_DB_NOROWS when there is none. */
enum sk_db_status sk_db_share_model(struct sk_dbconn *c, int64_t id, PGresult **res);

#endif
