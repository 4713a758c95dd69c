-- Issue 12, second cut: the review write's trigger work made independent of the call's size.
--
-- audit_notify (sql/028) told the leaders "every review is in" after checking, on every review
-- submit, every assignment of the call against its reviews: a read of the call's whole set of
-- assignments (and, as a hash anti-join, of its reviews) per write. Now it first checks only the
-- submitting panelist's own assignments (assignments_panelist, then reviews' unique key): the call
-- cannot be complete while one of them lacks a submitted review, so the whole-call check runs only
-- when this submit completes the panelist's set, and the outcome (leaders told once, when the last
-- review of the call is in) is the same. The proposal is read for its call only (not its 6 KB row).
-- The rest of the function is sql/028's, unchanged; sql/035 and sql/036 do not redefine it.

CREATE OR REPLACE FUNCTION audit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	obj bigint := nullif(split_part(NEW.subject, ':', 2), '')::bigint;
	p proposals;
	c campaigns;
	d decisions;
	who bigint;
	cid bigint;
	e jsonb;
BEGIN
	CASE NEW.action
	WHEN 'campaign_deadline_extended' THEN
		SELECT * INTO c FROM campaigns WHERE id = obj;
		FOR who IN SELECT DISTINCT author_id FROM proposals WHERE campaign_id = c.id AND status <> 'withdrawn' LOOP
			PERFORM notify(who, c.ward_id, 'deadline_extended',
				jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title, 'closes_at', iso(c.closes_at)),
				NEW.at);
		END LOOP;
	WHEN 'decision_published' THEN
		SELECT * INTO c FROM campaigns WHERE id = obj;
		SELECT * INTO d FROM decisions WHERE id = (NEW.detail ->> 'decision')::bigint;
		FOR p IN SELECT * FROM proposals WHERE campaign_id = c.id AND status = 'submitted' ORDER BY id LOOP
			SELECT x INTO e FROM jsonb_array_elements(d.snapshot -> 'ranking') x
			WHERE (x ->> 'proposal_id')::bigint = p.id;
			PERFORM notify(p.author_id, c.ward_id, CASE WHEN d.version > 1 THEN 'results_corrected' ELSE 'results_published' END,
				jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title, 'proposal_id', p.id,
					'tracking_code', p.tracking_code, 'title', p.title, 'rank', e -> 'rank',
					'award', e -> 'award', 'version', d.version),
				NEW.at);
		END LOOP;
		IF d.version > 1 THEN
			FOR who IN SELECT ward_leaders(c.ward_id) LOOP
				PERFORM notify(who, c.ward_id, 'correction_published',
					jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title, 'version', d.version),
					NEW.at, 'correction_published:' || d.id || ':' || who);
			END LOOP;
		END IF;
	WHEN 'setup_code_issued', 'password_reset_code_issued' THEN
		PERFORM notify(obj, NEW.ward_id, 'setup_code_issued',
			jsonb_build_object('expires_at', NEW.detail -> 'expires_at', 'reset', NEW.action = 'password_reset_code_issued'),
			NEW.at);
	WHEN 'password_set_with_code', 'password_reset_with_code' THEN
		PERFORM notify(obj, NULL, 'password_changed', jsonb_build_object('at', iso(NEW.at)), NEW.at);
	WHEN 'panel_set' THEN
		SELECT * INTO c FROM campaigns WHERE id = obj;
		FOR who IN SELECT jsonb_array_elements_text(NEW.detail -> 'panelists')::bigint LOOP
			PERFORM notify(who, c.ward_id, 'panelist_assigned',
				jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title),
				NEW.at, 'panelist_assigned:' || c.id || ':' || who);
		END LOOP;
	WHEN 'panel_locked' THEN
		SELECT * INTO c FROM campaigns WHERE id = obj;
		FOR who IN SELECT account_id FROM panelists WHERE campaign_id = c.id LOOP
			PERFORM notify(who, c.ward_id, 'panel_locked',
				jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title), NEW.at);
		END LOOP;
	WHEN 'review_submit' THEN
		SELECT pr.campaign_id INTO cid FROM proposals pr WHERE pr.id = obj;
		-- The call is complete only if the submitting panelist's own set is: while one of theirs
		-- lacks a submitted review (the common case, a few index probes), the call's whole set
		-- of assignments is not read.
		IF EXISTS (SELECT 1 FROM assignments a WHERE a.panelist_id = NEW.actor_account_id
				AND a.campaign_id = cid AND NOT EXISTS (
				SELECT 1 FROM reviews r WHERE r.proposal_id = a.proposal_id AND r.panelist_id = a.panelist_id
					AND r.status = 'submitted')) THEN
			RETURN NULL;
		END IF;
		IF NOT EXISTS (SELECT 1 FROM assignments a WHERE a.campaign_id = cid AND NOT EXISTS (
				SELECT 1 FROM reviews r WHERE r.proposal_id = a.proposal_id AND r.panelist_id = a.panelist_id
					AND r.status = 'submitted')) THEN
			SELECT * INTO c FROM campaigns WHERE id = cid;
			FOR who IN SELECT ward_leaders(c.ward_id) LOOP
				PERFORM notify(who, c.ward_id, 'reviews_complete',
					jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title),
					NEW.at, 'reviews_complete:' || c.id || ':' || who);
			END LOOP;
		END IF;
	ELSE
		NULL;
	END CASE;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION audit_notify() IS 'Maps an audit event to the notices it causes, in the same transaction (proposals: audit_notify_proposal): deadline extended (authors of the call), results published or corrected (each author, with their own rank and award; leaders on a correction), set-up code issued and password changed (the account), panelist assigned (once per call) and panel locked (panelists), every review in (leaders, once).';
