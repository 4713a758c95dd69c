-- Conflicts can be declared only while the panel works (closed or appraisal, not locked), and the
-- score record can be checked against the reviews the ranking reads.

CREATE OR REPLACE FUNCTION conflict_declare(pid bigint, panelist bigint, v_reason text, now timestamptz, ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
DECLARE
	p proposals;
BEGIN
	SELECT * INTO p FROM proposals WHERE id = pid;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM panelists WHERE campaign_id = p.campaign_id AND account_id = panelist)
		OR p.status <> 'submitted' THEN
		PERFORM rule('proposal_not_found');
	END IF;
	IF EXISTS (SELECT 1 FROM campaigns c WHERE c.id = p.campaign_id AND (c.state NOT IN ('closed', 'appraisal')
		OR c.panel_locked_at IS NOT NULL)) THEN
		PERFORM rule('panel_locked');
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

-- The score lines and comment of a review as the score record writes them (see review_canonical).
CREATE FUNCTION review_record_block(r reviews) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT string_agg('score=' || s.criterion_id || '|' || s.score || '|' || canon(s.comment), E'\n'
		ORDER BY s.criterion_id) FROM review_scores s WHERE s.review_id = r.id), '') || E'\n'
		|| 'comment=' || canon(r.overall_comment) || E'\n'
$$;

-- Submitted reviews of a campaign whose current scores are not those of their newest recorded event.
CREATE FUNCTION reviews_off_record(cid bigint) RETURNS TABLE (review_id bigint, event_id bigint) LANGUAGE sql STABLE AS $$
	SELECT r.id, e.id FROM reviews r
	LEFT JOIN LATERAL (SELECT x.id, x.content FROM score_events x WHERE x.review_id = r.id ORDER BY x.seq DESC LIMIT 1) e ON true
	WHERE r.campaign_id = cid AND r.status = 'submitted'
	AND (e.id IS NULL OR position(review_record_block(r) IN e.content) = 0
		OR position('version=' || r.version || E'\n' IN e.content) = 0)
	ORDER BY r.id
$$;
