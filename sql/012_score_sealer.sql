-- The score record's hash chain taken out of the review write's critical path.
--
-- Before: review_save() locked the campaign's score_chains row (FOR UPDATE) to chain its event, and
-- held it through COMMIT's fsync, so every review write of a call waited for the previous one
-- (about 610 writes/s whatever the number of connections).
--
-- Now a review write records its event (the canonical content, durably, in the same transaction)
-- in score_events and marks it in score_pending, and locks no row that other writes of the call
-- lock (only a shared advisory lock, against panel_lock). A sealer, score_seal(),
-- takes the chain's row lock, takes the committed pending events of the call, chains them in id
-- order and inserts their seq, prev_hash and hash into score_seals. Both tables are append-only.
-- The server runs the sealer in a background thread every few tens of milliseconds, and before
-- anything that depends on the chain (locking the panel, ranking, deciding, publishing, verifying),
-- so nothing reads an unsealed record. An event that commits late (a lower id than events already
-- sealed) is still pending and is sealed by the next run: the chain's order is the sealing order.

CREATE TABLE score_seals (
	event_id bigint PRIMARY KEY REFERENCES score_events (id),
	campaign_id bigint NOT NULL,
	seq bigint NOT NULL CHECK (seq >= 1),
	prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
	hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
	sealed_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (campaign_id, seq)
);
COMMENT ON TABLE score_seals IS 'The hash chain over score_events, per campaign: event seq of the campaign has hash = SHA-256(prev_hash || LF || the event''s content), prev_hash the hash of seq - 1 (64 zeros for seq 1). Append-only; written by score_seal().';

-- The chain of the events recorded so far moves here, then leaves score_events.
INSERT INTO score_seals (event_id, campaign_id, seq, prev_hash, hash, sealed_at)
	SELECT id, campaign_id, seq, prev_hash, hash, at FROM score_events;
ALTER TABLE score_events DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
CREATE INDEX score_events_campaign ON score_events (campaign_id, id);
-- An event belongs to its review's call and ward: one foreign key to the review (which the write
-- holds locked already) instead of three, two of them to the call's and the ward's rows, which
-- every review write of the call would otherwise lock (KEY SHARE: a new MultiXact and a WAL
-- record on one hot row per write).
ALTER TABLE reviews ADD CONSTRAINT reviews_id_campaign_ward UNIQUE (id, campaign_id, ward_id);
ALTER TABLE score_events DROP CONSTRAINT score_events_campaign_id_fkey,
	DROP CONSTRAINT score_events_ward_id_fkey, DROP CONSTRAINT score_events_review_id_fkey,
	ADD CONSTRAINT score_events_review_fkey FOREIGN KEY (review_id, campaign_id, ward_id)
		REFERENCES reviews (id, campaign_id, ward_id);
COMMENT ON TABLE score_events IS 'Append-only record of every review submission and revision, written in the review''s transaction: content is the canonical text of the review (see docs/ranking.md). Chained by score_seals. The server''s database role may only read and insert.';

CREATE TRIGGER score_seals_no_update BEFORE UPDATE OR DELETE ON score_seals
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER score_seals_no_truncate BEFORE TRUNCATE ON score_seals
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- No index and no foreign key: writers only insert, the sealer deletes what it sealed.
CREATE TABLE score_pending (
	event_id bigint NOT NULL,
	campaign_id bigint NOT NULL
);
COMMENT ON TABLE score_pending IS 'Score events written but not yet sealed into the chain: a work queue for score_seal(). An event with neither a seal nor a row here is missing from the chain, and the verification says so.';

GRANT SELECT, INSERT ON score_seals TO sangkien_app;
REVOKE UPDATE, DELETE, TRUNCATE ON score_seals FROM sangkien_app;
GRANT SELECT, INSERT, DELETE ON score_pending TO sangkien_app;
REVOKE UPDATE, TRUNCATE ON score_pending FROM sangkien_app;

DROP FUNCTION score_event_append(reviews, text, text, timestamptz);
DROP FUNCTION review_canonical(reviews, text, text, timestamptz);

-- Chains campaign cid's committed pending events; returns how many were sealed. Safe to run from any
-- number of sessions at once: the score_chains row lock serialises them. Lock order: the campaign
-- row (KEY SHARE; panel_lock holds it FOR UPDATE while it seals), then the chain row.
CREATE FUNCTION score_seal(cid bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	prev text;
	n bigint;
	ids bigint[];
	e record;
	seqs bigint[] := '{}';
	prevs text[] := '{}';
	hashes text[] := '{}';
	evs bigint[] := '{}';
BEGIN
	-- Nothing to do: no lock, no transaction id, no WAL.
	IF NOT EXISTS (SELECT 1 FROM score_pending WHERE campaign_id = cid) THEN
		RETURN 0;
	END IF;
	PERFORM 1 FROM campaigns WHERE id = cid FOR KEY SHARE;
	SELECT head, length INTO prev, n FROM score_chains WHERE campaign_id = cid FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO score_chains (campaign_id, head, length) VALUES (cid, repeat('0', 64), 0)
			ON CONFLICT (campaign_id) DO NOTHING;
		SELECT head, length INTO prev, n FROM score_chains WHERE campaign_id = cid FOR UPDATE;
	END IF;
	-- Under the chain lock, in a new snapshot: every pending row committed so far, exactly once.
	WITH taken AS (DELETE FROM score_pending WHERE campaign_id = cid RETURNING event_id)
		SELECT array_agg(DISTINCT event_id) INTO ids FROM taken;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	FOR e IN SELECT x.id, x.content FROM score_events x
		WHERE x.id = ANY (ids) AND x.campaign_id = cid
		AND NOT EXISTS (SELECT 1 FROM score_seals s WHERE s.event_id = x.id) ORDER BY x.id LOOP
		n := n + 1;
		evs := evs || e.id;
		seqs := seqs || n;
		prevs := prevs || prev;
		prev := encode(sha256(convert_to(prev || E'\n' || e.content, 'UTF8')), 'hex');
		hashes := hashes || prev;
	END LOOP;
	IF cardinality(evs) = 0 THEN
		RETURN 0;
	END IF;
	INSERT INTO score_seals (event_id, campaign_id, seq, prev_hash, hash)
		SELECT a.e, cid, a.s, a.p, a.h FROM unnest(evs, seqs, prevs, hashes) AS a (e, s, p, h);
	UPDATE score_chains SET head = prev, length = n WHERE campaign_id = cid;
	RETURN cardinality(evs);
END
$$;
COMMENT ON FUNCTION score_seal(bigint) IS 'Seals campaign cid''s committed pending score events into its hash chain (score_seals, score_chains); returns the number sealed.';

-- Seals every campaign with pending events, in campaign order (one order for every sealer).
CREATE FUNCTION score_seal_all() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	cid bigint;
	k integer := 0;
BEGIN
	FOR cid IN SELECT DISTINCT campaign_id FROM score_pending ORDER BY 1 LOOP
		k := k + score_seal(cid);
	END LOOP;
	RETURN k;
END
$$;

-- The review write: no lock shared with other reviews' writes but a shared advisory lock on the call
-- (5318, call id mod 2^31), which panel_lock takes exclusively: the lock waits for the writes in flight, and
-- a write that starts meanwhile waits, then sees the panel locked. A revision updates its scores in
-- place (no foreign-key checks, which would lock the criteria rows every write shares). The
-- canonical text and the reply are built from the scores as stored, in one statement, in PL/pgSQL
-- (planned once per connection, not per call).
CREATE OR REPLACE FUNCTION review_save(pid bigint, panelist bigint, now timestamptz, v_version integer, scores jsonb,
	v_comment text, submit boolean, reason text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	p proposals;
	c campaigns;
	r reviews;
	kind text;
	revising boolean;
	lines text;
	score_list jsonb;
	ev bigint;
BEGIN
	SELECT * INTO p FROM proposals WHERE id = pid;
	-- Assigned, and none of the conflicts of the view panel_conflicts (sql/004), checked directly:
	-- the view's four-way UNION cost more to start per call than the rest of the checks together.
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.proposal_id = pid AND a.panelist_id = panelist)
		OR p.author_id = panelist OR coalesce(p.helped_by = panelist, false)
		OR EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = panelist AND g.ward_id = p.ward_id
			AND g.group_id = p.group_id)
		OR EXISTS (SELECT 1 FROM declared_conflicts d WHERE d.proposal_id = pid AND d.panelist_id = panelist) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	PERFORM pg_advisory_xact_lock_shared(5318, (p.campaign_id % 2147483648)::integer);
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
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(scores) e
		WHERE jsonb_typeof(e -> 'criterion_id') IS DISTINCT FROM 'number' OR jsonb_typeof(e -> 'score') IS DISTINCT FROM 'number') THEN
		PERFORM rule('invalid_scores');
	END IF;
	-- Numbers only from here on: each a criterion of the call, once, a whole number in 0..max.
	IF (SELECT count(*) FILTER (WHERE k.id IS NULL OR (e ->> 'score')::numeric NOT BETWEEN 0 AND k.max_score
			OR (e ->> 'score')::numeric <> trunc((e ->> 'score')::numeric)) > 0
			OR count(DISTINCT e ->> 'criterion_id') <> count(*)
			OR (submit AND count(*) <> (SELECT count(*) FROM criteria WHERE campaign_id = c.id))
		FROM jsonb_array_elements(scores) e
		LEFT JOIN criteria k ON k.id = (e ->> 'criterion_id')::bigint AND k.campaign_id = c.id) THEN
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
		DELETE FROM review_scores s WHERE s.review_id = r.id AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(scores) e
			WHERE (e ->> 'criterion_id')::bigint = s.criterion_id);
	END IF;
	WITH ins AS (INSERT INTO review_scores AS s (review_id, criterion_id, score, comment)
		SELECT r.id, (e ->> 'criterion_id')::bigint, (e ->> 'score')::integer, coalesce(e ->> 'comment', '')
		FROM jsonb_array_elements(scores) e
		ON CONFLICT (review_id, criterion_id) DO UPDATE SET score = excluded.score, comment = excluded.comment
		RETURNING s.criterion_id, s.score, s.comment)
	SELECT string_agg('score=' || i.criterion_id || '|' || i.score || '|' || canon(i.comment), E'\n' ORDER BY i.criterion_id),
		coalesce(jsonb_agg(jsonb_build_object('criterion_id', i.criterion_id, 'score', i.score, 'comment', i.comment)
			ORDER BY i.criterion_id), '[]')
	INTO lines, score_list FROM ins i;
	IF submit THEN
		kind := CASE WHEN revising THEN 'revise' ELSE 'submit' END;
		INSERT INTO audit_log (actor_account_id, ward_id, action, subject, ip, detail)
		VALUES (panelist, c.ward_id, 'review_' || kind, 'proposal:' || pid, ip, jsonb_build_object('review', r.id, 'version', r.version));
		-- The canonical text, as docs/ranking.md documents it (format sangkien-score-v1, unchanged).
		INSERT INTO score_events (campaign_id, ward_id, review_id, kind, content, at)
		VALUES (r.campaign_id, r.ward_id, r.id, kind,
			'sangkien-score-v1' || E'\n'
			|| 'campaign=' || r.campaign_id || E'\n' || 'proposal=' || r.proposal_id || E'\n'
			|| 'panelist=' || r.panelist_id || E'\n' || 'review=' || r.id || E'\n'
			|| 'kind=' || kind || E'\n' || 'version=' || r.version || E'\n'
			|| 'at=' || to_char(now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
			|| coalesce(lines, '') || E'\n'
			|| 'comment=' || canon(r.overall_comment) || E'\n'
			|| 'reason=' || canon(CASE WHEN revising THEN reason END), now)
		RETURNING id INTO ev;
		INSERT INTO score_pending (event_id, campaign_id) VALUES (ev, r.campaign_id);
	END IF;
	-- Times as iso() (sql/003) writes them, spelt out: an SQL function that cannot be inlined costs a
	-- parse per call here.
	RETURN jsonb_build_object('id', r.id, 'proposal_id', r.proposal_id, 'status', r.status,
		'overall_comment', r.overall_comment, 'version', r.version,
		'updated_at', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'submitted_at', to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'scores', score_list);
END
$$;

-- The panel is locked only with the whole record sealed: the exclusive advisory lock (taken first,
-- before the call's row, which a first submission's foreign keys lock too) waits for the review
-- writes in flight, and holds new ones back until the lock is committed.
CREATE OR REPLACE FUNCTION panel_lock(cid bigint, actor bigint, allow_missing boolean, note text, now timestamptz, ip inet)
	RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	missing bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(5318, (cid % 2147483648)::integer);
	SELECT * INTO c FROM campaigns WHERE id = cid FOR UPDATE;
	IF c.state <> 'appraisal' THEN
		PERFORM rule('not_in_appraisal');
	END IF;
	IF c.panel_locked_at IS NOT NULL THEN
		PERFORM rule('panel_locked');
	END IF;
	PERFORM score_seal(cid);
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

-- Submitted reviews of a campaign whose current scores are not those of their newest recorded event
-- (one pass over the campaign's events; a review's events are ordered by id, written under its row lock).
CREATE OR REPLACE FUNCTION reviews_off_record(cid bigint) RETURNS TABLE (review_id bigint, event_id bigint) LANGUAGE sql STABLE AS $$
	WITH newest AS (SELECT DISTINCT ON (x.review_id) x.review_id, x.id, x.content FROM score_events x
		WHERE x.campaign_id = cid ORDER BY x.review_id, x.id DESC)
	SELECT r.id, e.id FROM reviews r LEFT JOIN newest e ON e.review_id = r.id
	WHERE r.campaign_id = cid AND r.status = 'submitted'
	AND (e.id IS NULL OR position(review_record_block(r) IN e.content) = 0
		OR position('version=' || r.version || E'\n' IN e.content) = 0)
	ORDER BY r.id
$$;
