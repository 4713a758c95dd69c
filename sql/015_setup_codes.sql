-- One-time password set-up codes: how a resident whose account a volunteer created (no password),
-- or who forgot their password, gets one. A volunteer who helped them, a leader of their ward or an
-- installation administrator issues a short code; the resident redeems it with a new password.
-- Forward-only: never edit this file once applied; add a new numbered file.

CREATE TABLE setup_codes (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	code_hash text NOT NULL CHECK (code_hash LIKE '$argon2id$%'),
	issued_by bigint NOT NULL REFERENCES accounts (id),
	ward_id bigint REFERENCES wards (id),
	issued_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	revoked_at timestamptz,
	CHECK (expires_at > issued_at),
	CHECK (used_at IS NULL OR revoked_at IS NULL)
);
COMMENT ON TABLE setup_codes IS 'One-time codes (8 digits) that let a person set their password. Only the argon2id hash of the code is kept (the code has about 27 bits, so a fast hash of a copied table would give it away within the code''s lifetime). At most one live (neither used nor revoked) code per account: issuing a new one revokes the old.';
COMMENT ON COLUMN setup_codes.ward_id IS 'The ward whose volunteer or leader issued the code; NULL for an installation administrator.';
CREATE UNIQUE INDEX setup_codes_one_live ON setup_codes (account_id) WHERE used_at IS NULL AND revoked_at IS NULL;

-- May actor issue a code for account? The ward through which they may (NULL: as installation admin),
-- or a refusal raised with a stable code. Volunteers and leaders only for accounts that hold no role
-- but resident, so that nobody takes over a leader's, panelist's or volunteer's account this way.
CREATE FUNCTION setup_code_issue(actor bigint, account bigint, code_hash text, now timestamptz, ttl integer, ip inet)
	RETURNS TABLE (expires_at timestamptz, ward_id bigint) LANGUAGE plpgsql AS $$
DECLARE
	ward bigint;
	admin boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = account)
	   OR EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = account) THEN
		RAISE EXCEPTION 'not_found' USING ERRCODE = 'P0001';
	END IF;
	admin := EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = actor AND r.ward_id IS NULL AND r.role = 'admin');
	IF NOT admin THEN
		IF EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account AND r.role <> 'resident') THEN
			RAISE EXCEPTION 'forbidden' USING ERRCODE = 'P0001';
		END IF;
		SELECT r.ward_id INTO ward FROM role_grants r
		WHERE r.account_id = account AND r.role = 'resident' AND (
			EXISTS (SELECT 1 FROM role_grants l WHERE l.account_id = actor AND l.ward_id = r.ward_id AND l.role = 'leader')
			OR (EXISTS (SELECT 1 FROM role_grants v WHERE v.account_id = actor AND v.ward_id = r.ward_id AND v.role = 'volunteer')
			    AND (r.granted_by = actor
			         OR EXISTS (SELECT 1 FROM consents k WHERE k.ward_id = r.ward_id AND k.volunteer_id = actor
			                    AND k.resident_id = account))))
		ORDER BY r.ward_id LIMIT 1;
		IF ward IS NULL THEN
			RAISE EXCEPTION 'forbidden' USING ERRCODE = 'P0001';
		END IF;
	END IF;
	UPDATE setup_codes c SET revoked_at = now WHERE c.account_id = account AND c.used_at IS NULL AND c.revoked_at IS NULL;
	INSERT INTO setup_codes (account_id, code_hash, issued_by, ward_id, issued_at, expires_at)
	VALUES (account, code_hash, actor, ward, now, now + make_interval(secs => ttl));
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, ward, 'setup_code_issued', 'account:' || account, ip,
		jsonb_build_object('expires_at', iso(now + make_interval(secs => ttl))));
	RETURN QUERY SELECT now + make_interval(secs => ttl), ward;
END
$$;
COMMENT ON FUNCTION setup_code_issue(bigint, bigint, text, timestamptz, integer, inet) IS 'Issues a set-up code (its argon2id hash) for account by actor, revoking any live one, audited. Raises not_found or forbidden.';

-- The code is right (checked by the server against code_hash): set the password, use the code,
-- end every session of the account, audited. False when the code stopped being live meanwhile.
CREATE FUNCTION setup_code_redeem(code bigint, password_hash text, now timestamptz, ip inet)
	RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	aid bigint;
	ended integer;
BEGIN
	UPDATE setup_codes c SET used_at = now
	WHERE c.id = code AND c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > now
	RETURNING c.account_id INTO aid;
	IF aid IS NULL THEN
		RETURN false;
	END IF;
	UPDATE accounts SET password_hash = setup_code_redeem.password_hash WHERE id = aid;
	UPDATE sessions SET ended_at = now WHERE account_id = aid AND ended_at IS NULL;
	GET DIAGNOSTICS ended = ROW_COUNT;
	INSERT INTO audit_log (actor_account_id, action, subject, ip, detail)
	VALUES (aid, 'password_set_with_code', 'account:' || aid, ip, jsonb_build_object('sessions_ended', ended));
	RETURN true;
END
$$;
COMMENT ON FUNCTION setup_code_redeem(bigint, text, timestamptz, inet) IS 'Redeems a live set-up code whose hash the server has verified: new password, code used, sessions ended, audited.';

GRANT SELECT, INSERT, UPDATE ON setup_codes TO sangkien_app;
REVOKE DELETE, TRUNCATE ON setup_codes FROM sangkien_app;
