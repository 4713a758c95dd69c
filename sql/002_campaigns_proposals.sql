-- Calls for proposals (campaigns), their criteria, proposals with revisions,
-- attachments, and the consent a resident gives a volunteer who submits for them.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE campaigns (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
	description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
	rules text NOT NULL DEFAULT '' CHECK (char_length(rules) <= 20000),
	opens_at timestamptz NOT NULL,
	closes_at timestamptz NOT NULL,
	blind_review boolean NOT NULL DEFAULT true,
	reviews_required integer NOT NULL DEFAULT 3 CHECK (reviews_required BETWEEN 1 AND 50),
	ranking_method text NOT NULL DEFAULT 'normalised' CHECK (ranking_method IN ('raw', 'normalised')),
	state text NOT NULL DEFAULT 'draft'
		CHECK (state IN ('draft', 'open', 'closed', 'appraisal', 'decided', 'published')),
	config_digest text,
	created_by bigint REFERENCES accounts (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (ward_id, id),
	CHECK (closes_at > opens_at),
	CHECK ((state = 'draft') = (config_digest IS NULL)),
	CHECK (config_digest IS NULL OR config_digest ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE campaigns IS 'A call for digital-transformation proposals (phong trào đề xuất mô hình chuyển đổi số) run by a ward. Configuration is frozen when it opens; config_digest is the SHA-256 of the frozen configuration.';
CREATE INDEX campaigns_ward ON campaigns (ward_id, id DESC);

CREATE TABLE criteria (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
	ward_id bigint NOT NULL REFERENCES wards (id),
	position integer NOT NULL CHECK (position BETWEEN 1 AND 10),
	name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
	description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
	weight numeric(8, 3) NOT NULL CHECK (weight > 0 AND weight <= 100),
	max_score integer NOT NULL DEFAULT 10 CHECK (max_score BETWEEN 1 AND 100),
	UNIQUE (campaign_id, position),
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE criteria IS 'The scoring criteria of a campaign (by default creativity, feasibility, community applicability), each with a weight and a scale maximum. Changeable only while the campaign is a draft.';

-- Criteria, weights and the ranking method cannot change once the campaign has opened.
CREATE FUNCTION criteria_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s text;
BEGIN
	SELECT state INTO s FROM campaigns WHERE id = coalesce(NEW.campaign_id, OLD.campaign_id);
	IF s IS DISTINCT FROM 'draft' AND s IS NOT NULL THEN
		RAISE EXCEPTION 'criteria are frozen once the campaign opens' USING ERRCODE = 'check_violation';
	END IF;
	RETURN coalesce(NEW, OLD);
END
$$;
CREATE TRIGGER criteria_frozen BEFORE INSERT OR UPDATE OR DELETE ON criteria
	FOR EACH ROW EXECUTE FUNCTION criteria_frozen();

CREATE FUNCTION campaign_config_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.state <> 'draft' AND (NEW.ranking_method, NEW.blind_review, NEW.reviews_required,
		NEW.opens_at, NEW.closes_at, NEW.config_digest, NEW.ward_id)
		IS DISTINCT FROM (OLD.ranking_method, OLD.blind_review, OLD.reviews_required,
		OLD.opens_at, OLD.closes_at, OLD.config_digest, OLD.ward_id) THEN
		RAISE EXCEPTION 'the configuration of an opened campaign is frozen' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER campaign_config_frozen BEFORE UPDATE ON campaigns
	FOR EACH ROW EXECUTE FUNCTION campaign_config_frozen();

-- The canonical text of a campaign's frozen configuration; its SHA-256 is config_digest.
CREATE FUNCTION campaign_config_text(cid bigint) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT 'sangkien-config-v1' || E'\n'
		|| 'campaign=' || c.id || E'\n'
		|| 'ward=' || w.code || E'\n'
		|| 'opens_at=' || to_char(c.opens_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'closes_at=' || to_char(c.closes_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'ranking_method=' || c.ranking_method || E'\n'
		|| 'blind_review=' || c.blind_review || E'\n'
		|| 'reviews_required=' || c.reviews_required || E'\n'
		|| coalesce((SELECT string_agg('criterion=' || k.position || '|' || k.weight::text || '|'
			|| k.max_score || '|' || k.name, E'\n' ORDER BY k.position)
			FROM criteria k WHERE k.campaign_id = c.id), '') || E'\n'
	FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE c.id = cid
$$;
COMMENT ON FUNCTION campaign_config_text(bigint) IS 'Canonical configuration text of a campaign, hashed with SHA-256 into config_digest when it opens. Anyone can recompute it from the published configuration.';

CREATE SEQUENCE tracking_seq;
COMMENT ON SEQUENCE tracking_seq IS 'Numbers in tracking codes (HC-2026-0042). One sequence for the installation: unique, never reused, gaps allowed.';

CREATE TABLE consents (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	resident_id bigint NOT NULL REFERENCES accounts (id),
	volunteer_id bigint NOT NULL REFERENCES accounts (id),
	text_version text NOT NULL CHECK (text_version ~ '^[a-z0-9.-]{1,20}$'),
	consented_at timestamptz NOT NULL,
	CHECK (resident_id <> volunteer_id)
);
COMMENT ON TABLE consents IS 'A resident''s consent, given in person to a community digital-tech volunteer, that the volunteer submits a proposal for them: which consent text version was shown, when, and by whom.';

CREATE TABLE proposals (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	campaign_id bigint NOT NULL,
	author_id bigint NOT NULL REFERENCES accounts (id),
	helped_by bigint REFERENCES accounts (id),
	consent_id bigint REFERENCES consents (id),
	group_id bigint,
	status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'withdrawn')),
	tracking_code text UNIQUE,
	title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
	summary text NOT NULL DEFAULT '' CHECK (char_length(summary) <= 1000),
	problem text NOT NULL DEFAULT '' CHECK (char_length(problem) <= 4000),
	model text NOT NULL DEFAULT '' CHECK (char_length(model) <= 4000),
	beneficiaries text NOT NULL DEFAULT '' CHECK (char_length(beneficiaries) <= 2000),
	households integer CHECK (households BETWEEN 0 AND 1000000),
	resources text NOT NULL DEFAULT '' CHECK (char_length(resources) <= 4000),
	cost_vnd bigint CHECK (cost_vnd BETWEEN 0 AND 10000000000000),
	tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
	search_text text NOT NULL DEFAULT '',
	version integer NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	submitted_at timestamptz,
	withdrawn_at timestamptz,
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id),
	FOREIGN KEY (ward_id, group_id) REFERENCES residential_groups (ward_id, id),
	CHECK ((helped_by IS NULL) = (consent_id IS NULL)),
	CHECK (status = 'draft' OR tracking_code IS NOT NULL),
	CHECK (status = 'draft' OR (group_id IS NOT NULL AND summary <> '' AND problem <> '' AND model <> ''
		AND beneficiaries <> '' AND households IS NOT NULL AND cost_vnd IS NOT NULL))
);
COMMENT ON TABLE proposals IS 'A proposal for a digital-transformation model. Belongs to its author (a resident) even when a volunteer (helped_by) submitted it. search_text is the diacritic-folded text the leader search matches, computed by the server.';
CREATE INDEX proposals_campaign ON proposals (campaign_id, id DESC);
CREATE INDEX proposals_author ON proposals (author_id, id DESC);
CREATE INDEX proposals_helper ON proposals (helped_by, id DESC) WHERE helped_by IS NOT NULL;
CREATE INDEX proposals_search ON proposals USING gin (search_text gin_trgm_ops);

CREATE TABLE proposal_revisions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	proposal_id bigint NOT NULL REFERENCES proposals (id),
	version integer NOT NULL,
	content jsonb NOT NULL,
	edited_by bigint REFERENCES accounts (id),
	edited_at timestamptz NOT NULL,
	UNIQUE (proposal_id, version)
);
COMMENT ON TABLE proposal_revisions IS 'The content of a submitted proposal before each edit: version is the version it had, content its fields.';

CREATE TABLE attachments (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	proposal_id bigint NOT NULL REFERENCES proposals (id),
	filename text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 200),
	mime text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
	size integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	content bytea NOT NULL,
	uploaded_by bigint REFERENCES accounts (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK (octet_length(content) = size)
);
COMMENT ON TABLE attachments IS 'Photos and PDFs attached to a proposal (at most 5, 10 MiB each), type checked by content. Served only to those who may see the proposal.';
CREATE INDEX attachments_proposal ON attachments (proposal_id);

CREATE TABLE account_deletions (
	account_id bigint PRIMARY KEY REFERENCES accounts (id),
	deleted_at timestamptz NOT NULL
);
COMMENT ON TABLE account_deletions IS 'Accounts whose owner deleted them: personal data was removed from the accounts row, proposals stay.';
