-- Awards, decisions (frozen ranking snapshots), publication, and the replication registry.

CREATE TABLE awards (
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	position integer NOT NULL CHECK (position BETWEEN 1 AND 20),
	name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
	count integer NOT NULL CHECK (count BETWEEN 1 AND 1000),
	PRIMARY KEY (campaign_id, position),
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id)
);
COMMENT ON TABLE awards IS 'The prizes of a campaign in order (e.g. Giải Nhất ×1, Giải Nhì ×2, Giải Ba ×3, Khuyến khích ×5). Fixed once a decision is made.';

CREATE TABLE decisions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	version integer NOT NULL CHECK (version >= 1),
	supersedes bigint REFERENCES decisions (id),
	correction_reason text CHECK (char_length(correction_reason) <= 4000),
	method text NOT NULL CHECK (method IN ('raw', 'normalised')),
	inputs_digest text NOT NULL CHECK (inputs_digest ~ '^[0-9a-f]{64}$'),
	snapshot jsonb NOT NULL,
	decided_by bigint NOT NULL REFERENCES accounts (id),
	decided_at timestamptz NOT NULL,
	published_by bigint REFERENCES accounts (id),
	published_at timestamptz,
	UNIQUE (campaign_id, version),
	CHECK ((version = 1) = (supersedes IS NULL)),
	CHECK (version = 1 OR correction_reason IS NOT NULL)
);
COMMENT ON TABLE decisions IS 'A decision freezes a ranking snapshot (inputs digest, method, results, awards and the reasons for any departure from the ranking). Publishing makes it public and immutable; a correction is a new decision that supersedes it.';

CREATE FUNCTION decisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR OLD.published_at IS NOT NULL THEN
		RAISE EXCEPTION 'a published decision cannot change' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF (NEW.snapshot, NEW.inputs_digest, NEW.method, NEW.version, NEW.campaign_id)
		IS DISTINCT FROM (OLD.snapshot, OLD.inputs_digest, OLD.method, OLD.version, OLD.campaign_id) THEN
		RAISE EXCEPTION 'a decision''s snapshot cannot change' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE ON decisions
	FOR EACH ROW EXECUTE FUNCTION decisions_immutable();

CREATE TABLE models (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	proposal_id bigint NOT NULL UNIQUE REFERENCES proposals (id),
	campaign_id bigint NOT NULL REFERENCES campaigns (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	decision_id bigint NOT NULL REFERENCES decisions (id),
	award text NOT NULL,
	title text NOT NULL,
	summary text NOT NULL,
	model text NOT NULL,
	tags text[] NOT NULL DEFAULT '{}',
	search_text text NOT NULL,
	published_at timestamptz NOT NULL
);
COMMENT ON TABLE models IS 'The public catalogue of replicable models: every winner of a published decision, across all wards.';
CREATE INDEX models_search ON models USING gin (search_text gin_trgm_ops);

CREATE TABLE adoptions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model_id bigint NOT NULL REFERENCES models (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	group_id bigint NOT NULL,
	recorded_by bigint NOT NULL REFERENCES accounts (id),
	started_on date NOT NULL,
	stage text NOT NULL CHECK (stage IN ('planned', 'piloting', 'in_use', 'stopped')),
	households integer CHECK (households BETWEEN 0 AND 1000000),
	cost_vnd bigint CHECK (cost_vnd BETWEEN 0 AND 10000000000000),
	notes text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 4000),
	version integer NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	FOREIGN KEY (ward_id, group_id) REFERENCES residential_groups (ward_id, id)
);
COMMENT ON TABLE adoptions IS 'A model adopted by a residential group of a ward: since when, at what stage, households reached, cost, notes.';

CREATE TABLE adoption_history (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	adoption_id bigint NOT NULL REFERENCES adoptions (id),
	ward_id bigint NOT NULL REFERENCES wards (id),
	version integer NOT NULL,
	stage text NOT NULL,
	households integer,
	cost_vnd bigint,
	notes text NOT NULL,
	recorded_by bigint NOT NULL REFERENCES accounts (id),
	recorded_at timestamptz NOT NULL,
	UNIQUE (adoption_id, version)
);
COMMENT ON TABLE adoption_history IS 'Every state an adoption has been in, so its story over time is kept.';

CREATE FUNCTION model_json(m models) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', m.id, 'title', m.title, 'summary', m.summary, 'model', m.model,
		'tags', to_jsonb(m.tags), 'award', m.award, 'published_at', iso(m.published_at),
		'campaign', jsonb_build_object('id', c.id, 'title', c.title),
		'ward', jsonb_build_object('id', w.id, 'code', w.code, 'name', w.name),
		'tracking_code', p.tracking_code,
		'adoption_count', (SELECT count(*) FROM adoptions a WHERE a.model_id = m.id),
		'stages', coalesce((SELECT jsonb_object_agg(stage, n) FROM (SELECT stage, count(*) AS n FROM adoptions a
			WHERE a.model_id = m.id GROUP BY stage) s), '{}'))
	FROM campaigns c, wards w, proposals p WHERE c.id = m.campaign_id AND w.id = m.ward_id AND p.id = m.proposal_id
$$;

CREATE FUNCTION adoption_json(a adoptions) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', a.id, 'model_id', a.model_id,
		'ward', jsonb_build_object('id', w.id, 'code', w.code, 'name', w.name),
		'group', jsonb_build_object('id', g.id, 'name', g.name),
		'started_on', a.started_on, 'stage', a.stage, 'households', a.households, 'cost_vnd', a.cost_vnd,
		'notes', a.notes, 'version', a.version, 'updated_at', iso(a.updated_at),
		'history', coalesce((SELECT jsonb_agg(jsonb_build_object('version', h.version, 'stage', h.stage,
			'households', h.households, 'cost_vnd', h.cost_vnd, 'notes', h.notes, 'recorded_at', iso(h.recorded_at))
			ORDER BY h.version) FROM adoption_history h WHERE h.adoption_id = a.id), '[]'))
	FROM wards w, residential_groups g WHERE w.id = a.ward_id AND g.id = a.group_id
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON awards, decisions, models, adoptions, adoption_history TO sangkien_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sangkien_app;
REVOKE DELETE, TRUNCATE ON decisions, adoption_history FROM sangkien_app;

CREATE FUNCTION decision_create(cid bigint, actor bigint, v_method text, v_digest text, v_snapshot jsonb,
	v_reason text, now timestamptz, ip inet) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	prev decisions;
	d bigint;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	SELECT * INTO prev FROM decisions WHERE campaign_id = cid ORDER BY version DESC LIMIT 1;
	IF v_reason IS NULL THEN
		IF c.state <> 'appraisal' THEN
			PERFORM rule('not_decidable');
		END IF;
		IF c.panel_locked_at IS NULL THEN
			PERFORM rule('panel_not_locked');
		END IF;
		INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot, decided_by, decided_at)
			VALUES (cid, c.ward_id, 1, v_method, v_digest, v_snapshot, actor, now) RETURNING id INTO d;
		UPDATE campaigns SET state = 'decided' WHERE id = cid;
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
		VALUES (actor, c.ward_id, 'campaign_transition', 'campaign:' || cid, ip, '{"from":"appraisal","to":"decided"}');
	ELSE
		IF c.state <> 'published' OR prev.published_at IS NULL THEN
			PERFORM rule('not_correctable');
		END IF;
		INSERT INTO decisions (campaign_id, ward_id, version, supersedes, correction_reason, method, inputs_digest,
			snapshot, decided_by, decided_at)
			VALUES (cid, c.ward_id, prev.version + 1, prev.id, v_reason, v_method, v_digest, v_snapshot, actor, now)
			RETURNING id INTO d;
	END IF;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, CASE WHEN v_reason IS NULL THEN 'decision_made' ELSE 'decision_corrected' END,
		'campaign:' || cid, ip, jsonb_build_object('decision', d, 'inputs_digest', v_digest));
	RETURN d;
END
$$;

CREATE FUNCTION decision_publish(cid bigint, actor bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	d decisions;
	e jsonb;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	SELECT * INTO d FROM decisions WHERE campaign_id = cid AND published_at IS NULL ORDER BY version DESC LIMIT 1;
	IF NOT FOUND OR c.state NOT IN ('decided', 'published') THEN
		PERFORM rule('nothing_to_publish');
	END IF;
	UPDATE decisions SET published_at = now, published_by = actor WHERE id = d.id;
	IF c.state = 'decided' THEN
		UPDATE campaigns SET state = 'published' WHERE id = cid;
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
		VALUES (actor, c.ward_id, 'campaign_transition', 'campaign:' || cid, ip, '{"from":"decided","to":"published"}');
	END IF;
	-- The catalogue holds the winners of the newest published decision.
	DELETE FROM models m WHERE m.campaign_id = cid AND NOT EXISTS (SELECT 1 FROM adoptions a WHERE a.model_id = m.id)
		AND m.proposal_id NOT IN (SELECT (x ->> 'proposal_id')::bigint FROM jsonb_array_elements(d.snapshot -> 'ranking') x
			WHERE x ->> 'award' IS NOT NULL);
	FOR e IN SELECT x FROM jsonb_array_elements(d.snapshot -> 'ranking') x WHERE x ->> 'award' IS NOT NULL LOOP
		INSERT INTO models (proposal_id, campaign_id, ward_id, decision_id, award, title, summary, model, tags, search_text, published_at)
		SELECT p.id, cid, c.ward_id, d.id, e ->> 'award', p.title, p.summary, p.model, p.tags, p.search_text, now
		FROM proposals p WHERE p.id = (e ->> 'proposal_id')::bigint
		ON CONFLICT (proposal_id) DO UPDATE SET award = excluded.award, decision_id = excluded.decision_id;
	END LOOP;
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, c.ward_id, 'decision_published', 'campaign:' || cid, ip, jsonb_build_object('decision', d.id, 'version', d.version));
END
$$;

CREATE FUNCTION adoption_save(aid bigint, mid bigint, ward bigint, actor bigint, v_group bigint, v_started date,
	v_stage text, v_households integer, v_cost bigint, v_notes text, v_version integer, now timestamptz, ip inet)
	RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	a adoptions;
BEGIN
	IF aid IS NULL THEN
		INSERT INTO adoptions (model_id, ward_id, group_id, recorded_by, started_on, stage, households, cost_vnd, notes,
			created_at, updated_at)
		VALUES (mid, ward, v_group, actor, v_started, v_stage, v_households, v_cost, coalesce(v_notes, ''), now, now)
		RETURNING * INTO a;
	ELSE
		SELECT * INTO a FROM adoptions WHERE id = aid FOR UPDATE;
		IF a.version <> v_version THEN
			PERFORM rule('version_conflict');
		END IF;
		UPDATE adoptions SET stage = coalesce(v_stage, stage), households = coalesce(v_households, households),
			cost_vnd = coalesce(v_cost, cost_vnd), notes = coalesce(v_notes, notes),
			started_on = coalesce(v_started, started_on), version = version + 1, updated_at = now
		WHERE id = aid RETURNING * INTO a;
	END IF;
	INSERT INTO adoption_history (adoption_id, ward_id, version, stage, households, cost_vnd, notes, recorded_by, recorded_at)
		VALUES (a.id, a.ward_id, a.version, a.stage, a.households, a.cost_vnd, a.notes, actor, now);
	INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
	VALUES (actor, a.ward_id, CASE WHEN aid IS NULL THEN 'adoption_recorded' ELSE 'adoption_updated' END,
		'model:' || a.model_id, ip, jsonb_build_object('adoption', a.id, 'stage', a.stage));
	RETURN adoption_json(a);
END
$$;

-- A draft may be withdrawn however incomplete: only a submitted proposal must be complete.
ALTER TABLE proposals DROP CONSTRAINT proposals_check2;
ALTER TABLE proposals ADD CONSTRAINT proposals_submitted_complete CHECK (status <> 'submitted' OR (group_id IS NOT NULL
	AND summary <> '' AND problem <> '' AND model <> '' AND beneficiaries <> '' AND households IS NOT NULL
	AND cost_vnd IS NOT NULL));

-- The last installation administrator cannot erase their account (the installation would have none).
CREATE OR REPLACE FUNCTION personal_delete(aid bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM role_grants WHERE account_id = aid AND ward_id IS NULL AND role = 'admin')
		AND NOT EXISTS (SELECT 1 FROM role_grants WHERE account_id <> aid AND ward_id IS NULL AND role = 'admin') THEN
		PERFORM rule('last_admin');
	END IF;
	UPDATE accounts SET login = 'deleted-' || id || '@deleted.invalid', login_kind = 'email',
		display_name = 'Tài khoản đã xoá', password_hash = NULL WHERE id = aid;
	UPDATE sessions SET ended_at = now WHERE account_id = aid AND ended_at IS NULL;
	UPDATE sessions SET ip = NULL WHERE account_id = aid;
	DELETE FROM role_grants WHERE account_id = aid AND role <> 'resident';
	INSERT INTO account_deletions (account_id, deleted_at) VALUES (aid, now);
	INSERT INTO audit_log (actor_account_id, action, subject, ip) VALUES (aid, 'account_deleted', 'account:' || aid, ip);
END
$$;
