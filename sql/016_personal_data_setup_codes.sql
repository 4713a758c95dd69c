-- 016: password set-up codes (015) in a person's data export and deletion.
-- personal_export() also lists the set-up codes issued for the person (when, by whom, until
-- when, used or revoked: never the hash) and those the person issued for others; and
-- personal_delete() revokes a live code of the deleted account, so that nothing issued
-- before the deletion can set a password on the anonymised account. The earlier functions
-- are kept under new names and called, so their bodies stay defined in one place.

ALTER FUNCTION personal_export(bigint) RENAME TO personal_export_without_setup_codes;
ALTER FUNCTION personal_delete(bigint, timestamptz, inet) RENAME TO personal_delete_without_setup_codes;

CREATE FUNCTION personal_export(aid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT personal_export_without_setup_codes(aid) || jsonb_build_object(
		'setup_codes', coalesce((SELECT jsonb_agg(jsonb_build_object('issued_at', iso(s.issued_at),
			'issued_by', s.issued_by, 'ward_id', s.ward_id, 'expires_at', iso(s.expires_at),
			'used_at', iso(s.used_at), 'revoked_at', iso(s.revoked_at)) ORDER BY s.id)
			FROM setup_codes s WHERE s.account_id = aid), '[]'),
		'setup_codes_issued', coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', s.account_id,
			'issued_at', iso(s.issued_at), 'ward_id', s.ward_id, 'expires_at', iso(s.expires_at),
			'used_at', iso(s.used_at), 'revoked_at', iso(s.revoked_at)) ORDER BY s.id)
			FROM setup_codes s WHERE s.issued_by = aid AND s.account_id <> aid), '[]'))
$$;
COMMENT ON FUNCTION personal_export(bigint) IS 'Everything held about account aid, as one JSON document (GET /api/v1/me/export): the account, roles, sessions, proposals with revisions, consents, audit events, and password set-up codes (never their hashes).';

CREATE FUNCTION personal_delete(aid bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM personal_delete_without_setup_codes(aid, now, ip);
	UPDATE setup_codes SET revoked_at = now
		WHERE account_id = aid AND used_at IS NULL AND revoked_at IS NULL;
END
$$;
COMMENT ON FUNCTION personal_delete(bigint, timestamptz, inet) IS 'Erases account aid''s personal data (DELETE /api/v1/me): the account is anonymised, its sessions end, its live password set-up code is revoked; its proposals stay.';
