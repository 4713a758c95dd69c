-- 035: what the red team of 2026-12-07's work found, and what was left open then.
--
-- 1. Leaders' and administrators' searches of people (GET /wards/{id}/residents?q=,
--    GET /admin/accounts?q= and ?login=) were audited but unlimited: people_searches and
--    people_search_take give each person a budget per hour, shared by every server process (the
--    server refuses with 429 too_many_searches).
-- 2. The showcase (sql/026 proposal_showcase) showed the author's name and number as the contact of
--    any model whose author had consented, also once a correction had taken the award away (the
--    model stays for its adoptions) or the proposal was withdrawn; the photos already stopped. The
--    contact now follows the same rule as the photos (proposal_contact_public).
-- 3. campaign_texts_revised (sql/031) accepted a change covered by a revision written in an earlier
--    transaction (a revision left behind by a path that did not change the text, or written ahead);
--    the revision must now be written in the change's own transaction.
-- Forward-only: never edit this file once applied; add a new numbered file.

CREATE TABLE people_searches (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	searcher_id bigint NOT NULL REFERENCES accounts (id),
	at timestamptz NOT NULL
);
CREATE INDEX people_searches_searcher ON people_searches (searcher_id, at);
CREATE INDEX people_searches_at ON people_searches (at);
COMMENT ON TABLE people_searches IS 'One row per search of people by a leader or an administrator (found or not), at the request''s clock: the hourly budget''s counter, shared by every server process. Holds no query (the audit log has its keyed hash). Rows older than the window are deleted whenever anyone takes a search.';

CREATE FUNCTION people_search_take(searcher bigint, now timestamptz, max_searches integer, window_secs integer)
	RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	oldest timestamptz;
BEGIN
	-- One person's searches are counted one at a time, so concurrent requests cannot both take the last one.
	PERFORM pg_advisory_xact_lock(hashtextextended('people_search:' || searcher, 0));
	DELETE FROM people_searches s WHERE s.at <= now - make_interval(secs => window_secs);
	SELECT count(*), min(s.at) INTO n, oldest FROM people_searches s
		WHERE s.searcher_id = searcher AND s.at > now - make_interval(secs => window_secs);
	IF n >= max_searches THEN
		RETURN greatest(1, ceil(extract(epoch FROM oldest + make_interval(secs => window_secs) - now)))::integer;
	END IF;
	INSERT INTO people_searches (searcher_id, at) VALUES (searcher, now);
	RETURN 0;
END
$$;
COMMENT ON FUNCTION people_search_take(bigint, timestamptz, integer, integer) IS 'Takes one of searcher''s max_searches searches of people per window_secs at now: 0 when taken (recorded), otherwise the seconds until the oldest counted search leaves the window (nothing recorded).';

GRANT SELECT, INSERT, DELETE ON people_searches TO sangkien_app;

-- The rule of a public contact: as proposal_photos_public, with the contact's own consent.
CREATE FUNCTION proposal_contact_public(pid bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM proposals p JOIN campaigns c ON c.id = p.campaign_id
		JOIN models m ON m.proposal_id = p.id
		WHERE p.id = pid AND p.status = 'submitted' AND p.contact_public_at IS NOT NULL
			AND c.state = 'published' AND m.award IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = p.author_id))
$$;
COMMENT ON FUNCTION proposal_contact_public(bigint) IS 'True when the author''s name and phone number may be shown as the contact of proposal pid: a published winner (award in the catalogue) whose author consented and has not deleted their account.';

-- As sql/026, the contact under proposal_contact_public.
CREATE OR REPLACE FUNCTION proposal_showcase(pid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT jsonb_build_object(
		'photos', CASE WHEN proposal_photos_public(p.id) THEN coalesce((SELECT jsonb_agg(jsonb_build_object(
				'id', f.id,
				'src_320', '/api/v1/public/photos/' || f.id || '-' || left(f.sha256, 32) || '.webp?size=320',
				'src_1024', '/api/v1/public/photos/' || f.id || '-' || left(f.sha256, 32) || '.webp?size=1024')
				ORDER BY f.id)
			FROM attachments f WHERE f.proposal_id = p.id AND f.mime LIKE 'image/%'
				AND (SELECT count(*) FROM attachment_sizes z WHERE z.attachment_id = f.id) = 2), '[]'::jsonb)
			ELSE '[]'::jsonb END,
		'contact', CASE WHEN a.login_kind = 'phone' AND proposal_contact_public(p.id)
			THEN jsonb_build_object('kind', 'author', 'name', a.display_name, 'phone', a.login, 'ward_name', w.name)
			ELSE jsonb_build_object('kind', 'ward', 'name', w.name, 'details', w.public_contact) END)
	FROM proposals p JOIN accounts a ON a.id = p.author_id JOIN wards w ON w.id = p.ward_id WHERE p.id = pid);
END
$$;
COMMENT ON FUNCTION proposal_showcase(bigint) IS 'Public photos and contact of proposal pid for the results, catalogue and model pages: {"photos": [{id, src_320, src_1024}], "contact": {kind author|ward, …}}; the author only under proposal_contact_public, the photos only under proposal_photos_public.';

-- As sql/031, and the newest revision must have been written by this very transaction.
CREATE OR REPLACE FUNCTION campaign_texts_revised() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	r campaign_revisions;
	written_by xid;
BEGIN
	IF OLD.state = 'draft' OR (NEW.title, NEW.description, NEW.rules)
	   IS NOT DISTINCT FROM (OLD.title, OLD.description, OLD.rules) THEN
		RETURN NEW;
	END IF;
	-- The newest revision of the call must be this very change, field by field, written just before it.
	SELECT * INTO r FROM campaign_revisions v WHERE v.campaign_id = OLD.id ORDER BY v.id DESC LIMIT 1;
	SELECT v.xmin INTO written_by FROM campaign_revisions v WHERE v.id = r.id;
	IF r.id IS NULL OR written_by IS DISTINCT FROM pg_current_xact_id()::xid
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
COMMENT ON FUNCTION campaign_texts_revised() IS 'Refuses (check_violation) a change of the title, description or rules of a campaign that has left draft unless the campaign''s newest campaign_revisions row records exactly that change and was written in the same transaction (first, by the server).';
