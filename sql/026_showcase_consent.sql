-- Issue 11, "pictures where people look": the resident's consent to publish the photos of their
-- proposal if it wins, and to publish their name and phone number as the model's contact; the
-- ward's public contact shown otherwise; and the one rule that says which photo is public.
--
-- Functions this migration redefines (CREATE OR REPLACE): proposal_json (adds the two consents),
-- proposal_panel_json (removes them again from the blind view) and proposal_actor_ok (below).
-- Everything else is new.

-- sql/024's proposal_actor_ok answered NULL, and so true through its coalesce, for any volunteer
-- of the ward on a proposal nobody helped with (helped_by NULL: NULL AND true is NULL, false OR
-- NULL is NULL). The write functions of sql/003 check the actor again and were safe; a new function
-- that trusted it alone was not. Same contract, without the NULL.
CREATE OR REPLACE FUNCTION proposal_actor_ok(pid bigint, actor bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT p.author_id = actor OR (coalesce(p.helped_by = actor, false) AND EXISTS (
			SELECT 1 FROM role_grants g
			WHERE g.account_id = actor AND g.ward_id = p.ward_id AND g.role = 'volunteer'))
		FROM proposals p WHERE p.id = pid), true)
$$;

ALTER TABLE proposals ADD COLUMN photos_public_at timestamptz, ADD COLUMN contact_public_at timestamptz;
COMMENT ON COLUMN proposals.photos_public_at IS 'When the author (or the helping volunteer for them) consented that the proposal''s photos be published if it wins ("Cho phép công bố ảnh"); NULL: no consent (the default), or consent withdrawn.';
COMMENT ON COLUMN proposals.contact_public_at IS 'When the author consented that their name and phone number be published as the winning model''s contact; NULL: the ward''s public contact is shown instead.';

ALTER TABLE wards ADD COLUMN public_contact text NOT NULL DEFAULT ''
	CHECK (char_length(public_contact) <= 300 AND public_contact !~ '[\x01-\x09\x0b-\x1f\x7f]');
COMMENT ON COLUMN wards.public_contact IS 'Who to contact about the ward''s winning models (an office, a phone number), shown on the public model pages when the author did not consent to show theirs. Set by the ward''s leaders or admins.';

-- The full view of a proposal, as sql/011, with the two consents.
CREATE OR REPLACE FUNCTION proposal_json(p proposals) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object(
		'id', p.id, 'campaign_id', p.campaign_id, 'ward_id', p.ward_id, 'status', p.status,
		'tracking_code', p.tracking_code, 'title', p.title, 'summary', p.summary, 'problem', p.problem,
		'model', p.model, 'beneficiaries', p.beneficiaries, 'households', p.households,
		'resources', p.resources, 'cost_vnd', p.cost_vnd, 'tags', to_jsonb(p.tags),
		'group_id', p.group_id, 'group_name', (SELECT g.name FROM residential_groups g WHERE g.id = p.group_id),
		'campaign_title', (SELECT c.title FROM campaigns c WHERE c.id = p.campaign_id),
		'author', (SELECT jsonb_build_object('id', a.id, 'display_name', a.display_name) FROM accounts a WHERE a.id = p.author_id),
		'helped_by', (SELECT jsonb_build_object('id', a.id, 'display_name', a.display_name) FROM accounts a WHERE a.id = p.helped_by),
		'version', p.version, 'created_at', iso(p.created_at), 'updated_at', iso(p.updated_at),
		'submitted_at', iso(p.submitted_at), 'withdrawn_at', iso(p.withdrawn_at),
		'publish_photos', p.photos_public_at IS NOT NULL, 'publish_photos_at', iso(p.photos_public_at),
		'publish_contact', p.contact_public_at IS NOT NULL, 'publish_contact_at', iso(p.contact_public_at),
		'revision_count', (SELECT count(*) FROM proposal_revisions r WHERE r.proposal_id = p.id),
		'attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM attachments f WHERE f.proposal_id = p.id), '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION proposal_json(proposals) IS 'The full API view of a proposal, for those allowed to see it (author, helping volunteer, the ward''s leaders).';

-- As sql/020, and without the consents in any panel view: a panel has no use for them.
CREATE OR REPLACE FUNCTION proposal_panel_json(p proposals, blind boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN blind THEN
		(proposal_json(p) - 'author' - 'helped_by' - 'attachments' - 'created_at' - 'updated_at' - 'withdrawn_at'
			- 'publish_photos' - 'publish_photos_at' - 'publish_contact' - 'publish_contact_at'
			- CASE WHEN (SELECT c.blind_shows_group FROM campaigns c WHERE c.id = p.campaign_id)
				THEN ARRAY[]::text[] ELSE ARRAY['group_id', 'group_name'] END)
		|| jsonb_build_object('attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id,
			'filename', 'tep-' || row_number || CASE f.mime WHEN 'image/jpeg' THEN '.jpg' WHEN 'image/png' THEN '.png'
				WHEN 'image/webp' THEN '.webp' ELSE '.pdf' END,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM (SELECT *, row_number() OVER (ORDER BY id) FROM attachments WHERE proposal_id = p.id) f), '[]'))
	ELSE proposal_json(p) - 'publish_photos' - 'publish_photos_at' - 'publish_contact' - 'publish_contact_at' END
$$;
COMMENT ON FUNCTION proposal_panel_json(proposals, boolean) IS 'The proposal as a panelist sees it; with blind review no name, account or original file name of the author or helper, and no residential group unless the call''s blind_shows_group says so. Never the publication consents.';

-- Gives or withdraws the two consents. Giving one (or keeping one given) needs the proposal to be
-- editable (not withdrawn, call accepting proposals); withdrawing one is always possible, also after
-- publication: the photos stop being served at once. A consent kept keeps the time it was given.
CREATE FUNCTION proposal_publicity_set(pid bigint, actor bigint, now timestamptz, v_photos boolean,
	v_contact boolean, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	old proposals;
	c campaigns;
	p proposals;
BEGIN
	SELECT * INTO old FROM proposals WHERE id = pid FOR UPDATE;
	IF NOT FOUND OR actor NOT IN (old.author_id, coalesce(old.helped_by, -1)) OR NOT proposal_actor_ok(pid, actor) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	IF (v_photos AND old.photos_public_at IS NULL) OR (v_contact AND old.contact_public_at IS NULL) THEN
		IF old.status = 'withdrawn' THEN
			PERFORM rule('proposal_withdrawn');
		END IF;
		SELECT * INTO c FROM campaigns WHERE id = old.campaign_id;
		IF NOT campaign_accepting(c, now) THEN
			PERFORM rule('campaign_not_accepting');
		END IF;
	END IF;
	UPDATE proposals SET
		photos_public_at = CASE WHEN v_photos THEN coalesce(photos_public_at, now) END,
		contact_public_at = CASE WHEN v_contact THEN coalesce(contact_public_at, now) END
	WHERE id = pid RETURNING * INTO p;
	IF (old.photos_public_at IS NULL) = v_photos OR (old.contact_public_at IS NULL) = v_contact THEN
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
		VALUES (actor, p.ward_id, 'proposal_publicity_changed', 'proposal:' || p.id, ip,
			jsonb_build_object('photos', v_photos, 'contact', v_contact,
				'photos_before', old.photos_public_at IS NOT NULL, 'contact_before', old.contact_public_at IS NOT NULL));
	END IF;
	RETURN proposal_json(p);
END
$$;
COMMENT ON FUNCTION proposal_publicity_set(bigint, bigint, timestamptz, boolean, boolean, inet) IS 'Sets the consents to publish the photos and the contact of proposal pid (author, or the helping volunteer holding the role). Giving a consent needs the proposal editable (rules proposal_withdrawn, campaign_not_accepting); withdrawing never does. Audited proposal_publicity_changed when something changed.';

-- The one rule for a public photo: a photo (not a PDF) of a submitted proposal whose author
-- consented, that holds an award in the newest published decision of a published call. An author
-- who deleted their account (DELETE /me) has withdrawn every consent with it.
CREATE FUNCTION proposal_photos_public(pid bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM proposals p JOIN campaigns c ON c.id = p.campaign_id
		JOIN models m ON m.proposal_id = p.id
		WHERE p.id = pid AND p.status = 'submitted' AND p.photos_public_at IS NOT NULL
			AND c.state = 'published' AND m.award IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = p.author_id))
$$;
COMMENT ON FUNCTION proposal_photos_public(bigint) IS 'True when the photos of proposal pid may be served publicly: a published winner (award in the catalogue) whose author consented and has not deleted their account.';

-- What the public pages show of a winner beside the decision: its photos (only under
-- proposal_photos_public, only those with both derived sizes) and a contact (the author's name and
-- phone with their consent, else the ward's). URLs carry the first 32 hex digits of the photo's
-- SHA-256, so a new photo gets a new URL and an old one can be cached for ever.
-- PL/pgSQL so that its body is checked when it runs: attachment_sizes comes with sql/030, applied after.
CREATE FUNCTION proposal_showcase(pid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT jsonb_build_object(
		'photos', CASE WHEN proposal_photos_public(p.id) THEN coalesce((SELECT jsonb_agg(jsonb_build_object(
				'id', f.id,
				'src_320', '/api/v1/public/photos/' || f.id || '-' || left(f.sha256, 32) || '.webp?size=320',
				'src_1024', '/api/v1/public/photos/' || f.id || '-' || left(f.sha256, 32) || '.webp?size=1024')
				ORDER BY f.id)
			FROM attachments f WHERE f.proposal_id = p.id AND f.mime LIKE 'image/%'
				AND (SELECT count(*) FROM attachment_sizes z WHERE z.attachment_id = f.id) = 2), '[]'::jsonb)
			ELSE '[]'::jsonb END,
		'contact', CASE WHEN p.contact_public_at IS NOT NULL AND a.login_kind = 'phone'
				AND NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = a.id)
			THEN jsonb_build_object('kind', 'author', 'name', a.display_name, 'phone', a.login, 'ward_name', w.name)
			ELSE jsonb_build_object('kind', 'ward', 'name', w.name, 'details', w.public_contact) END)
	FROM proposals p JOIN accounts a ON a.id = p.author_id JOIN wards w ON w.id = p.ward_id WHERE p.id = pid);
END
$$;
COMMENT ON FUNCTION proposal_showcase(bigint) IS 'Public photos and contact of proposal pid for the results, catalogue and model pages: {"photos": [{id, src_320, src_1024}], "contact": {kind author|ward, …}}.';

-- What another ward needs to copy a model, beside model_json: the problem, the cost, what it needs,
-- households reached (as submitted; a proposal cannot change after its deadline), photos, contact.
CREATE FUNCTION model_showcase(m models) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('proposal_id', p.id, 'problem', p.problem, 'resources', p.resources,
			'households', p.households, 'cost_vnd', p.cost_vnd, 'beneficiaries', p.beneficiaries)
		|| proposal_showcase(p.id)
	FROM proposals p WHERE p.id = m.proposal_id
$$;
COMMENT ON FUNCTION model_showcase(models) IS 'The public parts of a model''s proposal for the catalogue and model pages (with proposal_showcase''s photos and contact).';

-- The ward's public contact, set by a leader or an admin of the ward, audited.
CREATE FUNCTION ward_public_contact_set(wid bigint, actor bigint, v_contact text, ip inet) RETURNS boolean
	LANGUAGE plpgsql AS $$
DECLARE
	before text;
BEGIN
	SELECT public_contact INTO before FROM wards WHERE id = wid FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	UPDATE wards SET public_contact = v_contact WHERE id = wid;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, wid, 'ward_public_contact_changed', 'ward:' || wid, ip,
		jsonb_build_object('from', before, 'to', v_contact));
	RETURN true;
END
$$;
COMMENT ON FUNCTION ward_public_contact_set(bigint, bigint, text, inet) IS 'Sets the ward''s public contact (false: no such ward), audited ward_public_contact_changed.';
