-- 023: the ward runs itself in the browser (issue 9, administration and the leader's find-a-resident).
--
-- 1. A residential group can be retired: it keeps its history (old residents, proposals, adoptions and
--    records still name it), but no new resident and no new proposal can be placed in it. Refused by
--    triggers with check_violation, so every write path (registration, the assisted flow, a proposal's
--    create or update) refuses it the same way.
-- 2. An administrator of a ward may make a password set-up code for an account whose every role is in a
--    ward they administer (for example a panelist or leader they have just created). Not for an account
--    that holds an admin role once it has a password: a ward admin cannot take over a fellow admin.
-- Forward-only: never edit this file once applied; add a new numbered file.

ALTER TABLE residential_groups ADD COLUMN retired_at timestamptz;
COMMENT ON COLUMN residential_groups.retired_at IS 'When the group was retired (NULL: in use). A retired group keeps its history but takes no new resident and no new proposal (triggers residential_group_in_use).';

CREATE FUNCTION residential_group_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.group_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.group_id IS DISTINCT FROM OLD.group_id)
	   AND EXISTS (SELECT 1 FROM residential_groups g WHERE g.id = NEW.group_id AND g.retired_at IS NOT NULL) THEN
		RAISE EXCEPTION 'group_retired' USING ERRCODE = 'check_violation',
			DETAIL = 'Residential group ' || NEW.group_id || ' is retired.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION residential_group_in_use() IS 'Refuses (check_violation, message group_retired) a new resident grant or proposal placed in a retired residential group.';
CREATE TRIGGER role_grants_group_in_use BEFORE INSERT OR UPDATE OF group_id ON role_grants
	FOR EACH ROW EXECUTE FUNCTION residential_group_in_use();
CREATE TRIGGER proposals_group_in_use BEFORE INSERT OR UPDATE OF group_id ON proposals
	FOR EACH ROW EXECUTE FUNCTION residential_group_in_use();

-- As sql/018, with the ward administrator's branch (after the installation admin's).
CREATE OR REPLACE FUNCTION setup_code_authority(actor bigint, account bigint)
	RETURNS TABLE (ward_id bigint, issued_as text) LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	IF EXISTS (SELECT 1 FROM account_deletions d WHERE d.account_id = account) THEN
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = actor AND r.ward_id IS NULL AND r.role = 'admin') THEN
		RETURN QUERY SELECT NULL::bigint, 'admin'::text;
		RETURN;
	END IF;
	-- A ward's administrator: every role of the account is in a ward they administer (an account with
	-- no role is nobody's), and an account holding an admin role only while it has never had a password.
	IF actor <> account
	   AND EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account)
	   AND NOT EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account
			AND (r.ward_id IS NULL OR NOT EXISTS (SELECT 1 FROM role_grants m
				WHERE m.account_id = actor AND m.ward_id = r.ward_id AND m.role = 'admin')))
	   AND NOT EXISTS (SELECT 1 FROM role_grants r JOIN accounts a ON a.id = r.account_id
			WHERE r.account_id = account AND r.role = 'admin' AND a.password_hash IS NOT NULL) THEN
		RETURN QUERY SELECT min(r.ward_id), 'admin'::text FROM role_grants r WHERE r.account_id = account;
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account AND r.role <> 'resident') THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT r.ward_id, 'leader'::text FROM role_grants r
		WHERE r.account_id = account AND r.role = 'resident'
			AND EXISTS (SELECT 1 FROM role_grants l WHERE l.account_id = actor AND l.ward_id = r.ward_id AND l.role = 'leader')
		ORDER BY r.ward_id LIMIT 1;
	IF FOUND THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT x.ward_id, 'volunteer'::text FROM assisted_accounts x JOIN accounts a ON a.id = x.account_id
		WHERE x.account_id = account AND x.volunteer_id = actor AND x.first_password_at IS NULL
			AND a.password_hash IS NULL
			AND EXISTS (SELECT 1 FROM role_grants v WHERE v.account_id = actor AND v.ward_id = x.ward_id AND v.role = 'volunteer')
			AND EXISTS (SELECT 1 FROM role_grants r WHERE r.account_id = account AND r.ward_id = x.ward_id AND r.role = 'resident');
END
$$;
COMMENT ON FUNCTION setup_code_authority(bigint, bigint) IS 'Whether actor may make account a password set-up code: an installation admin; an admin of every ward where the account holds a role (an account holding an admin role only before its first password; never for oneself); a leader of a ward where the account is a resident; the volunteer who created the account in the assisted flow, while it has never had a password. Leaders and volunteers only for accounts whose only role is resident. A consent gives no authority.';
