-- The personal-data export lists the two kinds of rows that issue 8 added about a person: the
-- known-device cookies of the account (sql/019: when made and last used, never the token's hash),
-- and the assisted-flow record of who created the account (sql/018), or, for a volunteer, which
-- accounts they created.

ALTER FUNCTION personal_export(bigint) RENAME TO personal_export_without_devices;

CREATE FUNCTION personal_export(aid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT personal_export_without_devices(aid) || jsonb_build_object(
		'known_devices', coalesce((SELECT jsonb_agg(jsonb_build_object('created_at', iso(d.created_at),
			'last_used_at', iso(d.last_used_at)) ORDER BY d.created_at)
			FROM known_devices d WHERE d.account_id = aid), '[]'),
		'account_created_by_volunteer', (SELECT jsonb_build_object('volunteer_id', a.volunteer_id,
			'ward_id', a.ward_id, 'created_at', iso(a.created_at),
			'first_password_at', iso(a.first_password_at))
			FROM assisted_accounts a WHERE a.account_id = aid),
		'accounts_created_as_volunteer', coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', a.account_id,
			'ward_id', a.ward_id, 'created_at', iso(a.created_at)) ORDER BY a.created_at)
			FROM assisted_accounts a WHERE a.volunteer_id = aid), '[]'))
$$;
COMMENT ON FUNCTION personal_export(bigint) IS 'Everything held about account aid, as one JSON document (GET /api/v1/me/export): the account, roles, sessions, proposals with revisions, consents, audit events (other people''s addresses left out), password set-up codes (never their hashes), known devices (never their tokens) and the assisted-flow records.';
