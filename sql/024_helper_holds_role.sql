-- A volunteer acts on a proposal they submitted for a resident only while holding the volunteer
-- role in the proposal's ward (issue 8: a revoked role stops working at once). Before, the write
-- functions trusted proposals.helped_by alone, so a volunteer whose role was revoked could still
-- edit, submit, withdraw and attach files to the residents' proposals they had helped with.
--
-- The four write functions keep their bodies: each is renamed to *_unchecked and called by a
-- wrapper of the old name that first checks the actor, answering exactly as the old function
-- does for someone who is neither the author nor the helper.

CREATE FUNCTION proposal_actor_ok(pid bigint, actor bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT p.author_id = actor OR (p.helped_by = actor AND EXISTS (
			SELECT 1 FROM role_grants g
			WHERE g.account_id = actor AND g.ward_id = p.ward_id AND g.role = 'volunteer'))
		FROM proposals p WHERE p.id = pid), true)
$$;
COMMENT ON FUNCTION proposal_actor_ok(bigint, bigint) IS 'True when actor may write proposal pid: its author, or the volunteer who submitted it for the author while holding the volunteer role in its ward now. True for a proposal that does not exist (the write function then answers proposal_not_found itself).';

ALTER FUNCTION proposal_update(bigint, bigint, timestamptz, integer, bigint, text, text, text, text, text, integer,
	text, bigint, text[], text, inet) RENAME TO proposal_update_unchecked;
CREATE FUNCTION proposal_update(pid bigint, actor bigint, now timestamptz, v_version integer,
	v_group bigint, v_title text, v_summary text, v_problem text, v_model text,
	v_beneficiaries text, v_households integer, v_resources text, v_cost bigint, v_tags text[],
	v_search text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF NOT proposal_actor_ok(pid, actor) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	RETURN proposal_update_unchecked(pid, actor, now, v_version, v_group, v_title, v_summary, v_problem, v_model,
		v_beneficiaries, v_households, v_resources, v_cost, v_tags, v_search, ip);
END
$$;

ALTER FUNCTION proposal_set_status(bigint, bigint, timestamptz, text, inet) RENAME TO proposal_set_status_unchecked;
CREATE FUNCTION proposal_set_status(pid bigint, actor bigint, now timestamptz, target text, ip inet)
	RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF NOT proposal_actor_ok(pid, actor) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	RETURN proposal_set_status_unchecked(pid, actor, now, target, ip);
END
$$;

ALTER FUNCTION attachment_add(bigint, bigint, timestamptz, text, text, bytea, integer, text, inet)
	RENAME TO attachment_add_unchecked;
CREATE FUNCTION attachment_add(pid bigint, actor bigint, now timestamptz, v_filename text, v_mime text,
	v_content bytea, v_size integer, v_sha256 text, ip inet) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF NOT proposal_actor_ok(pid, actor) THEN
		PERFORM rule('proposal_not_found');
	END IF;
	RETURN attachment_add_unchecked(pid, actor, now, v_filename, v_mime, v_content, v_size, v_sha256, ip);
END
$$;

ALTER FUNCTION attachment_delete(bigint, bigint, timestamptz, inet) RENAME TO attachment_delete_unchecked;
CREATE FUNCTION attachment_delete(aid bigint, actor bigint, now timestamptz, ip inet) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	IF NOT proposal_actor_ok((SELECT proposal_id FROM attachments WHERE id = aid), actor) THEN
		PERFORM rule('attachment_not_found');
	END IF;
	PERFORM attachment_delete_unchecked(aid, actor, now, ip);
END
$$;
