-- The appraisal panel: panelists of a campaign, conflicts of interest, assignments,
-- reviews with one score per criterion, and the hash-chained score record.

ALTER TABLE campaigns ADD COLUMN panel_locked_at timestamptz,
	ADD COLUMN panel_lock_note text CHECK (char_length(panel_lock_note) <= 2000);
COMMENT ON COLUMN campaigns.panel_locked_at IS 'When the leader locked the panel: no review changes after it.';

CREATE TABLE panelists (
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	account_id bigint NOT NULL REFERENCES accounts (id),
	added_by bigint REFERENCES accounts (id),
	added_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, account_id),
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id)
);
COMMENT ON TABLE panelists IS 'Members of a campaign''s appraisal panel (tổ thẩm định): accounts holding the panelist role in the ward.';

CREATE TABLE declared_conflicts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	proposal_id bigint NOT NULL REFERENCES proposals (id),
	panelist_id bigint NOT NULL REFERENCES accounts (id),
	reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
	declared_at timestamptz NOT NULL,
	UNIQUE (proposal_id, panelist_id)
);
COMMENT ON TABLE declared_conflicts IS 'Conflicts of interest a panelist declared, with the reason.';

-- Every conflict, automatic or declared. A conflicted panelist never sees or scores the proposal.
CREATE VIEW panel_conflicts AS
	SELECT pn.campaign_id, p.id AS proposal_id, pn.account_id AS panelist_id, 'author'::text AS kind, NULL::text AS reason
		FROM panelists pn JOIN proposals p ON p.campaign_id = pn.campaign_id AND p.author_id = pn.account_id
	UNION ALL
	SELECT pn.campaign_id, p.id, pn.account_id, 'helper', NULL
		FROM panelists pn JOIN proposals p ON p.campaign_id = pn.campaign_id AND p.helped_by = pn.account_id
	UNION ALL
	SELECT pn.campaign_id, p.id, pn.account_id, 'same_group', NULL
		FROM panelists pn JOIN proposals p ON p.campaign_id = pn.campaign_id
		JOIN role_grants g ON g.account_id = pn.account_id AND g.ward_id = p.ward_id AND g.group_id = p.group_id
	UNION ALL
	SELECT d.campaign_id, d.proposal_id, d.panelist_id, 'declared', d.reason FROM declared_conflicts d;
COMMENT ON VIEW panel_conflicts IS 'Conflicts of interest: the panelist wrote the proposal, helped submit it, lives in its residential group, or declared one.';

CREATE TABLE assignments (
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	proposal_id bigint NOT NULL REFERENCES proposals (id),
	panelist_id bigint NOT NULL,
	assigned_by bigint REFERENCES accounts (id),
	assigned_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (proposal_id, panelist_id),
	FOREIGN KEY (campaign_id, panelist_id) REFERENCES panelists (campaign_id, account_id)
);
COMMENT ON TABLE assignments IS 'Which panelist reviews which proposal.';
CREATE INDEX assignments_panelist ON assignments (panelist_id, campaign_id);

CREATE TABLE reviews (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	proposal_id bigint NOT NULL REFERENCES proposals (id),
	panelist_id bigint NOT NULL REFERENCES accounts (id),
	status text NOT NULL CHECK (status IN ('draft', 'submitted')),
	overall_comment text NOT NULL DEFAULT '' CHECK (char_length(overall_comment) <= 4000),
	version integer NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	submitted_at timestamptz,
	UNIQUE (proposal_id, panelist_id),
	CHECK (status = 'draft' OR (overall_comment <> '' AND submitted_at IS NOT NULL))
);
COMMENT ON TABLE reviews IS 'One panelist''s review of one proposal: a draft until submitted, revisable with a reason until the panel is locked. version guards against lost updates.';

CREATE TABLE review_scores (
	review_id bigint NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
	criterion_id bigint NOT NULL REFERENCES criteria (id),
	score integer NOT NULL CHECK (score >= 0),
	comment text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
	PRIMARY KEY (review_id, criterion_id)
);
COMMENT ON TABLE review_scores IS 'The integer score (0..criterion max) and optional comment per criterion of a review.';

CREATE TABLE score_chains (
	campaign_id bigint PRIMARY KEY REFERENCES campaigns (id),
	head text NOT NULL CHECK (head ~ '^[0-9a-f]{64}$'),
	length bigint NOT NULL
);
COMMENT ON TABLE score_chains IS 'The newest hash of each campaign''s score record, and its length.';

CREATE TABLE score_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	seq bigint NOT NULL CHECK (seq >= 1),
	review_id bigint NOT NULL REFERENCES reviews (id),
	kind text NOT NULL CHECK (kind IN ('submit', 'revise')),
	content text NOT NULL,
	prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
	hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
	at timestamptz NOT NULL,
	UNIQUE (campaign_id, seq)
);
COMMENT ON TABLE score_events IS 'Append-only, hash-chained record of every review submission and revision: hash = SHA-256(prev_hash || LF || content), content the canonical text of the review. The server''s database role may only read and insert.';

CREATE TRIGGER score_events_no_update BEFORE UPDATE OR DELETE ON score_events
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER score_events_no_truncate BEFORE TRUNCATE ON score_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- One line of canonical text: backslash and line breaks escaped.
CREATE FUNCTION canon(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(coalesce(t, ''), '\', '\\'), E'\n', '\n'), E'\r', '\r')
$$;

-- The canonical text of a review at this moment, for the score record.
CREATE FUNCTION review_canonical(r reviews, kind text, reason text, at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT 'sangkien-score-v1' || E'\n'
		|| 'campaign=' || r.campaign_id || E'\n' || 'proposal=' || r.proposal_id || E'\n'
		|| 'panelist=' || r.panelist_id || E'\n' || 'review=' || r.id || E'\n'
		|| 'kind=' || kind || E'\n' || 'version=' || r.version || E'\n' || 'at=' || iso(at) || E'\n'
		|| coalesce((SELECT string_agg('score=' || s.criterion_id || '|' || s.score || '|' || canon(s.comment), E'\n'
			ORDER BY s.criterion_id) FROM review_scores s WHERE s.review_id = r.id), '') || E'\n'
		|| 'comment=' || canon(r.overall_comment) || E'\n'
		|| 'reason=' || canon(reason)
$$;

-- Appends one event to the campaign's score record, under the chain's row lock.
CREATE FUNCTION score_event_append(r reviews, kind text, reason text, at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	prev text;
	n bigint;
	body text := review_canonical(r, kind, reason, at);
	h text;
BEGIN
	INSERT INTO score_chains (campaign_id, head, length) VALUES (r.campaign_id, repeat('0', 64), 0)
		ON CONFLICT (campaign_id) DO NOTHING;
	SELECT head, length INTO prev, n FROM score_chains WHERE campaign_id = r.campaign_id FOR UPDATE;
	h := encode(sha256(convert_to(prev || E'\n' || body, 'UTF8')), 'hex');
	INSERT INTO score_events (campaign_id, ward_id, seq, review_id, kind, content, prev_hash, hash, at)
		VALUES (r.campaign_id, r.ward_id, n + 1, r.id, kind, body, prev, h, at);
	UPDATE score_chains SET head = h, length = n + 1 WHERE campaign_id = r.campaign_id;
	RETURN h;
END
$$;

-- Saves a panelist's review of a proposal: a draft, a submission, or (after submission) a revision
-- with a reason. scores is [{"criterion_id":…, "score":…, "comment":…}, …] covering every criterion.
CREATE FUNCTION review_save(pid bigint, panelist bigint, now timestamptz, v_version integer, scores jsonb,
	v_comment text, submit boolean, reason text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p proposals;
	c campaigns;
	r reviews;
	k record;
	item jsonb;
	kind text;
	revising boolean;
BEGIN
	SELECT * INTO p FROM proposals WHERE id = pid;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.proposal_id = pid AND a.panelist_id = panelist)
		OR EXISTS (SELECT 1 FROM panel_conflicts x WHERE x.proposal_id = pid AND x.panelist_id = panelist) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p.campaign_id;
	IF c.state <> 'appraisal' OR c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_locked');
	END IF;
	SELECT * INTO r FROM reviews WHERE proposal_id = pid AND panelist_id = panelist FOR UPDATE;
	IF FOUND THEN
		IF r.version <> v_version THEN
			PERFORM rule('version_conflict');
		END IF;
	ELSIF v_version <> 0 THEN
		PERFORM rule('version_conflict');
	END IF;
	revising := FOUND AND r.status = 'submitted';
	IF revising AND NOT submit THEN
		PERFORM rule('already_submitted');
	END IF;
	IF revising AND coalesce(reason, '') = '' THEN
		PERFORM rule('reason_required');
	END IF;
	IF submit AND coalesce(v_comment, '') = '' THEN
		PERFORM rule('comment_required');
	END IF;
	-- Scores: every criterion of the campaign exactly once (drafts may leave some out), 0..max.
	IF jsonb_typeof(scores) <> 'array' THEN
		PERFORM rule('invalid_scores');
	END IF;
	FOR item IN SELECT * FROM jsonb_array_elements(scores) LOOP
		IF jsonb_typeof(item -> 'criterion_id') <> 'number' OR jsonb_typeof(item -> 'score') <> 'number'
			OR NOT EXISTS (SELECT 1 FROM criteria k2 WHERE k2.id = (item ->> 'criterion_id')::bigint
				AND k2.campaign_id = c.id AND (item ->> 'score')::numeric BETWEEN 0 AND k2.max_score
				AND (item ->> 'score')::numeric = trunc((item ->> 'score')::numeric)) THEN
			PERFORM rule('invalid_scores');
		END IF;
	END LOOP;
	IF (SELECT count(DISTINCT e ->> 'criterion_id') FROM jsonb_array_elements(scores) e) <> jsonb_array_length(scores)
		OR (submit AND jsonb_array_length(scores) <> (SELECT count(*) FROM criteria WHERE campaign_id = c.id)) THEN
		PERFORM rule('invalid_scores');
	END IF;
	IF r.id IS NULL THEN
		INSERT INTO reviews (campaign_id, ward_id, proposal_id, panelist_id, status, overall_comment, version,
			created_at, updated_at, submitted_at)
		VALUES (c.id, c.ward_id, pid, panelist, CASE WHEN submit THEN 'submitted' ELSE 'draft' END,
			coalesce(v_comment, ''), 1, now, now, CASE WHEN submit THEN now END)
		RETURNING * INTO r;
	ELSE
		UPDATE reviews SET status = CASE WHEN submit THEN 'submitted' ELSE 'draft' END,
			overall_comment = coalesce(v_comment, ''), version = version + 1, updated_at = now,
			submitted_at = CASE WHEN submit THEN now ELSE submitted_at END
		WHERE id = r.id RETURNING * INTO r;
		DELETE FROM review_scores WHERE review_id = r.id;
	END IF;
	INSERT INTO review_scores (review_id, criterion_id, score, comment)
		SELECT r.id, (e ->> 'criterion_id')::bigint, (e ->> 'score')::integer, coalesce(e ->> 'comment', '')
		FROM jsonb_array_elements(scores) e;
	IF submit THEN
		kind := CASE WHEN revising THEN 'revise' ELSE 'submit' END;
		PERFORM score_event_append(r, kind, CASE WHEN revising THEN reason END, now);
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
		VALUES (panelist, c.ward_id, 'review_' || kind, 'proposal:' || pid, ip, jsonb_build_object('review', r.id, 'version', r.version));
	END IF;
	RETURN review_json(r);
END
$$;

CREATE FUNCTION review_json(r reviews) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', r.id, 'proposal_id', r.proposal_id, 'status', r.status,
		'overall_comment', r.overall_comment, 'version', r.version, 'updated_at', iso(r.updated_at),
		'submitted_at', iso(r.submitted_at),
		'scores', coalesce((SELECT jsonb_agg(jsonb_build_object('criterion_id', s.criterion_id, 'score', s.score,
			'comment', s.comment) ORDER BY s.criterion_id) FROM review_scores s WHERE s.review_id = r.id), '[]'))
$$;

-- The database role the server works as: it may read and write the application's tables, but only
-- read and append the audit log and the score record.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sangkien_app') THEN
		CREATE ROLE sangkien_app NOLOGIN;
	END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO sangkien_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO sangkien_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sangkien_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, score_events, schema_migrations FROM sangkien_app;
REVOKE INSERT ON schema_migrations FROM sangkien_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO sangkien_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO sangkien_app;

-- What a panelist may see of a proposal: in blind mode nothing that identifies its author or helper.
CREATE FUNCTION proposal_panel_json(p proposals, blind boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN blind THEN
		(proposal_json(p) - 'author' - 'helped_by' - 'attachments' - 'created_at' - 'updated_at' - 'withdrawn_at')
		|| jsonb_build_object('attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id,
			'filename', 'tep-' || row_number || CASE f.mime WHEN 'image/jpeg' THEN '.jpg' WHEN 'image/png' THEN '.png'
				WHEN 'image/webp' THEN '.webp' ELSE '.pdf' END,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM (SELECT *, row_number() OVER (ORDER BY id) FROM attachments WHERE proposal_id = p.id) f), '[]'))
	ELSE proposal_json(p) END
$$;
COMMENT ON FUNCTION proposal_panel_json(proposals, boolean) IS 'The proposal as a panelist sees it; with blind review no name, account or original file name of the author or helper.';

CREATE FUNCTION panel_set(cid bigint, actor bigint, ids bigint[], ip inet) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	IF c.state NOT IN ('closed', 'appraisal') OR c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_frozen');
	END IF;
	IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE NOT EXISTS (SELECT 1 FROM role_grants g
		WHERE g.account_id = i AND g.ward_id = c.ward_id AND g.role = 'panelist')) THEN
		PERFORM rule('not_panelist');
	END IF;
	IF EXISTS (SELECT 1 FROM reviews r WHERE r.campaign_id = cid AND r.panelist_id <> ALL (ids)) THEN
		PERFORM rule('panelist_has_reviews');
	END IF;
	DELETE FROM assignments WHERE campaign_id = cid AND panelist_id <> ALL (ids);
	DELETE FROM panelists WHERE campaign_id = cid AND account_id <> ALL (ids);
	INSERT INTO panelists (campaign_id, ward_id, account_id, added_by)
		SELECT cid, c.ward_id, i, actor FROM unnest(ids) i ON CONFLICT DO NOTHING;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, 'panel_set', 'campaign:' || cid, ip, jsonb_build_object('panelists', to_jsonb(ids)));
END
$$;

CREATE FUNCTION conflict_declare(pid bigint, panelist bigint, v_reason text, now timestamptz, ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
DECLARE
	p proposals;
BEGIN
	SELECT * INTO p FROM proposals WHERE id = pid;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM panelists WHERE campaign_id = p.campaign_id AND account_id = panelist)
		OR p.status <> 'submitted' THEN
		PERFORM rule('proposal_not_found');
	END IF;
	IF EXISTS (SELECT 1 FROM reviews WHERE proposal_id = pid AND panelist_id = panelist AND status = 'submitted') THEN
		PERFORM rule('already_submitted');
	END IF;
	INSERT INTO declared_conflicts (campaign_id, ward_id, proposal_id, panelist_id, reason, declared_at)
		VALUES (p.campaign_id, p.ward_id, pid, panelist, v_reason, now)
		ON CONFLICT (proposal_id, panelist_id) DO UPDATE SET reason = excluded.reason;
	DELETE FROM reviews WHERE proposal_id = pid AND panelist_id = panelist AND status = 'draft';
	DELETE FROM assignments WHERE proposal_id = pid AND panelist_id = panelist;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip)
		VALUES (panelist, p.ward_id, 'conflict_declared', 'proposal:' || pid, ip);
END
$$;

CREATE FUNCTION assignments_replace(cid bigint, actor bigint, pids bigint[], panelist_ids bigint[], ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	IF c.state NOT IN ('closed', 'appraisal') OR c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_frozen');
	END IF;
	IF EXISTS (SELECT 1 FROM reviews WHERE campaign_id = cid) THEN
		PERFORM rule('reviews_started');
	END IF;
	DELETE FROM assignments WHERE campaign_id = cid;
	INSERT INTO assignments (campaign_id, ward_id, proposal_id, panelist_id, assigned_by)
		SELECT cid, c.ward_id, a.p, a.q, actor FROM unnest(pids, panelist_ids) AS a (p, q);
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, 'assignments_made', 'campaign:' || cid, ip,
		jsonb_build_object('count', cardinality(pids)));
END
$$;

CREATE FUNCTION assignment_move(cid bigint, pid bigint, v_from bigint, v_to bigint, actor bigint, ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	IF c.state NOT IN ('closed', 'appraisal') OR c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_frozen');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM assignments WHERE campaign_id = cid AND proposal_id = pid AND panelist_id = v_from) THEN
		PERFORM rule('assignment_not_found');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM panelists WHERE campaign_id = cid AND account_id = v_to) THEN
		PERFORM rule('not_panelist');
	END IF;
	IF EXISTS (SELECT 1 FROM panel_conflicts WHERE proposal_id = pid AND panelist_id = v_to) THEN
		PERFORM rule('conflict');
	END IF;
	IF EXISTS (SELECT 1 FROM assignments WHERE proposal_id = pid AND panelist_id = v_to) THEN
		PERFORM rule('already_assigned');
	END IF;
	IF EXISTS (SELECT 1 FROM reviews WHERE proposal_id = pid AND panelist_id = v_from) THEN
		PERFORM rule('review_exists');
	END IF;
	UPDATE assignments SET panelist_id = v_to, assigned_by = actor, assigned_at = now()
		WHERE proposal_id = pid AND panelist_id = v_from;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, 'assignment_moved', 'proposal:' || pid, ip, jsonb_build_object('from', v_from, 'to', v_to));
END
$$;

CREATE FUNCTION panel_progress(cid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'panelists', coalesce((SELECT jsonb_agg(jsonb_build_object('account_id', pn.account_id,
			'display_name', a.display_name,
			'assigned', (SELECT count(*) FROM assignments x WHERE x.campaign_id = cid AND x.panelist_id = pn.account_id),
			'drafted', (SELECT count(*) FROM reviews r WHERE r.campaign_id = cid AND r.panelist_id = pn.account_id AND r.status = 'draft'),
			'submitted', (SELECT count(*) FROM reviews r WHERE r.campaign_id = cid AND r.panelist_id = pn.account_id AND r.status = 'submitted'))
			ORDER BY a.display_name, pn.account_id)
			FROM panelists pn JOIN accounts a ON a.id = pn.account_id WHERE pn.campaign_id = cid), '[]'),
		'proposals', coalesce((SELECT jsonb_agg(jsonb_build_object('proposal_id', p.id, 'tracking_code', p.tracking_code,
			'title', p.title,
			'assigned', (SELECT count(*) FROM assignments x WHERE x.proposal_id = p.id),
			'submitted', (SELECT count(*) FROM reviews r WHERE r.proposal_id = p.id AND r.status = 'submitted'))
			ORDER BY p.id) FROM proposals p WHERE p.campaign_id = cid AND p.status = 'submitted'), '[]'),
		'missing', (SELECT count(*) FROM assignments x WHERE x.campaign_id = cid AND NOT EXISTS (SELECT 1 FROM reviews r
			WHERE r.proposal_id = x.proposal_id AND r.panelist_id = x.panelist_id AND r.status = 'submitted')),
		'locked_at', (SELECT iso(panel_locked_at) FROM campaigns WHERE id = cid),
		'lock_note', (SELECT panel_lock_note FROM campaigns WHERE id = cid),
		'chain', (SELECT jsonb_build_object('head', head, 'length', length) FROM score_chains WHERE campaign_id = cid))
$$;

CREATE FUNCTION panel_lock(cid bigint, actor bigint, allow_missing boolean, note text, now timestamptz, ip inet)
	RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	missing bigint;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	IF c.state <> 'appraisal' THEN
		PERFORM rule('not_in_appraisal');
	END IF;
	IF c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_locked');
	END IF;
	missing := (panel_progress(cid) ->> 'missing')::bigint;
	IF missing > 0 AND NOT allow_missing THEN
		PERFORM rule('reviews_missing');
	END IF;
	IF missing > 0 AND coalesce(note, '') = '' THEN
		PERFORM rule('note_required');
	END IF;
	UPDATE campaigns SET panel_locked_at = now, panel_lock_note = note WHERE id = cid;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, 'panel_locked', 'campaign:' || cid, ip,
		jsonb_build_object('missing_reviews', missing, 'note', note));
	RETURN panel_progress(cid);
END
$$;
