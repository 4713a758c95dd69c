/* What the link previews (Open Graph tags and cards) of public pages show. */
#ifndef SK_DB_SHARE_H
#define SK_DB_SHARE_H

#include "db/db.h"

/*
 * Call id: title, description, state, ward_name, and winners ("<award>: <title>" of its catalogue
 * models that hold an award, one a line, in award order; "" before publication). SK_DB_NOROWS when there is no such call.
 */
enum sk_db_status sk_db_share_call(struct sk_dbconn *c, int64_t id, PGresult **res);

/* Model id: title, summary, award ("" when a correction withdrew it), ward_name, campaign_title. SK_DB_NOROWS when there is none. */
enum sk_db_status sk_db_share_model(struct sk_dbconn *c, int64_t id, PGresult **res);

#endif
