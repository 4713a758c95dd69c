-- Issue 13: notifications. A transactional outbox: every event someone should hear about writes a
-- notification row in the same transaction as the change that caused it (AFTER INSERT triggers on
-- audit_log map audit events to notices, so the write functions are not redefined), with one
-- pending delivery row per outside channel the person enabled and has an address for. In-app
-- notices need no delivery row: the list is the notifications table itself. A sender (issue 13
-- part 2) delivers the pending rows; time-based events come from notification_timers(now).

CREATE TABLE notification_settings (
	account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	sms boolean NOT NULL DEFAULT false,
	zalo boolean NOT NULL DEFAULT false,
	email boolean NOT NULL DEFAULT false,
	email_address text CHECK (email_address IS NULL OR (char_length(email_address) BETWEEN 3 AND 254
		AND email_address ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$')),
	notify_helper boolean NOT NULL DEFAULT false,
	lang text NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
	updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE notification_settings IS 'The outside channels a person chose in "Tài khoản của tôi" (in-app notices are always on). No row: in-app only, in Vietnamese. The phone of sms and zalo is the login when it is a phone number; the email is email_address, else the login when it is an email.';
COMMENT ON COLUMN notification_settings.notify_helper IS 'The resident''s consent that SMS and Zalo messages go to the volunteer who created their account in the assisted flow (while that volunteer holds the role in the ward) instead of their own phone.';
COMMENT ON COLUMN notification_settings.lang IS 'The language notices are written in for outside channels; in-app notices are rendered in the reader''s language.';

CREATE TABLE notifications (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	ward_id bigint, -- no foreign key: one check less on every submission; wards are never deleted
	event text NOT NULL CHECK (event ~ '^[a-z_]{3,64}$'),
	facts jsonb NOT NULL,
	lang text NOT NULL CHECK (lang IN ('vi', 'en')),
	created_at timestamptz NOT NULL,
	read_at timestamptz,
	dedupe_key text UNIQUE
);
COMMENT ON TABLE notifications IS 'One notice to one person: which event, the facts needed to render it (src/notify/notice_text.c renders title and body per language and channel), when. Written in the same transaction as the change it tells of. read_at: when the person marked it read in the app.';
COMMENT ON COLUMN notifications.dedupe_key IS 'Set for events that must be told once only (timers, first assignment to a panel): a second insert with the same key writes nothing.';
-- The list, and the unread count (a person's notices are few: the count reads them all).
CREATE INDEX notifications_account ON notifications (account_id, id DESC);

CREATE TABLE notification_deliveries (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	channel text NOT NULL CHECK (channel IN ('sms', 'zalo', 'email')),
	address text NOT NULL CHECK (char_length(address) BETWEEN 3 AND 254),
	idempotency_key text NOT NULL UNIQUE,
	state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	give_up_at timestamptz NOT NULL,
	last_error text,
	sent_at timestamptz,
	UNIQUE (notification_id, channel)
);
COMMENT ON TABLE notification_deliveries IS 'The outbox: one row per notification and outside channel, pending until a sender delivers it (sent), gives up after give_up_at (failed), or it is withdrawn (cancelled). idempotency_key is sent with every attempt so that a gateway can drop a repeat.';
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE notification_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id bigint NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
	at timestamptz NOT NULL,
	outcome text NOT NULL,
	http_status integer,
	detail text
);
COMMENT ON TABLE notification_attempts IS 'Each attempt a sender made to deliver a row of notification_deliveries, with its outcome.';
CREATE INDEX notification_attempts_delivery ON notification_attempts (delivery_id);

-- A delivery may wait this long before the sender gives up (part 2 may redefine notify_give_up).
CREATE FUNCTION notify_give_up() RETURNS interval LANGUAGE sql IMMUTABLE AS $$ SELECT interval '24 hours' $$;

/*
 * The deliveries of notice nid (for account, written at `at`): one pending row per outside channel
 * the account enabled and has an address for. Returns how many.
 */
CREATE FUNCTION notify_deliveries(nid bigint, account bigint, at timestamptz) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	s notification_settings;
	a accounts;
	phone text;
	email text;
	n int;
BEGIN
	SELECT * INTO s FROM notification_settings WHERE account_id = account;
	IF s.account_id IS NULL OR NOT (s.sms OR s.zalo OR s.email) THEN
		RETURN 0;
	END IF;
	SELECT * INTO a FROM accounts WHERE id = account;
	phone := CASE WHEN a.login_kind = 'phone' THEN a.login END;
	email := coalesce(s.email_address, CASE WHEN a.login_kind = 'email' THEN a.login END);
	IF s.notify_helper THEN
		SELECT v.login INTO phone FROM assisted_accounts aa JOIN accounts v ON v.id = aa.volunteer_id
		WHERE aa.account_id = account AND v.login_kind = 'phone'
			AND EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = v.id AND g.ward_id = aa.ward_id
				AND g.role = 'volunteer');
		phone := coalesce(phone, CASE WHEN a.login_kind = 'phone' THEN a.login END);
	END IF;
	INSERT INTO notification_deliveries (notification_id, channel, address, idempotency_key, next_attempt_at, give_up_at)
	SELECT nid, ch.channel, ch.address, 'sk-n' || nid || '-' || ch.channel, at, at + notify_give_up()
	FROM (VALUES ('sms', s.sms, phone), ('zalo', s.zalo, phone), ('email', s.email, email)) AS ch (channel, wanted, address)
	WHERE ch.wanted AND ch.address IS NOT NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION notify_deliveries(bigint, bigint, timestamptz) IS 'Queues notice nid on every outside channel its account enabled and has an address for (SMS and Zalo to the helping volunteer with notify_helper). Called by notify() and the triggers'' fast paths.';

/*
 * The one writer of notifications: a notice of event ev for account, with its deliveries. Nothing
 * when dedupe is set and already used. Returns the notification id or NULL.
 */
CREATE FUNCTION notify(account bigint, ward bigint, ev text, facts jsonb, at timestamptz, dedupe text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	nid bigint;
	wants boolean;
BEGIN
	SELECT s.sms OR s.zalo OR s.email INTO wants FROM notification_settings s WHERE s.account_id = account;
	INSERT INTO notifications (account_id, ward_id, event, facts, lang, created_at, dedupe_key)
	VALUES (account, ward, ev, facts,
		coalesce((SELECT lang FROM notification_settings WHERE account_id = account), 'vi'), at, dedupe)
	ON CONFLICT (dedupe_key) DO NOTHING
	RETURNING id INTO nid;
	IF nid IS NOT NULL AND wants THEN
		PERFORM notify_deliveries(nid, account, at);
	END IF;
	RETURN nid;
END
$$;
COMMENT ON FUNCTION notify(bigint, bigint, text, jsonb, timestamptz, text) IS 'Writes a notice of event ev for account (in its chosen language), and one pending delivery per outside channel it enabled and has an address for. With dedupe, a second call with the same key writes nothing. Returns the notification id, or NULL when deduplicated.';

-- The leaders of a ward.
CREATE FUNCTION ward_leaders(ward bigint) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
	SELECT account_id FROM role_grants WHERE ward_id = ward AND role = 'leader'
$$;

/*
 * Audit events → notices. Runs in the transaction of the audited change, so a change that rolls
 * back leaves no notice. Only the actions listed in the trigger's WHEN clause reach it.
 */
CREATE FUNCTION audit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	obj bigint := nullif(split_part(NEW.subject, ':', 2), '')::bigint;
	p proposals;
	c campaigns;
	d decisions;
	who bigint;
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
		SELECT * INTO p FROM proposals WHERE id = obj;
		IF NOT EXISTS (SELECT 1 FROM assignments a WHERE a.campaign_id = p.campaign_id AND NOT EXISTS (
				SELECT 1 FROM reviews r WHERE r.proposal_id = a.proposal_id AND r.panelist_id = a.panelist_id
					AND r.status = 'submitted')) THEN
			SELECT * INTO c FROM campaigns WHERE id = p.campaign_id;
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
CREATE TRIGGER audit_notify AFTER INSERT ON audit_log FOR EACH ROW
	WHEN (NEW.action IN ('campaign_deadline_extended', 'decision_published',
		'setup_code_issued', 'password_reset_code_issued', 'password_set_with_code', 'password_reset_with_code',
		'panel_set', 'panel_locked', 'review_submit'))
	EXECUTE FUNCTION audit_notify();
COMMENT ON FUNCTION audit_notify() IS 'Maps an audit event to the notices it causes, in the same transaction (proposals: audit_notify_proposal): deadline extended (authors of the call), results published or corrected (each author, with their own rank and award; leaders on a correction), set-up code issued and password changed (the account), panelist assigned (once per call) and panel locked (panelists), every review in (leaders, once).';

/*
 * The hot path, every submission: proposal received or withdrawn, to its author. A function of its
 * own (one statement, few variables) because a submission must stay cheap (issue 13: at most 10 %
 * of the submission benchmark).
 */
CREATE FUNCTION audit_notify_proposal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	nid bigint;
	who bigint;
	wants boolean;
BEGIN
	INSERT INTO notifications (account_id, ward_id, event, facts, lang, created_at)
	SELECT pr.author_id, pr.ward_id,
		CASE NEW.action WHEN 'proposal_submitted' THEN 'proposal_received' ELSE 'proposal_withdrawn' END,
		jsonb_build_object('proposal_id', pr.id, 'campaign_id', pr.campaign_id, 'tracking_code', pr.tracking_code,
			'title', pr.title, 'campaign_title', ca.title),
		coalesce(st.lang, 'vi'), NEW.at
	FROM proposals pr JOIN campaigns ca ON ca.id = pr.campaign_id
	LEFT JOIN notification_settings st ON st.account_id = pr.author_id
	WHERE pr.id = substr(NEW.subject, 10)::bigint
	RETURNING id, account_id, EXISTS (SELECT 1 FROM notification_settings x WHERE x.account_id = notifications.account_id
		AND (x.sms OR x.zalo OR x.email)) INTO nid, who, wants;
	IF wants THEN
		PERFORM notify_deliveries(nid, who, NEW.at);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER audit_notify_proposal AFTER INSERT ON audit_log FOR EACH ROW
	WHEN (NEW.action IN ('proposal_submitted', 'proposal_withdrawn') AND NEW.subject LIKE 'proposal:%')
	EXECUTE FUNCTION audit_notify_proposal();

/*
 * A session from a new device: a known_devices row for an account that had logged in before.
 * The first login of an account makes its first known device and tells nobody.
 */
CREATE FUNCTION known_device_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT count(*) FROM (SELECT 1 FROM sessions WHERE account_id = NEW.account_id LIMIT 2) s) > 1 THEN
		PERFORM notify(NEW.account_id, NULL, 'new_device', jsonb_build_object('at', iso(NEW.created_at)), NEW.created_at);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER known_device_notify AFTER INSERT ON known_devices FOR EACH ROW EXECUTE FUNCTION known_device_notify();

ALTER TABLE campaigns ADD COLUMN scoring_deadline timestamptz;
COMMENT ON COLUMN campaigns.scoring_deadline IS 'When the panel should have scored every assigned proposal: panelists with reviews missing are reminded 48 h and 6 h before it (notification_timers). NULL: no reminders.';

/*
 * Time-based notices due at now, each once (dedupe_key): reminders 48 h and 6 h before a call's
 * scoring deadline to panelists with assigned reviews not submitted (panel not locked), and to the
 * ward's leaders that a call's submission deadline passed (within the last 7 days). Returns how
 * many notices it wrote. Called by the server's periodic thread with its clock.
 */
CREATE FUNCTION notification_timers(now timestamptz) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	n int := 0;
	r record;
BEGIN
	FOR r IN
		SELECT c.id, c.ward_id, c.title, c.scoring_deadline, a.panelist_id, count(*) AS missing,
			CASE WHEN now >= c.scoring_deadline - interval '6 hours' THEN 6 ELSE 48 END AS hours
		FROM campaigns c JOIN assignments a ON a.campaign_id = c.id
		WHERE c.scoring_deadline IS NOT NULL AND c.panel_locked_at IS NULL AND c.state IN ('closed', 'appraisal')
			AND now >= c.scoring_deadline - interval '48 hours' AND now < c.scoring_deadline
			AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.proposal_id = a.proposal_id AND v.panelist_id = a.panelist_id
				AND v.status = 'submitted')
		GROUP BY c.id, a.panelist_id
	LOOP
		IF notify(r.panelist_id, r.ward_id, 'review_reminder',
			jsonb_build_object('campaign_id', r.id, 'campaign_title', r.title, 'hours', r.hours,
				'missing', r.missing, 'deadline', iso(r.scoring_deadline)),
			now, 'review_reminder:' || r.hours || ':' || r.id || ':' || extract(epoch FROM r.scoring_deadline)::bigint
				|| ':' || r.panelist_id) IS NOT NULL THEN
			n := n + 1;
		END IF;
	END LOOP;
	FOR r IN
		SELECT c.id, c.ward_id, c.title, c.closes_at, l.account_id
		FROM campaigns c JOIN role_grants l ON l.ward_id = c.ward_id AND l.role = 'leader'
		WHERE c.state IN ('open', 'closed') AND c.closes_at <= now AND c.closes_at > now - interval '7 days'
	LOOP
		IF notify(r.account_id, r.ward_id, 'deadline_passed',
			jsonb_build_object('campaign_id', r.id, 'campaign_title', r.title, 'closes_at', iso(r.closes_at),
				'submitted', (SELECT count(*) FROM proposals WHERE campaign_id = r.id AND status = 'submitted')),
			now, 'deadline_passed:' || r.id || ':' || extract(epoch FROM r.closes_at)::bigint || ':' || r.account_id)
			IS NOT NULL THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION notification_timers(timestamptz) IS 'Writes the time-based notices due at now, each once: review reminders 48 h and 6 h before scoring_deadline, and deadline passed to leaders. Idempotent. Returns the number of notices written.';

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications, notification_settings, notification_deliveries,
	notification_attempts TO sangkien_app;

-- Personal data: the export lists a person's notices, channel choices and queued deliveries; deleting
-- the account deletes them (their facts quote the person's proposals, the deliveries their addresses).
ALTER FUNCTION personal_export(bigint) RENAME TO personal_export_without_notices;

CREATE FUNCTION personal_export(aid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT personal_export_without_notices(aid) || jsonb_build_object(
		'notifications', coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id, 'event', n.event, 'facts', n.facts,
			'lang', n.lang, 'created_at', iso(n.created_at), 'read_at', iso(n.read_at),
			'deliveries', coalesce((SELECT jsonb_agg(jsonb_build_object('channel', d.channel, 'address', d.address,
				'state', d.state, 'attempts', d.attempts, 'sent_at', iso(d.sent_at)) ORDER BY d.id)
				FROM notification_deliveries d WHERE d.notification_id = n.id), '[]')) ORDER BY n.id)
			FROM notifications n WHERE n.account_id = aid), '[]'),
		'notification_settings', (SELECT jsonb_build_object('sms', s.sms, 'zalo', s.zalo, 'email', s.email,
			'email_address', s.email_address, 'notify_helper', s.notify_helper, 'lang', s.lang,
			'updated_at', iso(s.updated_at)) FROM notification_settings s WHERE s.account_id = aid))
$$;
COMMENT ON FUNCTION personal_export(bigint) IS 'Everything held about account aid, as one JSON document (GET /api/v1/me/export): the account, roles, sessions, proposals with revisions, consents, audit events (other people''s addresses left out), password set-up codes (never their hashes), known devices (never their tokens), the assisted-flow records, and notices with their deliveries and the channel choices.';

ALTER FUNCTION personal_delete(bigint, timestamptz, inet) RENAME TO personal_delete_keeping_notices;

CREATE FUNCTION personal_delete(aid bigint, now timestamptz, ip inet) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM personal_delete_keeping_notices(aid, now, ip);
	DELETE FROM notifications WHERE account_id = aid;
	DELETE FROM notification_settings WHERE account_id = aid;
END
$$;
COMMENT ON FUNCTION personal_delete(bigint, timestamptz, inet) IS 'Deletes account aid''s personal data (personal_delete_keeping_notices), then its notices, their deliveries and its channel choices.';
