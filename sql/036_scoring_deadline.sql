-- Issue 13 gap: the leader sets a call's scoring deadline (campaigns.scoring_deadline, sql/028) through
-- the API, and may move it later. Every change after the call was created is an append-only
-- campaign_scoring_deadlines row (like campaign_extensions, sql/021) and an audit event
-- 'campaign_scoring_deadline_set'; that audit event tells the call's panelists through the outbox
-- (event 'scoring_deadline_moved').
--
-- The reminders of notification_timers (sql/028) are deduplicated by a key that holds the deadline
-- itself ('review_reminder:<hours>:<campaign>:<epoch of scoring_deadline>:<panelist>'), so a moved
-- deadline re-arms both reminders for its new time without any change here.

CREATE TABLE campaign_scoring_deadlines (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	campaign_id bigint NOT NULL,
	old_scoring_deadline timestamptz,
	new_scoring_deadline timestamptz NOT NULL,
	set_by bigint REFERENCES accounts (id),
	set_at timestamptz NOT NULL,
	CHECK (old_scoring_deadline IS DISTINCT FROM new_scoring_deadline),
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id)
);
COMMENT ON TABLE campaign_scoring_deadlines IS 'A change of a call''s scoring deadline (hạn chấm điểm) after the call was created: the deadline before (NULL: none was set) and after, who and when. Append-only; campaigns.scoring_deadline is the last row''s new_scoring_deadline.';
CREATE INDEX campaign_scoring_deadlines_campaign ON campaign_scoring_deadlines (campaign_id, id);

CREATE TRIGGER campaign_scoring_deadlines_no_change BEFORE UPDATE OR DELETE ON campaign_scoring_deadlines
	FOR EACH ROW EXECUTE FUNCTION campaign_history_refuse_change();
REVOKE UPDATE, DELETE ON campaign_scoring_deadlines FROM sangkien_app;
GRANT SELECT, INSERT ON campaign_scoring_deadlines TO sangkien_app;

/* The call's panelists hear that its scoring deadline moved (audit event written by the C update). */
CREATE FUNCTION audit_notify_scoring_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	c campaigns;
	who bigint;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = nullif(split_part(NEW.subject, ':', 2), '')::bigint;
	IF c.id IS NULL OR c.scoring_deadline IS NULL THEN
		RETURN NULL;
	END IF;
	FOR who IN SELECT account_id FROM panelists WHERE campaign_id = c.id LOOP
		PERFORM notify(who, c.ward_id, 'scoring_deadline_moved',
			jsonb_build_object('campaign_id', c.id, 'campaign_title', c.title,
				'deadline', iso(c.scoring_deadline), 'old_deadline', (SELECT iso(d.old_scoring_deadline) FROM campaign_scoring_deadlines d
					WHERE d.campaign_id = c.id ORDER BY d.id DESC LIMIT 1)),
			NEW.at);
	END LOOP;
	RETURN NULL;
END
$$;
CREATE TRIGGER audit_notify_scoring_deadline AFTER INSERT ON audit_log FOR EACH ROW
	WHEN (NEW.action = 'campaign_scoring_deadline_set') EXECUTE FUNCTION audit_notify_scoring_deadline();
COMMENT ON FUNCTION audit_notify_scoring_deadline() IS 'Tells every panelist of a call that its scoring deadline moved (event scoring_deadline_moved), in the transaction of the change.';
