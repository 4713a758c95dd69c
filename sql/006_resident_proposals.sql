-- Only a resident of the ward proposes in their own name (leaders, panelists and volunteers who are
-- not residents of the ward cannot), as the on-behalf path already required.

CREATE OR REPLACE FUNCTION proposal_create(cid bigint, author bigint, helper bigint, consent_version text, now timestamptz,
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
		IF NOT EXISTS (SELECT 1 FROM role_grants WHERE account_id = author AND ward_id = c.ward_id AND role = 'resident') THEN
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

