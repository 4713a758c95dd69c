-- Views (JSON) of campaigns and proposals, and the proposal writes as functions:
-- each write, its rule checks and its audit row run in one round trip and one
-- transaction. A refused write raises SQLSTATE P0001 with a stable code as the
-- message (campaign_not_accepting, version_conflict, ...), which the server
-- turns into the matching HTTP error.

CREATE FUNCTION iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

CREATE FUNCTION campaign_json(c campaigns, now timestamptz) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', c.id, 'ward_id', c.ward_id, 'ward_code', w.code, 'ward_name', w.name,
		'title', c.title, 'description', c.description, 'rules', c.rules,
		'opens_at', iso(c.opens_at), 'closes_at', iso(c.closes_at),
		'blind_review', c.blind_review, 'reviews_required', c.reviews_required,
		'ranking_method', c.ranking_method, 'state', c.state, 'config_digest', c.config_digest,
		'accepting', c.state = 'open' AND now >= c.opens_at AND now < c.closes_at,
		'proposal_count', (SELECT count(*) FROM proposals p WHERE p.campaign_id = c.id AND p.status = 'submitted'),
		'criteria', coalesce((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'position', k.position,
			'name', k.name, 'description', k.description, 'weight', k.weight, 'max_score', k.max_score)
			ORDER BY k.position) FROM criteria k WHERE k.campaign_id = c.id), '[]'::jsonb))
	FROM wards w WHERE w.id = c.ward_id
$$;
COMMENT ON FUNCTION campaign_json(campaigns, timestamptz) IS 'The API view of a campaign at time now.';

CREATE FUNCTION proposal_json(p proposals) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
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
		'revision_count', (SELECT count(*) FROM proposal_revisions r WHERE r.proposal_id = p.id),
		'attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM attachments f WHERE f.proposal_id = p.id), '[]'::jsonb))
$$;
COMMENT ON FUNCTION proposal_json(proposals) IS 'The full API view of a proposal, for those allowed to see it (author, helping volunteer, the ward''s leaders).';

CREATE FUNCTION rule(code text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = code;
END
$$;

CREATE FUNCTION campaign_accepting(c campaigns, now timestamptz) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT c.state = 'open' AND now >= c.opens_at AND now < c.closes_at
$$;
COMMENT ON FUNCTION campaign_accepting(campaigns, timestamptz) IS 'Same rule as sk_campaign_accepting in src/domain/campaign.c: open, and opens_at <= now < closes_at.';

CREATE FUNCTION next_tracking_code(ward bigint, now timestamptz) RETURNS text LANGUAGE sql AS $$
	SELECT w.code || '-' || to_char(now AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '-'
		|| lpad(nextval('tracking_seq')::text, 4, '0')
	FROM wards w WHERE w.id = ward
$$;

-- Creates a proposal (draft, or submitted when submit) in campaign cid for author,
-- submitted by helper (a volunteer, with consent) when helper is not NULL.
CREATE FUNCTION proposal_create(cid bigint, author bigint, helper bigint, consent_version text, now timestamptz,
	submit boolean, v_group bigint, v_title text, v_summary text, v_problem text, v_model text,
	v_beneficiaries text, v_households integer, v_resources text, v_cost bigint, v_tags text[],
	v_search text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	p proposals;
	consent bigint;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR SHARE;
	IF NOT FOUND OR c.state = 'draft' THEN
		PERFORM rule('campaign_not_found');
	END IF;
	IF NOT campaign_accepting(c, now) THEN
		PERFORM rule('campaign_not_accepting');
	END IF;
	IF helper IS NULL THEN
		IF NOT EXISTS (SELECT 1 FROM role_grants WHERE account_id = author AND ward_id = c.ward_id) THEN
			PERFORM rule('not_in_ward');
		END IF;
	ELSE
		IF NOT EXISTS (SELECT 1 FROM role_grants WHERE account_id = helper AND ward_id = c.ward_id AND role = 'volunteer') THEN
			PERFORM rule('not_volunteer');
		END IF;
		IF NOT EXISTS (SELECT 1 FROM role_grants WHERE account_id = author AND ward_id = c.ward_id AND role = 'resident') THEN
			PERFORM rule('resident_not_in_ward');
		END IF;
		INSERT INTO consents (ward_id, resident_id, volunteer_id, text_version, consented_at)
			VALUES (c.ward_id, author, helper, consent_version, now) RETURNING id INTO consent;
	END IF;
	INSERT INTO proposals (ward_id, campaign_id, author_id, helped_by, consent_id, group_id, status,
		tracking_code, title, summary, problem, model, beneficiaries, households, resources, cost_vnd,
		tags, search_text, created_at, updated_at, submitted_at)
	VALUES (c.ward_id, c.id, author, helper, consent, v_group,
		CASE WHEN submit THEN 'submitted' ELSE 'draft' END,
		CASE WHEN submit THEN next_tracking_code(c.ward_id, now) END,
		v_title, coalesce(v_summary, ''), coalesce(v_problem, ''), coalesce(v_model, ''),
		coalesce(v_beneficiaries, ''), v_households, coalesce(v_resources, ''), v_cost,
		coalesce(v_tags, '{}'), v_search, now, now, CASE WHEN submit THEN now END)
	RETURNING * INTO p;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (coalesce(helper, author), c.ward_id,
		CASE WHEN submit THEN 'proposal_submitted' ELSE 'proposal_drafted' END,
		'proposal:' || p.id, ip,
		jsonb_build_object('author', author, 'helped_by', helper, 'consent_id', consent,
			'tracking_code', p.tracking_code));
	RETURN proposal_json(p);
END
$$;

-- Replaces the editable fields of proposal pid (author or helper only) when its
-- version is v_version and its campaign still accepts; keeps the previous content
-- of a submitted proposal as a revision.
CREATE FUNCTION proposal_update(pid bigint, actor bigint, now timestamptz, v_version integer,
	v_group bigint, v_title text, v_summary text, v_problem text, v_model text,
	v_beneficiaries text, v_households integer, v_resources text, v_cost bigint, v_tags text[],
	v_search text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	old proposals;
	c campaigns;
	p proposals;
BEGIN
	SELECT * INTO old FROM proposals WHERE id = pid FOR UPDATE;
	IF NOT FOUND OR actor NOT IN (old.author_id, coalesce(old.helped_by, -1)) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = old.campaign_id;
	IF old.status = 'withdrawn' THEN
		PERFORM rule('proposal_withdrawn');
	END IF;
	IF NOT campaign_accepting(c, now) THEN
		PERFORM rule('campaign_not_accepting');
	END IF;
	IF old.version <> v_version THEN
		PERFORM rule('version_conflict');
	END IF;
	IF old.status = 'submitted' THEN
		INSERT INTO proposal_revisions (ward_id, proposal_id, version, content, edited_by, edited_at)
		VALUES (old.ward_id, old.id, old.version, jsonb_build_object('group_id', old.group_id,
			'title', old.title, 'summary', old.summary, 'problem', old.problem, 'model', old.model,
			'beneficiaries', old.beneficiaries, 'households', old.households, 'resources', old.resources,
			'cost_vnd', old.cost_vnd, 'tags', to_jsonb(old.tags), 'updated_at', iso(old.updated_at)),
			actor, now);
	END IF;
	UPDATE proposals SET group_id = v_group, title = v_title, summary = v_summary, problem = v_problem,
		model = v_model, beneficiaries = v_beneficiaries, households = v_households,
		resources = v_resources, cost_vnd = v_cost, tags = v_tags, search_text = v_search,
		version = version + 1, updated_at = now
	WHERE id = pid RETURNING * INTO p;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, p.ward_id, 'proposal_edited', 'proposal:' || p.id, ip,
		jsonb_build_object('version', p.version, 'status', p.status));
	RETURN proposal_json(p);
END
$$;

-- Moves proposal pid to submitted (from draft) or withdrawn (from draft or submitted).
CREATE FUNCTION proposal_set_status(pid bigint, actor bigint, now timestamptz, target text, ip inet)
	RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	old proposals;
	c campaigns;
	p proposals;
BEGIN
	SELECT * INTO old FROM proposals WHERE id = pid FOR UPDATE;
	IF NOT FOUND OR actor NOT IN (old.author_id, coalesce(old.helped_by, -1)) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = old.campaign_id;
	IF NOT campaign_accepting(c, now) THEN
		PERFORM rule('campaign_not_accepting');
	END IF;
	IF target = 'submitted' THEN
		IF old.status <> 'draft' THEN
			PERFORM rule('proposal_not_draft');
		END IF;
		IF old.group_id IS NULL OR old.summary = '' OR old.problem = '' OR old.model = ''
			OR old.beneficiaries = '' OR old.households IS NULL OR old.cost_vnd IS NULL THEN
			PERFORM rule('proposal_incomplete');
		END IF;
		UPDATE proposals SET status = 'submitted', tracking_code = coalesce(tracking_code, next_tracking_code(ward_id, now)),
			submitted_at = now, updated_at = now, version = version + 1
		WHERE id = pid RETURNING * INTO p;
	ELSIF target = 'withdrawn' THEN
		IF old.status = 'withdrawn' THEN
			PERFORM rule('proposal_withdrawn');
		END IF;
		UPDATE proposals SET status = 'withdrawn', withdrawn_at = now, updated_at = now, version = version + 1,
			tracking_code = coalesce(tracking_code, next_tracking_code(ward_id, now))
		WHERE id = pid RETURNING * INTO p;
	ELSE
		RAISE EXCEPTION 'unknown target status %', target;
	END IF;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, p.ward_id, CASE WHEN target = 'submitted' THEN 'proposal_submitted' ELSE 'proposal_withdrawn' END,
		'proposal:' || p.id, ip, jsonb_build_object('tracking_code', p.tracking_code));
	RETURN proposal_json(p);
END
$$;

-- Attachments: only the author or the helping volunteer, only while the campaign accepts, at most 5.
CREATE FUNCTION attachment_add(pid bigint, actor bigint, now timestamptz, v_filename text, v_mime text,
	v_content bytea, v_size integer, v_sha256 text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p proposals;
	c campaigns;
	f attachments;
BEGIN
	SELECT * INTO p FROM proposals WHERE id = pid FOR UPDATE;
	IF NOT FOUND OR actor NOT IN (p.author_id, coalesce(p.helped_by, -1)) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	IF p.status = 'withdrawn' THEN
		PERFORM rule('proposal_withdrawn');
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p.campaign_id;
	IF NOT campaign_accepting(c, now) THEN
		PERFORM rule('campaign_not_accepting');
	END IF;
	IF (SELECT count(*) FROM attachments WHERE proposal_id = pid) >= 5 THEN
		PERFORM rule('too_many_attachments');
	END IF;
	INSERT INTO attachments (ward_id, proposal_id, filename, mime, size, sha256, content, uploaded_by)
	VALUES (p.ward_id, pid, v_filename, v_mime, v_size, v_sha256, v_content, actor) RETURNING * INTO f;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, p.ward_id, 'attachment_added', 'proposal:' || pid, ip,
		jsonb_build_object('attachment', f.id, 'mime', v_mime, 'size', v_size, 'sha256', v_sha256));
	RETURN jsonb_build_object('id', f.id, 'filename', f.filename, 'mime', f.mime, 'size', f.size, 'sha256', f.sha256);
END
$$;

CREATE FUNCTION attachment_delete(aid bigint, actor bigint, now timestamptz, ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
DECLARE
	f attachments;
	p proposals;
	c campaigns;
BEGIN
	SELECT * INTO f FROM attachments WHERE id = aid;
	IF NOT FOUND THEN
		PERFORM rule('attachment_not_found');
	END IF;
	SELECT * INTO p FROM proposals WHERE id = f.proposal_id FOR UPDATE;
	IF actor NOT IN (p.author_id, coalesce(p.helped_by, -1)) THEN
		PERFORM rule('attachment_not_found');
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p.campaign_id;
	IF NOT campaign_accepting(c, now) THEN
		PERFORM rule('campaign_not_accepting');
	END IF;
	DELETE FROM attachments WHERE id = aid;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, p.ward_id, 'attachment_deleted', 'proposal:' || p.id, ip, jsonb_build_object('attachment', aid));
END
$$;

-- A volunteer meets a resident: find their account by phone, or create one (no password yet).
CREATE FUNCTION resident_find_or_create(volunteer bigint, ward bigint, grp bigint, phone text, name text, ip inet)
	RETURNS TABLE (id bigint, display_name text, created boolean) LANGUAGE plpgsql AS $$
DECLARE
	a accounts;
BEGIN
	SELECT * INTO a FROM accounts WHERE login = phone;
	IF FOUND THEN
		IF NOT EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = a.id AND r.ward_id = ward AND r.role = 'resident') THEN
			INSERT INTO role_grants (account_id, ward_id, role, group_id, granted_by) VALUES (a.id, ward, 'resident', grp, volunteer);
		END IF;
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
		VALUES (volunteer, ward, 'resident_found_by_volunteer', 'account:' || a.id, ip);
		RETURN QUERY SELECT a.id, a.display_name, false;
		RETURN;
	END IF;
	INSERT INTO accounts (login, login_kind, display_name) VALUES (phone, 'phone', name) RETURNING * INTO a;
	INSERT INTO role_grants (account_id, ward_id, role, group_id, granted_by) VALUES (a.id, ward, 'resident', grp, volunteer);
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
	VALUES (volunteer, ward, 'resident_created_by_volunteer', 'account:' || a.id, ip);
	RETURN QUERY SELECT a.id, a.display_name, true;
END
$$;

-- Everything the system holds about a person (Viet Nam's personal-data-protection rules).
CREATE FUNCTION personal_export(aid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'exported_at', iso(now()),
		'account', (SELECT jsonb_build_object('id', a.id, 'login', a.login, 'login_kind', a.login_kind,
			'display_name', a.display_name, 'created_at', iso(a.created_at)) FROM accounts a WHERE a.id = aid),
		'roles', coalesce((SELECT jsonb_agg(jsonb_build_object('ward_id', r.ward_id, 'role', r.role,
			'group_id', r.group_id, 'granted_at', iso(r.granted_at))) FROM role_grants r WHERE r.account_id = aid), '[]'),
		'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('created_at', iso(s.created_at),
			'last_seen_at', iso(s.last_seen_at), 'ended_at', iso(s.ended_at), 'ip', host(s.ip)) ORDER BY s.id)
			FROM sessions s WHERE s.account_id = aid), '[]'),
		'proposals', coalesce((SELECT jsonb_agg(proposal_json(p) || jsonb_build_object('revisions',
			coalesce((SELECT jsonb_agg(jsonb_build_object('version', v.version, 'content', v.content,
				'edited_at', iso(v.edited_at)) ORDER BY v.version) FROM proposal_revisions v
				WHERE v.proposal_id = p.id), '[]')) ORDER BY p.id)
			FROM proposals p WHERE p.author_id = aid OR p.helped_by = aid), '[]'),
		'consents', coalesce((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'resident_id', k.resident_id,
			'volunteer_id', k.volunteer_id, 'text_version', k.text_version, 'consented_at', iso(k.consented_at)))
			FROM consents k WHERE k.resident_id = aid OR k.volunteer_id = aid), '[]'),
		'audit_events', coalesce((SELECT jsonb_agg(jsonb_build_object('at', iso(l.at), 'action', l.action,
			'subject', l.subject, 'ip', host(l.ip)) ORDER BY l.id)
			FROM audit_log l WHERE l.actor_account_id = aid OR l.subject = 'account:' || aid
			OR l.subject = (SELECT login FROM accounts WHERE id = aid)), '[]'))
$$;

-- Erases a person's personal data: the account row is anonymised, sessions end, proposals stay.
CREATE FUNCTION personal_delete(aid bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	UPDATE accounts SET login = 'deleted-' || id || '@deleted.invalid', login_kind = 'email',
		display_name = 'Tài khoản đã xoá', password_hash = NULL WHERE id = aid;
	UPDATE sessions SET ended_at = now WHERE account_id = aid AND ended_at IS NULL;
	UPDATE sessions SET ip = NULL WHERE account_id = aid;
	DELETE FROM role_grants WHERE account_id = aid AND role <> 'resident';
	INSERT INTO account_deletions (account_id, deleted_at) VALUES (aid, now);
	INSERT INTO audit_log (actor_account_id, action, subject, ip) VALUES (aid, 'account_deleted', 'account:' || aid, ip);
END
$$;
