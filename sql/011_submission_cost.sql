-- PostgreSQL's work per submission (docs/performance.md, "Submissions"): the same results with
-- less planning. A SQL-language function that PostgreSQL cannot inline, called from PL/pgSQL,
-- is parsed and planned again on every call; PL/pgSQL keeps its plans for the session.

-- iso() calls to_char(), which is STABLE: declared IMMUTABLE it was never inlined and ran as a
-- function call of its own each time. STABLE is its true volatility, and lets the planner inline
-- it into every caller (the text is the same: no part of the format depends on a setting).
CREATE OR REPLACE FUNCTION iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
COMMENT ON FUNCTION iso(timestamptz) IS 'A time as the API writes it: UTC, to the second, 2026-09-30T10:00:00Z. STABLE (to_char is) so that it is inlined.';

-- The same codes as sql/009 (at least four digits, more past 9,999), planned once per session.
CREATE OR REPLACE FUNCTION next_tracking_code(ward bigint, now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	prefix text;
	n bigint;
BEGIN
	SELECT w.code INTO prefix FROM wards w WHERE w.id = ward;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	n := nextval('tracking_seq');
	RETURN prefix || '-' || to_char(now AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '-'
		|| lpad(n::text, greatest(4, length(n::text)), '0');
END
$$;
COMMENT ON FUNCTION next_tracking_code(bigint, timestamptz) IS 'The next tracking code of ward: WARD-YYYY-NNNN (year in Viet Nam''s time, number installation-wide, at least four digits).';

-- The full view of a proposal, unchanged, as PL/pgSQL: its plan is kept for the session instead
-- of being made again on every call from proposal_create, proposal_update and proposal_set_status
-- (0.21 ms a call before, 0.035 ms after, pgbench on proposal_create). Building the reply of
-- proposal_create inline instead measured no faster than this, so the view stays in one place.
-- proposal_create keeps its FOR SHARE on the campaign row: the insert's foreign-key check locks
-- that row (FOR KEY SHARE) anyway, and removing it measured no difference at 4 or 8 clients.
CREATE OR REPLACE FUNCTION proposal_json(p proposals) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN jsonb_build_object(
		'id', p.id, 'campaign_id', p.campaign_id, 'ward_id', p.ward_id, 'status', p.status,
		'tracking_code', p.tracking_code, 'title', p.title, 'summary', p.summary, 'problem', p.problem,
		'model', p.model, 'beneficiaries', p.beneficiaries, 'households', p.households,
		'resources', p.resources, 'cost_vnd', p.cost_vnd, 'tags', to_jsonb(p.tags),
		'group_id', p.group_id, 'group_name', (SELECT g.name FROM residential_groups g WHERE g.id = p.group_id),
		'campaign_title', (SELECT c.title FROM campaigns c WHERE c.id = p.campaign_id),
		'author', (SELECT jsonb_build_object('id', a.id, 'display_name', a.display_name) FROM accounts a WHERE a.id = p.author_id),
		'helped_by', (SELECT jsonb_build_object('id', a.id, 'display_name', a.display_name) FROM accounts a WHERE a.id = p.helped_by),
		'version', p.version, 'created_at', iso(p.created_at), 'updated_at', iso(p.updated_at),
		'submitted_at', iso(p.submitted_at), 'withdrawn_at', iso(p.withdrawn_at),
		'revision_count', (SELECT count(*) FROM proposal_revisions r WHERE r.proposal_id = p.id),
		'attachments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, 'filename', f.filename,
			'mime', f.mime, 'size', f.size, 'sha256', f.sha256) ORDER BY f.id)
			FROM attachments f WHERE f.proposal_id = p.id), '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION proposal_json(proposals) IS 'The full API view of a proposal, for those allowed to see it (author, helping volunteer, the ward''s leaders).';

-- The trigram index on search_text cost about 0.3 ms of every insert (a 3 KB proposal has
-- thousands of trigrams) and served no query: the leader search (src/db/proposals.c) matches
-- search_text OR the tracking code, and with one side of the OR unindexable PostgreSQL never
-- uses it; it reads the call's proposals through proposals_campaign instead, which the search
-- always filters on. The search itself (fields, folding, results) is unchanged.
DROP INDEX proposals_search;

-- A submitted proposal is a row of about 6 KB (the texts and their folded copy), so PostgreSQL
-- compresses it on every insert; pglz was about 5 % of the backends' CPU in the submissions
-- benchmark. lz4 compresses and decompresses several times faster (proposal_create 0.21 ->
-- 0.18 ms in pgbench, 1 client, in two runs out of three). It applies to rows written from now
-- on; a PostgreSQL built without lz4 keeps pglz.
DO $$
BEGIN
	ALTER TABLE proposals ALTER COLUMN summary SET COMPRESSION lz4, ALTER COLUMN problem SET COMPRESSION lz4,
		ALTER COLUMN model SET COMPRESSION lz4, ALTER COLUMN beneficiaries SET COMPRESSION lz4,
		ALTER COLUMN resources SET COMPRESSION lz4, ALTER COLUMN search_text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'this PostgreSQL has no lz4: proposals keep pglz compression';
END
$$;
