-- Issue 14: how far behind a read replica is, without extra privileges. One server process at a
-- time (the holder of the "replica-heartbeat" singleton, among the processes started with
-- --database-read-url) stamps this row on the primary every second; on a standby,
-- now() - at is how old the replayed data is, even when the primary has nothing else to write.
CREATE TABLE replica_heartbeat (
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	at timestamptz NOT NULL
);
COMMENT ON TABLE replica_heartbeat IS 'One row, stamped every second on the primary by one server process that serves public reads from a replica (src/db/heartbeat.c); a standby''s now() - at bounds its lag (sk_db_read_lag).';
INSERT INTO replica_heartbeat (id, at) VALUES (true, now());
GRANT SELECT, UPDATE ON replica_heartbeat TO sangkien_app;
