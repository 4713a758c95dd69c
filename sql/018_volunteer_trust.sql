-- 018: the volunteer's trust (issue 8, parts 1 and 2).
--
-- 1. A volunteer may make a password set-up code only for an account they created in the assisted
--    flow and that has never had a password; every other code comes from a leader of a ward where
--    the account is a resident, or an installation administrator. A consent on record no longer
--    counts: it is the volunteer's own statement, not the resident's act. A code made for an account
--    that already has a password, and its redemption, are audited under their own action names
--    (password_reset_code_issued, password_reset_with_code) instead of setup_code_issued and
--    password_set_with_code. A volunteer's code stops working once the account has a password.
-- 2. "Find a resident" (assisted_resident, replacing resident_find_or_create) finds only accounts
--    that are already residents of the ward and shows their initials and residential group, never
--    their name; it never adds or changes a role or a group. A number registered to anyone else
--    (another ward, a leader, a panelist) is refused as registered_elsewhere, audited, and no
--    second account is made.
-- Forward-only: never edit this file once applied; add a new numbered file.

CREATE TABLE assisted_accounts (
	account_id bigint PRIMARY KEY REFERENCES accounts (id),
	volunteer_id bigint NOT NULL REFERENCES accounts (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	created_at timestamptz NOT NULL,
	first_password_at timestamptz,
	CHECK (account_id <> volunteer_id)
);
COMMENT ON TABLE assisted_accounts IS 'Accounts a volunteer created in the assisted flow (POST /wards/{ward_id}/assisted-residents) for a resident without one: which volunteer, in which ward, when. Only that volunteer may make the account a password set-up code, and only until it first has a password.';
COMMENT ON COLUMN assisted_accounts.first_password_at IS 'When the account first had a password (set by the trigger assisted_accounts_password_set, whatever set it). From then on the creating volunteer has no more say over the account.';

-- Accounts made before this migration: the audit log names the volunteer of every creation.
INSERT INTO assisted_accounts (account_id, volunteer_id, ward_id, created_at, first_password_at)
SELECT DISTINCT ON (a.id) a.id, l.actor_account_id, l.ward_id, l.at,
	CASE WHEN a.password_hash IS NOT NULL
	       OR EXISTS (SELECT 1 FROM audit_log s WHERE s.action = 'password_set_with_code' AND s.subject = l.subject)
	     THEN coalesce((SELECT min(s.at) FROM audit_log s WHERE s.action = 'password_set_with_code' AND s.subject = l.subject), now())
	END
FROM audit_log l JOIN accounts a ON l.subject = 'account:' || a.id
WHERE l.action = 'resident_created_by_volunteer' AND l.actor_account_id IS NOT NULL AND l.ward_id IS NOT NULL
	AND l.actor_account_id <> a.id
ORDER BY a.id, l.at;

CREATE FUNCTION assisted_accounts_password_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE assisted_accounts SET first_password_at = now() WHERE account_id = NEW.id AND first_password_at IS NULL;
	RETURN NULL;
END
$$;
CREATE TRIGGER assisted_accounts_password_set AFTER UPDATE OF password_hash ON accounts
	FOR EACH ROW WHEN (NEW.password_hash IS NOT NULL) EXECUTE FUNCTION assisted_accounts_password_set();

-- Who issued a code, and as what: the rule a redemption checks again.
ALTER TABLE setup_codes ADD COLUMN issued_as text CHECK (issued_as IN ('volunteer', 'leader', 'admin'));
UPDATE setup_codes s SET issued_as = CASE
	WHEN s.ward_id IS NULL THEN 'admin'
	WHEN EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = s.issued_by AND r.ward_id = s.ward_id AND r.role = 'leader')
		THEN 'leader'
	ELSE 'volunteer' END;
ALTER TABLE setup_codes ALTER COLUMN issued_as SET NOT NULL;
COMMENT ON COLUMN setup_codes.issued_as IS 'The authority the issuer used: volunteer (the account''s creator, before any password), leader (of a ward where the account is a resident) or admin (installation-wide). A volunteer''s code never replaces a password.';

-- Live codes that the rules below would not have allowed (a volunteer's code for an account they did
-- not create, or that has a password) stop working now.
UPDATE setup_codes s SET revoked_at = now()
WHERE s.used_at IS NULL AND s.revoked_at IS NULL AND s.issued_as = 'volunteer'
	AND NOT EXISTS (SELECT 1 FROM assisted_accounts x JOIN accounts a ON a.id = x.account_id
			WHERE x.account_id = s.account_id AND x.volunteer_id = s.issued_by
				AND x.first_password_at IS NULL AND a.password_hash IS NULL);

-- The consent record, stated plainly.
COMMENT ON TABLE consents IS 'A resident''s consent that a community digital-tech volunteer submits a proposal for them: volunteer_id read the consent text (text_version) aloud to resident_id at consented_at, in ward_id, and recorded that they agreed. It is the volunteer''s statement, not an act of the resident: it lets the volunteer act on that proposal only, and grants nothing on the resident''s account (no set-up code, no role).';
COMMENT ON COLUMN consents.volunteer_id IS 'Who read the consent text to the resident and recorded the answer.';
COMMENT ON COLUMN consents.resident_id IS 'To whom it was read (the proposal''s author).';
COMMENT ON COLUMN consents.consented_at IS 'When it was read and agreed (the server''s clock at the submission).';

-- "N. T. L." for "Nguyễn Thị Lành": enough to confirm the person in front of you, not to learn a name.
CREATE FUNCTION name_initials(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(string_agg(left(t.w, 1) || '.', ' ' ORDER BY t.n), '')
	FROM regexp_split_to_table(btrim(name), '\s+') WITH ORDINALITY AS t(w, n) WHERE t.w <> ''
$$;
COMMENT ON FUNCTION name_initials(text) IS 'The first letter of each word of a name, each followed by a full stop: what "find a resident" shows a volunteer instead of the name.';

-- May actor make account a set-up code, and as what? One row (the ward through which, NULL for an
-- installation admin; and volunteer, leader or admin), or none. Not for deleted accounts. Leaders and
-- volunteers only for accounts that hold no role but resident.
CREATE FUNCTION setup_code_authority(actor bigint, account bigint)
	RETURNS TABLE (ward_id bigint, issued_as text) LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	IF EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = account) THEN
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = actor AND r.ward_id IS NULL AND r.role = 'admin') THEN
		RETURN QUERY SELECT NULL::bigint, 'admin'::text;
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account AND r.role <> 'resident') THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT r.ward_id, 'leader'::text FROM role_grants r
		WHERE r.account_id = account AND r.role = 'resident'
			AND EXISTS (SELECT 1 FROM role_grants l WHERE l.account_id = actor AND l.ward_id = r.ward_id AND l.role = 'leader')
		ORDER BY r.ward_id LIMIT 1;
	IF FOUND THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT x.ward_id, 'volunteer'::text FROM assisted_accounts x JOIN accounts a ON a.id = x.account_id
		WHERE x.account_id = account AND x.volunteer_id = actor AND x.first_password_at IS NULL
			AND a.password_hash IS NULL
			AND EXISTS (SELECT 1 FROM role_grants v WHERE v.account_id = actor AND v.ward_id = x.ward_id AND v.role = 'volunteer')
			AND EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account AND r.ward_id = x.ward_id AND r.role = 'resident');
END
$$;
COMMENT ON FUNCTION setup_code_authority(bigint, bigint) IS 'Whether actor may make account a password set-up code: an installation admin; a leader of a ward where the account is a resident; the volunteer who created the account in the assisted flow, while it has never had a password. Leaders and volunteers only for accounts whose only role is resident. A consent gives no authority.';

CREATE OR REPLACE FUNCTION setup_code_issue(actor bigint, account bigint, code_hash text, now timestamptz, ttl integer, ip inet)
	RETURNS TABLE (expires_at timestamptz, ward_id bigint) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	had_password boolean;
	auth record;
	valid_until timestamptz := now + make_interval(secs => ttl);
BEGIN
	SELECT a.password_hash IS NOT NULL INTO had_password FROM accounts a WHERE a.id = account;
	IF NOT FOUND OR EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = account) THEN
		RAISE EXCEPTION 'not_found' USING ERRCODE = 'P0001';
	END IF;
	SELECT * INTO auth FROM setup_code_authority(actor, account);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'forbidden' USING ERRCODE = 'P0001';
	END IF;
	UPDATE setup_codes c SET revoked_at = now WHERE c.account_id = account AND c.used_at IS NULL AND c.revoked_at IS NULL;
	INSERT INTO setup_codes (account_id, code_hash, issued_by, ward_id, issued_at, expires_at, issued_as)
	VALUES (account, code_hash, actor, auth.ward_id, now, valid_until, auth.issued_as);
	-- Notifications hook: once the installation can send messages, a code made for an account that
	-- already has a password (password_reset_code_issued) must tell its holder, who did not ask for
	-- it if someone else did. Until then the audit row is the only trace.
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, auth.ward_id, CASE WHEN had_password THEN 'password_reset_code_issued' ELSE 'setup_code_issued' END,
		'account:' || account, ip, jsonb_build_object('expires_at', iso(valid_until), 'issued_as', auth.issued_as));
	RETURN QUERY SELECT valid_until, auth.ward_id;
END
$$;
COMMENT ON FUNCTION setup_code_issue(bigint, bigint, text, timestamptz, integer, inet) IS 'Issues a set-up code (its argon2id hash) for account by actor as setup_code_authority allows, revoking any live one, audited as setup_code_issued (no password yet) or password_reset_code_issued (the account has one). Raises not_found or forbidden.';

CREATE OR REPLACE FUNCTION setup_code_redeem(code bigint, password_hash text, now timestamptz, ip inet)
	RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	aid bigint;
	had_password boolean;
	how text;
	ended integer;
BEGIN
	SELECT c.account_id, a.password_hash IS NOT NULL, c.issued_as INTO aid, had_password, how
	FROM setup_codes c JOIN accounts a ON a.id = c.account_id
	WHERE c.id = code AND c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > now
	FOR UPDATE OF c;
	IF aid IS NULL THEN
		RETURN false;
	END IF;
	-- A volunteer's code sets a first password, never replaces one.
	IF how = 'volunteer' AND (had_password OR EXISTS (SELECT 1 FROM assisted_accounts x
			WHERE x.account_id = aid AND x.first_password_at IS NOT NULL)) THEN
		UPDATE setup_codes c SET revoked_at = now WHERE c.id = code;
		RETURN false;
	END IF;
	UPDATE setup_codes c SET used_at = now WHERE c.id = code;
	UPDATE accounts SET password_hash = setup_code_redeem.password_hash WHERE id = aid;
	UPDATE sessions SET ended_at = now WHERE account_id = aid AND ended_at IS NULL;
	GET DIAGNOSTICS ended = ROW_COUNT;
	-- Notifications hook: a password replaced with a code (password_reset_with_code) must be told
	-- to the account holder once notifications exist.
	INSERT INTO audit_log (actor_account_id, action, subject, ip, detail)
	VALUES (aid, CASE WHEN had_password THEN 'password_reset_with_code' ELSE 'password_set_with_code' END,
		'account:' || aid, ip, jsonb_build_object('sessions_ended', ended, 'issued_as', how));
	RETURN true;
END
$$;
COMMENT ON FUNCTION setup_code_redeem(bigint, text, timestamptz, inet) IS 'Redeems a live set-up code whose hash the server has verified: new password, code used, sessions ended, audited as password_set_with_code (first password) or password_reset_with_code (replaced one). A volunteer''s code for an account that has had a password is revoked instead (false).';

-- "Find a resident", replacing resident_find_or_create (which found anyone by number and made them
-- a resident of the volunteer's ward, in a group of the volunteer's choosing).
DROP FUNCTION resident_find_or_create(bigint, bigint, bigint, text, text, inet);

CREATE FUNCTION assisted_resident(volunteer bigint, ward bigint, grp bigint, phone text, name text, now timestamptz, ip inet)
	RETURNS TABLE (outcome text, id bigint, display_name text, initials text, group_id bigint, group_name text,
		may_issue_setup_code boolean) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a accounts;
	g residential_groups;
	r role_grants;
BEGIN
	SELECT * INTO g FROM residential_groups WHERE residential_groups.id = grp AND residential_groups.ward_id = ward;
	IF NOT FOUND THEN
		PERFORM rule('group_not_in_ward');
	END IF;
	SELECT * INTO a FROM accounts WHERE login = phone;
	IF FOUND THEN
		SELECT * INTO r FROM role_grants WHERE account_id = a.id AND ward_id = ward AND role = 'resident';
		IF NOT FOUND THEN
			INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
			VALUES (volunteer, ward, 'resident_lookup_refused', 'account:' || a.id, ip);
			RETURN QUERY SELECT 'registered_elsewhere'::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint,
				NULL::text, false;
			RETURN;
		END IF;
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
		VALUES (volunteer, ward, 'resident_found_by_volunteer', 'account:' || a.id, ip);
		RETURN QUERY SELECT 'found'::text, a.id, NULL::text, name_initials(a.display_name), r.group_id,
			(SELECT h.name FROM residential_groups h WHERE h.id = r.group_id),
			EXISTS (SELECT 1 FROM setup_code_authority(volunteer, a.id) s WHERE s.issued_as = 'volunteer');
		RETURN;
	END IF;
	INSERT INTO accounts (login, login_kind, display_name) VALUES (phone, 'phone', name) RETURNING * INTO a;
	INSERT INTO role_grants (account_id, ward_id, role, group_id, granted_by) VALUES (a.id, ward, 'resident', grp, volunteer);
	INSERT INTO assisted_accounts (account_id, volunteer_id, ward_id, created_at) VALUES (a.id, volunteer, ward, now);
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
	VALUES (volunteer, ward, 'resident_created_by_volunteer', 'account:' || a.id, ip);
	RETURN QUERY SELECT 'created'::text, a.id, a.display_name, name_initials(a.display_name), g.id, g.name, true;
END
$$;
COMMENT ON FUNCTION assisted_resident(bigint, bigint, bigint, text, text, timestamptz, inet) IS 'A volunteer of ward meets a resident. outcome found: the account with this phone is a resident of ward (id, initials, its own group; no name; nothing changes). created: a new account without a password, resident of ward in grp, recorded in assisted_accounts. registered_elsewhere: the number belongs to an account that is not a resident of ward (nothing but an audit row is written, nothing about that account is returned). Raises group_not_in_ward. Every outcome is audited.';

GRANT SELECT, INSERT, UPDATE ON assisted_accounts TO sangkien_app;
REVOKE DELETE, TRUNCATE ON assisted_accounts FROM sangkien_app;
