-- Wards, residential groups, accounts, roles, sessions and the audit log.
-- Forward-only: never edit this file once applied; add a new numbered file.

CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE wards (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{2,10}$'),
	name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE wards IS 'A ward (phường/xã): the unit that runs calls. Every row that belongs to a ward carries its ward_id.';
COMMENT ON COLUMN wards.code IS 'Short upper-case code used in tracking codes, e.g. HC for Hải Châu.';

CREATE TABLE residential_groups (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (ward_id, name),
	UNIQUE (ward_id, id)
);
COMMENT ON TABLE residential_groups IS 'A residential group (tổ dân phố) of a ward.';

CREATE TABLE accounts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	login text NOT NULL UNIQUE CHECK (char_length(login) BETWEEN 3 AND 254),
	login_kind text NOT NULL CHECK (login_kind IN ('phone', 'email')),
	display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
	password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((login_kind = 'phone') = (login ~ '^\+84[35789][0-9]{8}$'))
);
COMMENT ON TABLE accounts IS 'A person: identified by a normalised Vietnamese mobile number (+84…) or a lower-case email. password_hash is argon2id; NULL means the account cannot log in yet.';

CREATE TABLE role_grants (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	ward_id bigint REFERENCES wards (id),
	role text NOT NULL CHECK (role IN ('resident', 'volunteer', 'panelist', 'leader', 'admin')),
	group_id bigint,
	granted_by bigint REFERENCES accounts (id),
	granted_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE NULLS NOT DISTINCT (account_id, ward_id, role),
	CHECK (ward_id IS NOT NULL OR role = 'admin'),
	CHECK (group_id IS NULL OR role = 'resident'),
	FOREIGN KEY (ward_id, group_id) REFERENCES residential_groups (ward_id, id)
);
COMMENT ON TABLE role_grants IS 'The roles an account holds, per ward. ward_id NULL with role admin is an installation-wide administrator. A resident grant may name the residential group the person lives in.';

CREATE TABLE sessions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	csrf_token text NOT NULL CHECK (char_length(csrf_token) = 43),
	account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	ended_at timestamptz,
	ip inet
);
COMMENT ON TABLE sessions IS 'Login sessions. Only the SHA-256 of the cookie token is stored, so a copy of this table does not let anyone log in. Shared by every server process.';
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor_account_id bigint REFERENCES accounts (id),
	ward_id bigint REFERENCES wards (id),
	action text NOT NULL CHECK (action ~ '^[a-z_.]{3,64}$'),
	subject text,
	ip inet,
	detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE audit_log IS 'Append-only record of logins, failed logins, role changes and administrative actions: who, what, when, from where. UPDATE, DELETE and TRUNCATE are refused by triggers.';
COMMENT ON COLUMN audit_log.subject IS 'What the action was about, e.g. account:7, ward:2, or the normalised login tried in a failed login.';
CREATE INDEX audit_log_throttle_subject ON audit_log (subject, at) WHERE action IN ('login_failed', 'login');
CREATE INDEX audit_log_throttle_ip ON audit_log (ip, at) WHERE action = 'login_failed';

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
