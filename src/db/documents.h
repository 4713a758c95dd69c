/* What the rendered documents (src/render) need beyond the decision snapshot. */
#ifndef SK_DB_DOCUMENTS_H
#define SK_DB_DOCUMENTS_H

#include "db/db.h"

/*
 * Campaign cid for its documents: title, state, ward_name, closes_at_text (Vietnam time, as
 * "17:00 ngày 30/09/2026") and version (a digest of what the poster shows),
 * decision_id (its newest published decision; NULL: none). SK_DB_NOROWS: no such call.
 */
enum sk_db_status sk_db_document_campaign(struct sk_dbconn *c, int64_t cid, PGresult **res);

#endif
