-- A correction that takes an award away from a model that was already adopted elsewhere: the
-- model stays (its adoptions are history) but no longer shows the award, and leaves the catalogue list.

ALTER TABLE models ALTER COLUMN award DROP NOT NULL;
COMMENT ON COLUMN models.award IS 'The award of the newest published decision; NULL when a correction withdrew it (the model stays for its adoptions).';

CREATE OR REPLACE FUNCTION decision_publish(cid bigint, actor bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
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
	-- Adopted models that lost their award keep their history, but not the award.
	UPDATE models m SET award = NULL, decision_id = d.id WHERE m.campaign_id = cid
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

