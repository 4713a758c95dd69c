-- The catalogue's order within one call: the award's place in the decision's list of awards
-- (Giải Nhất before Giải Nhì), then the rank. Kept on each model when it is written, so that
-- listing the catalogue never opens the decisions' snapshots.
-- Forward-only: never edit this file once applied; add a new numbered file.

ALTER TABLE models ADD COLUMN award_position integer, ADD COLUMN rank integer;
COMMENT ON COLUMN models.award_position IS 'Place (from 1) of the model''s award in its decision''s list of awards; NULL when the award is withdrawn or not in that list (a correction may name another award).';
COMMENT ON COLUMN models.rank IS 'Rank of the proposal in the decision that gave the award (models_order trigger).';

CREATE FUNCTION models_set_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT (SELECT a.n FROM jsonb_array_elements(d.snapshot -> 'awards') WITH ORDINALITY a(x, n)
			WHERE a.x ->> 'name' = NEW.award ORDER BY a.n LIMIT 1),
		(SELECT (x ->> 'rank')::integer FROM jsonb_array_elements(d.snapshot -> 'ranking') x
			WHERE (x ->> 'proposal_id')::bigint = NEW.proposal_id LIMIT 1)
	INTO NEW.award_position, NEW.rank
	FROM decisions d WHERE d.id = NEW.decision_id;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION models_set_order() IS 'Sets models.award_position and models.rank from the decision a model row points at.';

CREATE TRIGGER models_order BEFORE INSERT OR UPDATE OF award, decision_id ON models
	FOR EACH ROW EXECUTE FUNCTION models_set_order();

-- The models already published.
UPDATE models SET decision_id = decision_id;
