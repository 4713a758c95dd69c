-- The leader's call after it opened (issue 9): its texts may still be corrected, each correction
-- kept as a public revision; its deadline may be extended, only later, with a public reason.
--
-- The current deadline stays in campaigns.closes_at, so every rule that compares against the
-- deadline (campaign_accepting, campaign_json's "accepting", the C transition rule) uses the
-- extended one without change. The configuration seal (config_digest, sql/002) keeps sealing the
-- configuration as it was when the call opened: campaign_config_text now writes the ORIGINAL
-- deadline (the first extension's old_closes_at), so the digest can still be recomputed, and
-- every later deadline is a row of campaign_extensions, public and append-only. The trigger that
-- freezes the configuration lets closes_at move only forward, only while the call is open and only
-- when the matching extension row was written first in the same transaction.
--
-- NOTE for merges: this migration replaces campaign_config_frozen() and campaign_config_text()
-- as sql/020 left them (blind_shows_group kept); a later migration that replaces them again must
-- carry both changes.

CREATE TABLE campaign_revisions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	campaign_id bigint NOT NULL,
	fields text[] NOT NULL CHECK (cardinality(fields) BETWEEN 1 AND 3
		AND fields <@ ARRAY['title', 'description', 'rules']::text[]),
	old_text jsonb NOT NULL,
	new_text jsonb NOT NULL,
	edited_by bigint REFERENCES accounts (id),
	edited_at timestamptz NOT NULL,
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id)
);
COMMENT ON TABLE campaign_revisions IS 'A change of the texts (title, description, rules) of a call after it opened: which fields, their text before (old_text) and after (new_text), who and when. Append-only; the dates and fields are shown on the public call page. Edits of a draft are not kept.';
CREATE INDEX campaign_revisions_campaign ON campaign_revisions (campaign_id, id);

CREATE TABLE campaign_extensions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ward_id bigint NOT NULL REFERENCES wards (id),
	campaign_id bigint NOT NULL,
	old_closes_at timestamptz NOT NULL,
	new_closes_at timestamptz NOT NULL,
	reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
	extended_by bigint REFERENCES accounts (id),
	extended_at timestamptz NOT NULL,
	CHECK (new_closes_at > old_closes_at),
	UNIQUE (campaign_id, old_closes_at),
	FOREIGN KEY (ward_id, campaign_id) REFERENCES campaigns (ward_id, id)
);
COMMENT ON TABLE campaign_extensions IS 'A deadline extension (gia hạn) of an open call: the deadline before and after, the reason shown publicly, who and when. Append-only. The first row''s old_closes_at is the deadline sealed in config_digest; campaigns.closes_at is the last row''s new_closes_at.';
CREATE INDEX campaign_extensions_campaign ON campaign_extensions (campaign_id, id);

CREATE FUNCTION campaign_history_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER campaign_revisions_no_change BEFORE UPDATE OR DELETE ON campaign_revisions
	FOR EACH ROW EXECUTE FUNCTION campaign_history_refuse_change();
CREATE TRIGGER campaign_extensions_no_change BEFORE UPDATE OR DELETE ON campaign_extensions
	FOR EACH ROW EXECUTE FUNCTION campaign_history_refuse_change();
REVOKE UPDATE, DELETE ON campaign_revisions, campaign_extensions FROM sangkien_app;
GRANT SELECT, INSERT ON campaign_revisions, campaign_extensions TO sangkien_app;

CREATE OR REPLACE FUNCTION campaign_config_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.state <> 'draft' AND (NEW.ranking_method, NEW.blind_review, NEW.reviews_required,
		NEW.opens_at, NEW.config_digest, NEW.ward_id, NEW.blind_shows_group)
		IS DISTINCT FROM (OLD.ranking_method, OLD.blind_review, OLD.reviews_required,
		OLD.opens_at, OLD.config_digest, OLD.ward_id, OLD.blind_shows_group) THEN
		RAISE EXCEPTION 'the configuration of an opened campaign is frozen' USING ERRCODE = 'check_violation';
	END IF;
	IF OLD.state <> 'draft' AND NEW.closes_at IS DISTINCT FROM OLD.closes_at AND NOT (
		OLD.state = 'open' AND NEW.state = 'open' AND EXISTS (SELECT 1 FROM campaign_extensions e
			WHERE e.campaign_id = OLD.id AND e.old_closes_at = OLD.closes_at
			AND e.new_closes_at = NEW.closes_at)) THEN
		RAISE EXCEPTION 'the deadline of an opened campaign moves only by a recorded extension while it is open'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION campaign_config_text(cid bigint) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT 'sangkien-config-v1' || E'\n'
		|| 'campaign=' || c.id || E'\n'
		|| 'ward=' || w.code || E'\n'
		|| 'opens_at=' || to_char(c.opens_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'closes_at=' || to_char(coalesce((SELECT e.old_closes_at FROM campaign_extensions e
			WHERE e.campaign_id = c.id ORDER BY e.id LIMIT 1), c.closes_at)
			AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || E'\n'
		|| 'ranking_method=' || c.ranking_method || E'\n'
		|| 'blind_review=' || c.blind_review || E'\n'
		|| 'reviews_required=' || c.reviews_required || E'\n'
		|| coalesce((SELECT string_agg('criterion=' || k.position || '|' || k.weight::text || '|'
			|| k.max_score || '|' || k.name, E'\n' ORDER BY k.position)
			FROM criteria k WHERE k.campaign_id = c.id), '') || E'\n'
		|| CASE WHEN c.blind_shows_group THEN 'blind_shows_group=true' || E'\n' ELSE '' END
	FROM campaigns c JOIN wards w ON w.id = c.ward_id WHERE c.id = cid
$$;
COMMENT ON FUNCTION campaign_config_text(bigint) IS 'Canonical configuration text of a campaign as it opened, hashed with SHA-256 into config_digest. closes_at is the deadline at opening (before any extension, see campaign_extensions). The line blind_shows_group=true is there only when that setting is on (sql/020), so calls sealed before it keep their digest. Anyone can recompute it from the published configuration.';

-- plpgsql rather than sql: its statements' plans are cached per connection (a non-inlined SQL
-- function is planned again on every call, which doubled the cost of GET /campaigns/{id}).
CREATE FUNCTION campaign_history_json(cid bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	first_deadline timestamptz;
	revisions jsonb;
	extensions jsonb;
BEGIN
	SELECT e.old_closes_at INTO first_deadline FROM campaign_extensions e
		WHERE e.campaign_id = cid ORDER BY e.id LIMIT 1;
	IF first_deadline IS NULL THEN
		SELECT c.closes_at INTO first_deadline FROM campaigns c WHERE c.id = cid;
		extensions := '[]'::jsonb;
	ELSE
		SELECT jsonb_agg(jsonb_build_object('old_closes_at', iso(e.old_closes_at),
			'new_closes_at', iso(e.new_closes_at), 'reason', e.reason, 'extended_at', iso(e.extended_at))
			ORDER BY e.id) INTO extensions FROM campaign_extensions e WHERE e.campaign_id = cid;
	END IF;
	SELECT coalesce(jsonb_agg(jsonb_build_object('revised_at', iso(r.edited_at), 'fields', to_jsonb(r.fields))
		ORDER BY r.id), '[]'::jsonb) INTO revisions FROM campaign_revisions r WHERE r.campaign_id = cid;
	RETURN jsonb_build_object('original_closes_at', iso(first_deadline), 'revisions', revisions,
		'extensions', extensions);
END
$$;
COMMENT ON FUNCTION campaign_history_json(bigint) IS 'The public history of a call, merged into GET /campaigns/{id}: the deadline it opened with, the dates and fields of its text revisions, its deadline extensions with their reasons.';
