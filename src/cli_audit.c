#include "cli_audit.h"

#include "db/panel.h"
#include "domain/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int verify_one(struct sk_dbconn *db, int64_t cid)
{
	struct sk_chain_report rep;
	if (sk_db_score_record_verify(db, cid, &rep) != SK_DB_OK) {
		fprintf(stderr, "sangkien: cannot read the score record of campaign %lld: %s\n", (long long)cid,
			sk_db_last_error(db));
		return 1;
	}
	if (rep.ok) {
		printf("campaign %lld: score record intact, %zu events, head %s", (long long)cid, rep.length, rep.head);
		if (rep.unsealed)
			printf("; %zu newer event%s not sealed yet (written after the seal)", rep.unsealed,
			       rep.unsealed == 1 ? "" : "s");
		printf("\n");
		return 0;
	}
	if (rep.broken_review)
		printf("campaign %lld: score record BROKEN: review %lld (event %lld): %s\n", (long long)cid,
		       (long long)rep.broken_review, (long long)rep.broken_id, rep.why);
	else if (rep.broken_seq == 0)
		printf("campaign %lld: score record BROKEN: event %lld: %s; the %zu sealed events verify\n", (long long)cid,
		       (long long)rep.broken_id, rep.why, rep.length);
	else
		printf("campaign %lld: score record BROKEN at event %lld (sequence %lld): %s; %zu events before it verify\n",
		       (long long)cid, (long long)rep.broken_id, (long long)rep.broken_seq, rep.why, rep.length);
	return 1;
}

int sk_cli_audit(const struct sk_config *cfg, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "verify") != 0 || (argc != 1 && argc != 3) ||
	    (argc == 3 && strcmp(argv[1], "--campaign") != 0)) {
		fprintf(stderr, "usage: sangkien audit verify [--campaign ID]\n"
				"  Seals the score events still pending, recomputes the hash chain of every\n"
				"  campaign's score record (or one) and names the first event that does not\n"
				"  verify. Exit 0 when all are intact, 1 otherwise.\n");
		return 2;
	}
	char err[512];
	struct sk_dbconn *db = sk_dbconn_open(cfg->database_url, err, sizeof err);
	if (db == NULL) {
		fprintf(stderr, "sangkien: cannot connect to the database: %s\n", err);
		return 1;
	}
	int rc = 0;
	if (argc == 3) {
		char *end;
		long long cid = strtoll(argv[2], &end, 10);
		if (cid <= 0 || *end != '\0') {
			fprintf(stderr, "sangkien: --campaign takes a campaign id\n");
			sk_dbconn_close(db);
			return 2;
		}
		rc = verify_one(db, cid);
	} else {
		PGresult *r;
		enum sk_db_status st = sk_db_score_campaigns(db, &r);
		if (st != SK_DB_OK && st != SK_DB_NOROWS) {
			fprintf(stderr, "sangkien: cannot list score records: %s\n", sk_db_last_error(db));
			rc = 1;
		} else {
			if (PQntuples(r) == 0)
				printf("no score records yet\n");
			for (int i = 0; i < PQntuples(r); i++)
				rc |= verify_one(db, sk_db_i64(r, i, "campaign_id"));
			PQclear(r);
		}
	}
	sk_dbconn_close(db);
	return rc;
}
