-- 031: security follow-ups of issue 8.
--
-- 1. A volunteer's "find a resident" (POST /wards/{ward_id}/assisted-residents) answers initials and a
--    group for any resident's number: it is rate-limited per volunteer, across server processes, by
--    resident_lookups and resident_lookup_take (the server refuses with 429 too_many_lookups).
-- 2. A proposal in a residential group retired after it was drafted cannot be submitted (trigger
--    proposals_submit_group_in_use, P0001 group_retired). The proposal functions are not redefined.
-- 3. The texts (title, description, rules) of a call that has opened change only by a recorded
--    public revision (campaign_revisions, sql/021), as its deadline changes only by a recorded
--    extension: the trigger campaign_texts_revised refuses any other change.
-- Forward-only: never edit this file once applied; add a new numbered file.

CREATE TABLE resident_lookups (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	volunteer_id bigint NOT NULL REFERENCES accounts (id),
	at timestamptz NOT NULL
);
CREATE INDEX resident_lookups_volunteer ON resident_lookups (volunteer_id, at);
CREATE INDEX resident_lookups_at ON resident_lookups (at);
COMMENT ON TABLE resident_lookups IS 'One row per "find a resident" call of a volunteer (found, created or refused), at the request''s clock: the rate limit''s counter, shared by every server process. Holds no phone number (the audit log says what was found). Rows older than the window are deleted whenever any volunteer takes a lookup.';

CREATE FUNCTION resident_lookup_take(volunteer bigint, now timestamptz, max_lookups integer, window_secs integer)
	RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	oldest timestamptz;
BEGIN
	-- One volunteer's lookups are counted one at a time, so concurrent requests cannot both take the last one.
	PERFORM pg_advisory_xact_lock(hashtextextended('resident_lookup:' || volunteer, 0));
	-- Every volunteer's expired rows (a few dozen per active volunteer), so none outlive the window for long.
	DELETE FROM resident_lookups l WHERE l.at <= now - make_interval(secs => window_secs);
	SELECT count(*), min(l.at) INTO n, oldest FROM resident_lookups l
		WHERE l.volunteer_id = volunteer AND l.at > now - make_interval(secs => window_secs);
	IF n >= max_lookups THEN
		RETURN greatest(1, ceil(extract(epoch FROM oldest + make_interval(secs => window_secs) - now)))::integer;
	END IF;
	INSERT INTO resident_lookups (volunteer_id, at) VALUES (volunteer, now);
	RETURN 0;
END
$$;
COMMENT ON FUNCTION resident_lookup_take(bigint, timestamptz, integer, integer) IS 'Takes one of volunteer''s max_lookups "find a resident" lookups per window_secs at now: 0 when taken (recorded), otherwise the seconds until the oldest counted lookup leaves the window (nothing recorded).';

GRANT SELECT, INSERT, DELETE ON resident_lookups TO sangkien_app;

CREATE FUNCTION proposal_submit_group_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.group_id IS NOT NULL
	   AND EXISTS (SELECT 1 FROM residential_groups g WHERE g.id = NEW.group_id AND g.retired_at IS NOT NULL) THEN
		PERFORM rule('group_retired');
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION proposal_submit_group_in_use() IS 'Refuses (P0001 group_retired) the submission of a proposal whose residential group was retired after it was drafted: its author moves it to a group in use first.';
CREATE TRIGGER proposals_submit_group_in_use BEFORE UPDATE OF status ON proposals
	FOR EACH ROW WHEN (NEW.status = 'submitted' AND OLD.status IS DISTINCT FROM 'submitted')
	EXECUTE FUNCTION proposal_submit_group_in_use();

CREATE FUNCTION campaign_texts_revised() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	r campaign_revisions;
BEGIN
	IF OLD.state = 'draft' OR (NEW.title, NEW.description, NEW.rules)
	   IS NOT DISTINCT FROM (OLD.title, OLD.description, OLD.rules) THEN
		RETURN NEW;
	END IF;
	-- The newest revision of the call must be this very change, field by field.
	SELECT * INTO r FROM campaign_revisions v WHERE v.campaign_id = OLD.id ORDER BY v.id DESC LIMIT 1;
	IF r.id IS NULL
	   OR (NEW.title IS DISTINCT FROM OLD.title AND NOT ('title' = ANY (r.fields)
		AND r.old_text->>'title' IS NOT DISTINCT FROM OLD.title AND r.new_text->>'title' IS NOT DISTINCT FROM NEW.title))
	   OR (NEW.description IS DISTINCT FROM OLD.description AND NOT ('description' = ANY (r.fields)
		AND r.old_text->>'description' IS NOT DISTINCT FROM OLD.description
		AND r.new_text->>'description' IS NOT DISTINCT FROM NEW.description))
	   OR (NEW.rules IS DISTINCT FROM OLD.rules AND NOT ('rules' = ANY (r.fields)
		AND r.old_text->>'rules' IS NOT DISTINCT FROM OLD.rules AND r.new_text->>'rules' IS NOT DISTINCT FROM NEW.rules)) THEN
		RAISE EXCEPTION 'the texts of an opened campaign change only by a recorded revision'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION campaign_texts_revised() IS 'Refuses (check_violation) a change of the title, description or rules of a campaign that has left draft unless the campaign''s newest campaign_revisions row records exactly that change (written first, in the same transaction, by the server).';
CREATE TRIGGER campaign_texts_revised BEFORE UPDATE OF title, description, rules ON campaigns
	FOR EACH ROW EXECUTE FUNCTION campaign_texts_revised();
