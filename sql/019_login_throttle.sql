-- 019: the failed-login throttle gets its own tables (issue 8, part 3).
-- Before, failures were counted from audit_log (subject = the login in clear, at = the database's
-- now()) while the window was measured on the request's clock, and five failures for a login from
-- anywhere refused even the right password for 15 minutes: any stranger could lock any account,
-- and a leader out of /publish. Now:
--   auth_failures  one row per failed attempt, at = the request's clock, the login as a keyed hash
--                  (auth_login_key), never in clear; rows older than the window are pruned by the
--                  server when it records a failure. Counted per (login, address) pair, per address,
--                  per login across addresses (a capped progressive delay, not a block), per known
--                  device, and, for passwords re-typed inside a session (scope 'recheck'), per account.
--   known_devices  the SHA-256 of a random "known device" cookie set at a successful login (OWASP's
--                  device cookies): its holder has a counter of its own and is never slowed by
--                  other clients' failures.
--   auth_secret    the key of auth_login_key, made here from the server's strong random source;
--                  readable only through that function.

CREATE TABLE auth_secret (
	only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	key bytea NOT NULL CHECK (octet_length(key) >= 16)
);
INSERT INTO auth_secret (key)
	VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
COMMENT ON TABLE auth_secret IS 'The key of auth_login_key (32 bytes from gen_random_uuid(), 244 random bits). Not readable by the application role.';

CREATE FUNCTION auth_login_key(login text) RETURNS bytea
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT sha256(s.key || convert_to(login, 'UTF8')) FROM auth_secret s
$$;
COMMENT ON FUNCTION auth_login_key(text) IS 'A keyed SHA-256 of a normalised login: what auth_failures stores instead of the login (a phone number or email).';

CREATE TABLE auth_failures (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL,
	scope text NOT NULL CHECK (scope IN ('login', 'recheck')),
	login_key bytea NOT NULL CHECK (octet_length(login_key) = 32),
	ip inet,
	device_hash bytea CHECK (device_hash IS NULL OR octet_length(device_hash) = 32)
);
CREATE INDEX auth_failures_login ON auth_failures (login_key, at);
CREATE INDEX auth_failures_ip ON auth_failures (ip, at) WHERE scope = 'login';
CREATE INDEX auth_failures_device ON auth_failures (device_hash, at) WHERE device_hash IS NOT NULL;
CREATE INDEX auth_failures_at ON auth_failures (at);
COMMENT ON TABLE auth_failures IS 'Failed password or set-up code attempts for the throttle, at the request''s clock. scope login: POST /sessions and /accounts/password-setup; recheck: a password re-typed inside a session (publish, correction, account deletion), keyed by the account''s login. device_hash: the attempt came with a known-device cookie of that account. Rows older than the window are deleted; the audit log keeps the history.';

CREATE TABLE known_devices (
	token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
	account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	last_used_at timestamptz NOT NULL,
	PRIMARY KEY (token_hash, account_id)
);
CREATE INDEX known_devices_account ON known_devices (account_id, created_at);
COMMENT ON TABLE known_devices IS 'Known-device cookies (sk_device): the SHA-256 of a random token set at a successful login, one row per account that logged in with it (a phone shared in a family or lent by a volunteer keeps one cookie for all). Not a credential: it only exempts its holder from other clients'' failed-login counters for that account. Valid for --device-ttl seconds after created_at; forgotten when the account''s login changes (account deletion).';

CREATE FUNCTION known_devices_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM known_devices WHERE account_id = NEW.id;
	RETURN NEW;
END
$$;
CREATE TRIGGER known_devices_forget AFTER UPDATE OF login ON accounts
	FOR EACH ROW WHEN (OLD.login IS DISTINCT FROM NEW.login) EXECUTE FUNCTION known_devices_forget();

REVOKE ALL ON auth_secret FROM sangkien_app;
GRANT SELECT, INSERT, DELETE ON auth_failures, known_devices TO sangkien_app;
GRANT UPDATE ON known_devices TO sangkien_app;
REVOKE UPDATE, TRUNCATE ON auth_failures FROM sangkien_app;

-- The audit log no longer feeds the throttle: its two partial indexes for it (001) only cost writes.
DROP INDEX audit_log_throttle_subject;
DROP INDEX audit_log_throttle_ip;
