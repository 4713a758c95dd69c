/* Who a leader may name to a call's panel. */
#ifndef SK_DB_CANDIDATES_H
#define SK_DB_CANDIDATES_H

#include "db/db.h"

/*
 * The accounts holding the panelist role in the ward of campaign cid, by display name: account_id,
 * display_name, group_id and group_name (their residential group in that ward, from a resident grant;
 * NULL when none), on_panel (bool). No login (phone or email) is returned. Caller clears *res.
 */
enum sk_db_status sk_db_panel_candidates(struct sk_dbconn *c, int64_t cid, PGresult **res);

#endif
