-- 020: personal data (issue 8, part 6).
-- 1. The data export shows the person's own addresses only: an audit event done by someone else
--    (the volunteer who created the account, the administrator who granted a role, a stranger
--    trying the person's login) keeps its `ip` out of the export.
-- 2. Deleting an account pseudonymises its audit rows: the addresses of what the person did go,
--    and rows whose subject is the person's login (failed logins, throttling) name the account
--    (`account:<id>`) instead and lose their address. The audit log stays append-only otherwise:
--    rows are never deleted, and an UPDATE is refused unless it is this pseudonymisation (see
--    audit_log_guard below). Attachments of the person's proposals get neutral file names
--    (tep-1.jpg, ...) and the person's name, phone number and email are cleared from the text of
--    their proposals, their earlier revisions and their catalogue entries.
-- 3. A call's setting blind_shows_group (default false): in blind review panelists no longer see
--    a proposal's residential group unless the call says so. Frozen when the call opens like the
--    rest of its configuration; it enters the configuration text (and so the seal) only when true,
--    so the text, and the config_digest, of every existing call is unchanged.
-- Forward-only: never edit this file once applied; add a new numbered file.

-- ---------------------------------------------------------------------------------------------
-- 3. blind_shows_group
-- ---------------------------------------------------------------------------------------------

ALTER TABLE campaigns ADD COLUMN blind_shows_group boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN campaigns.blind_shows_group IS 'With blind_review: whether panelists see the residential group of a proposal (false: hidden, since in a small group it can name the author). Frozen when the call opens.';

CREATE OR REPLACE FUNCTION campaign_config_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.state <> 'draft' AND (NEW.ranking_method, NEW.blind_review, NEW.reviews_required,
		NEW.opens_at, NEW.closes_at, NEW.config_digest, NEW.ward_id, NEW.blind_shows_group)
		IS DISTINCT FROM (OLD.ranking_method, OLD.blind_review, OLD.reviews_required,
		OLD.opens_at, OLD.closes_at, OLD.config_digest, OLD.ward_id, OLD.blind_shows_group) THEN
		RAISE EXCEPTION 'the configuration of an opened campaign is frozen' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

-- The text of sql/002 unchanged, with one more line only when blind_shows_group is true: every call
-- sealed before this migration (all false) keeps the text, and so the digest, it was sealed with.
CREATE OR REPLACE FUNCTION campaign_config_text(cid bigint) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT 'sangkien-config-v1' || E'\n'
		|| 'campaign=' || c.id || E'\n'
		|| 'ward=' || w.code || E'\n'
		|| 'opens_at=' || to_char(c.opens_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'closes_at=' || to_char(c.closes_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'ranking_method=' || c.ranking_method || E'\n'
		|| 'blind_review=' || c.blind_review || E'\n'
		|| 'reviews_required=' || c.reviews_required || E'\n'
		|| coalesce((SELECT string_agg('criterion=' || k.position || '|' || k.weight::text || '|'
			|| k.max_score || '|' || k.name, E'\n' ORDER BY k.position)
			FROM criteria k WHERE k.campaign_id = c.id), '') || E'\n'
		|| CASE WHEN c.blind_shows_group THEN 'blind_shows_group=true' || E'\n' ELSE '' END
	FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE c.id = cid
$$;
COMMENT ON FUNCTION campaign_config_text(bigint) IS 'Canonical configuration text of a campaign, hashed with SHA-256 into config_digest when it opens. Anyone can recompute it from the published configuration. The line blind_shows_group=true is there only when that setting is on (sql/020), so calls sealed before it keep their digest.';

CREATE OR REPLACE FUNCTION campaign_json(c campaigns, now timestamptz) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', c.id, 'ward_id', c.ward_id, 'ward_code', w.code, 'ward_name', w.name,
		'title', c.title, 'description', c.description, 'rules', c.rules,
		'opens_at', iso(c.opens_at), 'closes_at', iso(c.closes_at),
		'blind_review', c.blind_review, 'blind_shows_group', c.blind_shows_group,
		'reviews_required', c.reviews_required,
		'ranking_method', c.ranking_method, 'state', c.state, 'config_digest', c.config_digest,
		'accepting', c.state = 'open' AND now >= c.opens_at AND now < c.closes_at,
		'proposal_count', (SELECT count(*) FROM proposals p WHERE p.campaign_id = c.id AND p.status = 'submitted'),
		'criteria', coalesce((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'position', k.position,
			'name', k.name, 'description', k.description, 'weight', k.weight, 'max_score', k.max_score)
			ORDER BY k.position) FROM criteria k WHERE k.campaign_id = c.id), '[]'::jsonb))
	FROM wards w WHERE w.id = c.ward_id
$$;
COMMENT ON FUNCTION campaign_json(campaigns, timestamptz) IS 'The API view of a campaign at time now.';

-- As sql/004, and in blind mode without group_id and group_name unless the call shows the group.
CREATE OR REPLACE FUNCTION proposal_panel_json(p proposals, blind boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN blind THEN
		(proposal_json(p) - 'author' - 'helped_by' - 'attachments' - 'created_at' - 'updated_at' - 'withdrawn_at'
			- CASE WHEN (SELECT c.blind_shows_group FROM campaigns c WHERE c.id = p.campaign_id)
				THEN ARRAY[]::text[] ELSE ARRAY['group_id', 'group_name'] END)
		|| jsonb_build_object('attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id,
			'filename', 'tep-' || row_number || CASE f.mime WHEN 'image/jpeg' THEN '.jpg' WHEN 'image/png' THEN '.png'
				WHEN 'image/webp' THEN '.webp' ELSE '.pdf' END,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM (SELECT *, row_number() OVER (ORDER BY id) FROM attachments WHERE proposal_id = p.id) f), '[]'))
	ELSE proposal_json(p) END
$$;
COMMENT ON FUNCTION proposal_panel_json(proposals, boolean) IS 'The proposal as a panelist sees it; with blind review no name, account or original file name of the author or helper, and no residential group unless the call''s blind_shows_group says so.';

-- ---------------------------------------------------------------------------------------------
-- 1. The export: other people's addresses are not the person's to take away.
-- ---------------------------------------------------------------------------------------------

ALTER FUNCTION personal_export(bigint) RENAME TO personal_export_with_all_addresses;

CREATE FUNCTION personal_export(aid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT personal_export_with_all_addresses(aid) || jsonb_build_object(
		'audit_events', coalesce((SELECT jsonb_agg(jsonb_build_object('at', iso(l.at), 'action', l.action,
			'subject', l.subject, 'ip', CASE WHEN l.actor_account_id = aid THEN host(l.ip) END,
			'by_me', l.actor_account_id IS NOT DISTINCT FROM aid) ORDER BY l.id)
			FROM audit_log l WHERE l.actor_account_id = aid OR l.subject = 'account:' || aid
			OR l.subject = (SELECT login FROM accounts WHERE id = aid)), '[]'))
$$;
COMMENT ON FUNCTION personal_export(bigint) IS 'Everything held about account aid, as one JSON document (GET /api/v1/me/export). An audit event''s ip is given only when the person did it (by_me); the address of a volunteer, an administrator or a stranger (a failed login with the person''s login) is theirs, and stays out.';

-- ---------------------------------------------------------------------------------------------
-- 2. Deletion.
-- ---------------------------------------------------------------------------------------------

-- The audit log refused every UPDATE (sql/001). It now refuses every UPDATE but one shape: the
-- pseudonymisation of a deleted account, done by audit_log_pseudonymise in the same transaction
-- (which marks it with the transaction-local setting sangkien.audit_pseudonymise = the account id),
-- that only empties ip and, for a row whose subject was the login, sets the subject to
-- 'account:<id>'. Time, actor, ward, action and detail never change, rows are never deleted, and
-- the server's role still has no UPDATE privilege on the table: it can only call that function.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	aid text := current_setting('sangkien.audit_pseudonymise', true);
BEGIN
	IF coalesce(aid, '') <> ''
		AND (NEW.id, NEW.at, NEW.actor_account_id, NEW.ward_id, NEW.action, NEW.detail)
			IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor_account_id, OLD.ward_id, OLD.action, OLD.detail)
		AND NEW.ip IS NULL
		AND (NEW.subject IS NOT DISTINCT FROM OLD.subject OR NEW.subject = 'account:' || aid) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege',
		HINT = 'Only the pseudonymisation of a deleted account (audit_log_pseudonymise) may change a row.';
END
$$;
DROP TRIGGER audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_pseudonymise_only BEFORE UPDATE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

-- Runs as the owner of the schema (the server's role may not UPDATE audit_log). Only for an account
-- already deleted (account_deletions), and only for a login that no account holds any more, so it
-- cannot be turned against a live account's history.
CREATE FUNCTION audit_log_pseudonymise(aid bigint, old_login text) RETURNS integer
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	n integer;
	m integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = aid)
		OR EXISTS (SELECT 1 FROM accounts a WHERE a.login = old_login) THEN
		RAISE EXCEPTION 'audit_log_pseudonymise: account % is not deleted, or its login is in use', aid
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	PERFORM set_config('sangkien.audit_pseudonymise', aid::text, true);
	UPDATE audit_log SET ip = NULL WHERE actor_account_id = aid AND ip IS NOT NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE audit_log SET subject = 'account:' || aid, ip = NULL WHERE subject = old_login;
	GET DIAGNOSTICS m = ROW_COUNT;
	PERFORM set_config('sangkien.audit_pseudonymise', '', true);
	RETURN n + m;
END
$$;
COMMENT ON FUNCTION audit_log_pseudonymise(bigint, text) IS 'For deleted account aid: empties the address of every audit row it did, and names the account instead of its former login (old_login) in rows about that login (failed logins), without their address. The only change audit_log accepts.';
REVOKE ALL ON FUNCTION audit_log_pseudonymise(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_pseudonymise(bigint, text) TO sangkien_app;

-- A regular expression that matches s literally.
CREATE FUNCTION regexp_literal(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT regexp_replace(s, '([^[:alnum:][:space:]])', '\\\1', 'g')
$$;

-- text without the person's phone number (in the ways people write it: +84 912 345 678,
-- 0912.345.678, 0912-345-678, ...), email and name, each replaced with "[đã xoá]" ("[erased]").
-- folded: text is search text (lower case, no diacritics, punctuation as spaces; src/domain/search.c).
CREATE FUNCTION personal_scrub(t text, login text, name text, folded boolean DEFAULT false) RETURNS text
	LANGUAGE plpgsql STABLE AS $$
DECLARE
	r text := t;
	gone text := CASE WHEN folded THEN 'da xoa' ELSE '[đã xoá]' END;
	sep text := '[ .()-]*';
	who text := CASE WHEN folded THEN trim(regexp_replace(lower(unaccent(name)), '[^[:alnum:]]+', ' ', 'g')) ELSE name END;
BEGIN
	IF r IS NULL OR r = '' THEN
		RETURN r;
	END IF;
	IF login ~ '^\+84[0-9]{9}$' THEN
		r := regexp_replace(r, '(?<![0-9])(?:(?:\+|00)?' || sep || '8' || sep || '4|0)?' || sep
			|| array_to_string(regexp_split_to_array(substr(login, 4), ''), sep) || '(?![0-9])', gone, 'g');
	ELSIF login LIKE '%@%' THEN
		r := regexp_replace(r, regexp_literal(CASE WHEN folded
			THEN trim(regexp_replace(lower(login), '[^[:alnum:]]+', ' ', 'g')) ELSE login END), gone, 'gi');
	END IF;
	IF char_length(coalesce(who, '')) >= 2 THEN
		r := regexp_replace(r, '(?<![[:alnum:]_])' || regexp_literal(who) || '(?![[:alnum:]_])', gone, 'gi');
	END IF;
	RETURN r;
END
$$;
COMMENT ON FUNCTION personal_scrub(text, text, text, boolean) IS 'The text with the person''s phone number (however written), email and name replaced with [đã xoá]; used when an account is deleted.';

CREATE FUNCTION personal_scrub_json(j jsonb, login text, name text) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(k, CASE jsonb_typeof(v)
		WHEN 'string' THEN to_jsonb(personal_scrub(v #>> '{}', login, name))
		WHEN 'array' THEN coalesce((SELECT jsonb_agg(CASE WHEN jsonb_typeof(e) = 'string'
			THEN to_jsonb(personal_scrub(e #>> '{}', login, name)) ELSE e END ORDER BY i)
			FROM jsonb_array_elements(v) WITH ORDINALITY x (e, i)), '[]'::jsonb)
		ELSE v END), '{}'::jsonb)
	FROM jsonb_each(j) x (k, v)
$$;

ALTER FUNCTION personal_delete(bigint, timestamptz, inet) RENAME TO personal_delete_keeping_traces;

CREATE FUNCTION personal_delete(aid bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	old_login text;
	old_name text;
BEGIN
	SELECT a.login, a.display_name INTO old_login, old_name FROM accounts a WHERE a.id = aid;
	PERFORM personal_delete_keeping_traces(aid, now, ip);
	PERFORM audit_log_pseudonymise(aid, old_login);
	-- File names often carry a name or a phone number ("CCCD Nguyen Van A.jpg"): neutral names.
	UPDATE attachments f SET filename = 'tep-' || n.k || CASE f.mime WHEN 'image/jpeg' THEN '.jpg'
		WHEN 'image/png' THEN '.png' WHEN 'image/webp' THEN '.webp' ELSE '.pdf' END
	FROM (SELECT a.id, row_number() OVER (PARTITION BY a.proposal_id ORDER BY a.id) AS k
		FROM attachments a JOIN proposals p ON p.id = a.proposal_id WHERE p.author_id = aid) n
	WHERE f.id = n.id;
	-- The proposals stay with the call; the contact details typed into them go.
	UPDATE proposals SET title = left(personal_scrub(title, old_login, old_name), 200),
		summary = left(personal_scrub(summary, old_login, old_name), 1000),
		problem = left(personal_scrub(problem, old_login, old_name), 4000),
		model = left(personal_scrub(model, old_login, old_name), 4000),
		beneficiaries = left(personal_scrub(beneficiaries, old_login, old_name), 2000),
		resources = left(personal_scrub(resources, old_login, old_name), 4000),
		tags = coalesce((SELECT array_agg(left(personal_scrub(t, old_login, old_name), 40) ORDER BY i)
			FROM unnest(tags) WITH ORDINALITY u (t, i)), '{}'),
		search_text = personal_scrub(search_text, old_login, old_name, true)
	WHERE author_id = aid;
	UPDATE proposal_revisions v SET content = personal_scrub_json(v.content, old_login, old_name)
	FROM proposals p WHERE p.id = v.proposal_id AND p.author_id = aid;
	UPDATE models m SET title = personal_scrub(m.title, old_login, old_name),
		summary = personal_scrub(m.summary, old_login, old_name),
		model = personal_scrub(m.model, old_login, old_name),
		tags = coalesce((SELECT array_agg(personal_scrub(t, old_login, old_name) ORDER BY i)
			FROM unnest(m.tags) WITH ORDINALITY u (t, i)), '{}'),
		search_text = personal_scrub(m.search_text, old_login, old_name, true)
	FROM proposals p WHERE p.id = m.proposal_id AND p.author_id = aid;
END
$$;
COMMENT ON FUNCTION personal_delete(bigint, timestamptz, inet) IS 'Erases account aid''s personal data (DELETE /api/v1/me): the account is anonymised, its sessions end and lose their addresses, its live set-up code is revoked, its audit rows are pseudonymised (audit_log_pseudonymise), its attachments get neutral file names, and its name, phone number and email are cleared from the text of its proposals, their revisions and catalogue entries. The proposals stay with their call.';
