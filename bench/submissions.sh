#!/usr/bin/env bash
# bench/submissions.sh: many residents submitting at once just before the deadline (issues 3
# and 12), judged on the ratio to the durable-insert reference measured in the same rounds
# (bench/lib.sh has the harness and its BENCH_* settings).
#
#   bench/submissions.sh               # from anywhere inside the checkout
#
# Seeds a ward with residential groups and an open call (criteria frozen, config digest)
# whose deadline is a few minutes ahead, and BENCH_RESIDENTS resident accounts with one
# session each (BENCH_API_RESIDENTS through the API, the rest with SQL as auth.c and sql/001
# define them). Then, interleaved, BENCH_RUNS rounds of:
#   insert   bench-reference POST /ref/insert: one durable one-row INSERT per request through
#            MHD + a libpq pool of the server's size + jansson (bench/lua/insert.lua)
#   submit   wrk (bench/lua/submissions.lua) POSTs one complete proposal with submit:true per
#            request, each with the next session's cookie and X-CSRF-Token; the Lua script
#            stops sending at the end of the window and lets every request in flight finish.
# Checks afterwards: the number of 201 replies (all runs, warm-up included) equals the number
# of submitted proposals of the call in the database, and of their proposal_submitted audit rows.
# Targets (issue 12): submissions >= 0.5 x insert reference, p99 < 100 ms at 64 connections;
# every acknowledged submission stored with its audit row. Prints what the statements cost.
#   BENCH_RESIDENTS     resident accounts with a session (default 2000)
#   BENCH_API_RESIDENTS of them registered through the API (default 4)
#   BENCH_GROUPS        residential groups of the ward (default 12)
#   BENCH_TRACKING_WORKAROUND  see below (default 1)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init submissions
WINDOW=$DURATION
RESIDENTS=${BENCH_RESIDENTS:-2000}
API_RESIDENTS=${BENCH_API_RESIDENTS:-4}
NGROUPS=${BENCH_GROUPS:-12}
GRACE=3 # wrk runs this much longer than the window: the last replies arrive, then it stops
for v in RESIDENTS NGROUPS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer"
done
[[ $API_RESIDENTS =~ ^[0-9]+$ && $API_RESIDENTS -le $RESIDENTS ]] || die "BENCH_API_RESIDENTS must be a whole number <= BENCH_RESIDENTS"
LUA=$SK_ROOT/bench/lua/submissions.lua
[[ -f $LUA ]] || die "$LUA is missing"
bench_build
bench_database sub
bench_start

# ---------------------------------------------------------------- seed
# sql/003's next_tracking_code() pads the installation-wide number with lpad(n, 4, '0'),
# which TRUNCATES from 10000 on ('10000' -> '1000'): every submission after the 9,999th
# of the installation collides with an earlier tracking code (unique violation, HTTP
# 500). A benchmark sends more than that, so unless BENCH_TRACKING_WORKAROUND=0 the
# throw-away database gets the same function padding to at least 4 digits instead (the
# same cost; the codes below 10000 are unchanged), and the report says so.
TRACKING_NOTE=
if [[ $(q -c "SELECT count(*) FROM pg_proc WHERE proname = 'next_tracking_code'
	AND prosrc LIKE '%lpad(nextval(''tracking_seq'')::text, 4, ''0'')%'") == 1 ]]; then
	if [[ ${BENCH_TRACKING_WORKAROUND:-1} != 0 ]]; then
		q <<'SQL' >/dev/null || die "cannot apply the tracking-code workaround"
CREATE OR REPLACE FUNCTION next_tracking_code(ward bigint, now timestamptz) RETURNS text LANGUAGE sql AS $$
	SELECT w.code || '-' || to_char(now AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '-'
		|| (SELECT lpad(n::text, greatest(4, length(n::text)), '0') FROM (SELECT nextval('tracking_seq') AS n) s)
	FROM wards w WHERE w.id = ward
$$;
SQL
		TRACKING_NOTE="workaround applied: next_tracking_code() (sql/003) truncates numbers >= 10000 (lpad(n, 4, '0')) and would refuse every submission after the 9,999th with a unique violation (HTTP 500); this run used a copy that pads to at least 4 digits (BENCH_TRACKING_WORKAROUND=0 measures it as it is)"
	else
		TRACKING_NOTE="no workaround: next_tracking_code() (sql/003) truncates numbers >= 10000; submissions after the 9,999th collide (HTTP 500)"
	fi
	log "$TRACKING_NOTE"
fi

# The deadline: far enough for every run (with retries), close enough to be "just before".
BUDGET=$(((WARMUP + GRACE) * 2 + RUNS * (RETRIES + 1) * (WINDOW + GRACE + 2) * 2 + 180))
log "seeding: ward, $NGROUPS groups, an open call closing in $BUDGET s, $RESIDENTS residents with sessions"
read -r WARD_ID CAMPAIGN_ID <<<"$(q -F " " <<SQL
INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench');
INSERT INTO residential_groups (ward_id, name)
	SELECT w.id, format('Tổ dân phố %s', i) FROM wards w, generate_series(1, $NGROUPS) i WHERE w.code = 'BENCH';
INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at)
	SELECT id, 'Phong trào đề xuất mô hình chuyển đổi số 2026', 'Cuộc thi của phường (benchmark).',
		now() - interval '30 days', now() + make_interval(secs => $BUDGET) FROM wards WHERE code = 'BENCH';
INSERT INTO criteria (campaign_id, ward_id, position, name, weight, max_score)
	SELECT c.id, c.ward_id, k.position, k.name, k.weight, 10 FROM campaigns c,
	(VALUES (1, 'Tính sáng tạo', 40), (2, 'Tính khả thi', 35), (3, 'Khả năng áp dụng tại cộng đồng', 25))
		AS k (position, name, weight);
UPDATE campaigns SET state = 'open', config_digest = encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex');
SELECT w.id, c.id FROM wards w JOIN campaigns c ON c.ward_id = w.id;
SQL
)" || die "seeding the call failed (has the schema changed?)"
[[ -n $CAMPAIGN_ID ]] || die "seeding the call returned no id"
GROUP_IDS=$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM residential_groups WHERE ward_id = $WARD_ID")
FIRST_GROUP=${GROUP_IDS%%,*}
accepting=$(curl -s -m 60 "$SERVER/api/v1/campaigns/$CAMPAIGN_ID" | sed -n 's/.*"accepting":\(true\|false\).*/\1/p')
[[ $accepting == true ]] || die "GET /api/v1/campaigns/$CAMPAIGN_ID does not say the call is accepting"

: >"$WORK/sessions.txt"
for i in $(seq "$API_RESIDENTS"); do
	login=bench-api-$i-$$@example.vn
	password=bench-password-$$-$i
	status=$(curl -s -m 60 -o "$WORK/account.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"login\":\"$login\",\"password\":\"$password\",\"display_name\":\"Cư dân API $i\",\"ward_id\":$WARD_ID,\"group_id\":$FIRST_GROUP}" \
		"$SERVER/api/v1/accounts")
	[[ $status == 201 ]] || die "POST /api/v1/accounts answered $status: $(cat "$WORK/account.json")"
	status=$(curl -s -m 60 -o "$WORK/session.json" -D "$WORK/session.headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "{\"login\":\"$login\",\"password\":\"$password\"}" \
		"$SERVER/api/v1/sessions")
	[[ $status == 201 ]] || die "POST /api/v1/sessions answered $status: $(cat "$WORK/session.json")"
	token=$(sed -n 's/^[Ss]et-[Cc]ookie: *sk_session=\([^;[:space:]]*\).*/\1/p' "$WORK/session.headers" | head -n 1)
	csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$WORK/session.json")
	[[ ${#token} == 43 && ${#csrf} == 43 ]] || die "no session cookie or CSRF token in the login reply"
	echo "$token $csrf" >>"$WORK/sessions.txt"
done
SQL_RESIDENTS=$((RESIDENTS - API_RESIDENTS))
# Tokens: 43 characters of the base64url alphabet (hex digits are), random; the database
# keeps only their SHA-256, like sessions made by POST /api/v1/sessions.
q >>"$WORK/sessions.txt" <<SQL || die "seeding residents with SQL failed (has the schema changed?)"
CREATE TEMP TABLE seed AS
	SELECT i, substr(md5(random()::text) || md5(random()::text), 1, 43) AS token,
		substr(md5(random()::text) || md5(random()::text), 1, 43) AS csrf
	FROM generate_series(1, $SQL_RESIDENTS) i;
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-resident-%s@example.vn', i), 'email', format('Cư dân %s', i) FROM seed;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
	SELECT a.id, $WARD_ID, 'resident', (string_to_array('$GROUP_IDS', ',')::bigint[])[1 + s.i % $NGROUPS]
	FROM seed s JOIN accounts a ON a.login = format('bench-resident-%s@example.vn', s.i);
INSERT INTO sessions (token_hash, csrf_token, account_id, created_at, last_seen_at, ip)
	SELECT sha256(convert_to(s.token, 'UTF8')), s.csrf, a.id, now(), now(), '127.0.0.1'
	FROM seed s JOIN accounts a ON a.login = format('bench-resident-%s@example.vn', s.i);
SELECT token || ' ' || csrf FROM seed ORDER BY i;
SQL
[[ $(wc -l <"$WORK/sessions.txt") == "$RESIDENTS" ]] || die "expected $RESIDENTS sessions, have $(wc -l <"$WORK/sessions.txt")"
q -c "ANALYZE" >/dev/null
# One SQL-made session must work like an API-made one: GET /api/v1/me.
read -r token csrf < <(tail -n 1 "$WORK/sessions.txt")
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "Cookie: sk_session=$token" "$SERVER/api/v1/me")
[[ $status == 200 ]] || die "GET /api/v1/me with an SQL-made session answered $status"
log "seeded ward $WARD_ID, call $CAMPAIGN_ID (groups $GROUP_IDS), $RESIDENTS sessions ($API_RESIDENTS through the API)"

TARGETS=(insert submit)
ACKED=0    # 201 replies over every submissions run, warm-up included
SENT_BAD=0 # non-201 replies to submissions
LATE=0
bench_run() { # TARGET SECONDS OUT
	local out=$3
	if [[ $1 == insert ]]; then
		bench_wrk reference "$out" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2s" --latency -s "$SK_ROOT/bench/lua/insert.lua" "$REFERENCE/ref/insert"
		wrk_figures "$out"
		return
	fi
	bench_wrk sangkien "$out" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$(($2 + GRACE))s" --latency -s "$LUA" "$SERVER" -- \
		"$WORK/sessions.txt" "$CAMPAIGN_ID" "$GROUP_IDS" "$2" "$WRK_THREADS"
	grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "no RESULT line from $LUA"; }
	ACKED=$((ACKED + $(field ok "$out")))
	SENT_BAD=$((SENT_BAD + $(field bad "$out")))
	LATE=$((LATE + $(field late "$out")))
	local errors
	errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
	echo "$(field rate "$out") $(field p50_ms "$out") $(field p99_ms "$out") $((${errors:-0} + $(field bad "$out"))) $(($(field sent "$out") + $(field late "$out")))"
	# the counters above live in this subshell when called as $(bench_run ...): keep them in files
	echo "$(field ok "$out") $(field bad "$out") $(field late "$out")" >>"$WORK/submit-counts"
}
: >"$WORK/submit-counts"
bench_measure
read -r ACKED SENT_BAD LATE <<<"$(awk '{a += $1; b += $2; c += $3} END {print a + 0, b + 0, c + 0}' "$WORK/submit-counts")"

# ---------------------------------------------------------------- verify
# Fresh statistics first: planned with the seed-time ones (empty tables), the audit join below
# ran as a nested loop over tens of thousands of rows for many minutes.
q -c "ANALYZE proposals, audit_log" >/dev/null
DB_SUBMITTED=$(q -c "SELECT count(*) FROM proposals WHERE campaign_id = $CAMPAIGN_ID AND status = 'submitted'")
DB_AUDIT=$(q -c "SELECT count(*) FROM audit_log l JOIN proposals p ON l.subject = 'proposal:' || p.id
	WHERE p.campaign_id = $CAMPAIGN_ID AND l.action = 'proposal_submitted'")
DB_DISTINCT_CODES=$(q -c "SELECT count(DISTINCT tracking_code) FROM proposals WHERE campaign_id = $CAMPAIGN_ID AND status = 'submitted'")
DB_AUTHORS=$(q -c "SELECT count(DISTINCT author_id) FROM proposals WHERE campaign_id = $CAMPAIGN_ID")

# ---------------------------------------------------------------- report
bench_header "sangkien submissions benchmark (issues 3, 12)"
echo "$RESIDENTS residents with sessions ($API_RESIDENTS made through the API); each request one complete proposal ($(field body_bytes "$WORK/warmup-submit.txt")-byte JSON body), submit:true"
echo
declare -A LABEL=([insert]="bench-reference POST /ref/insert (201/s)" [submit]="POST proposals submit:true (201/s)")
declare -A REF=([submit]=insert)
bench_table LABEL REF
bench_statements submit
echo "Durability check (all submissions runs, warm-up and repeats included):"
echo "  201 replies received:                 $ACKED"
echo "  submitted proposals in the database:  $DB_SUBMITTED  (distinct tracking codes: $DB_DISTINCT_CODES, authors: $DB_AUTHORS)"
echo "  proposal_submitted audit rows:        $DB_AUDIT"
echo "  non-201 replies:                      $SENT_BAD;  health checks sent after a window (reconnects): $LATE"
echo
bench_check "submissions >= 0.5 x durable-insert reference, p99 < 100 ms" \
	"${MED[submit.rps]} >= 0.5 * ${MED[insert.rps]} && ${MED[submit.p99]} < 100 && ${BAD[submit]} == 0" \
	"$(printf '%.0f vs %.0f per s (%sx), p99 %.2f ms at %s connections' "${MED[submit.rps]}" "${MED[insert.rps]}" \
		"$(ratio "${MED[submit.rps]}" "${MED[insert.rps]}")" "${MED[submit.p99]}" "$CONNECTIONS")"
bench_check "every acknowledged submission stored with its audit row" \
	"$ACKED == $DB_SUBMITTED && $ACKED == $DB_AUDIT && $DB_DISTINCT_CODES == $DB_SUBMITTED" \
	"$ACKED 201 replies, $DB_SUBMITTED submitted proposals, $DB_AUDIT audit rows"
[[ ${BAD[submit]} == 0 ]] || echo "      submit: ${BAD[submit]} socket errors or non-201 replies in the counted runs"
[[ -z $TRACKING_NOTE ]] || echo "note: $TRACKING_NOTE"
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED round(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute rates are low; ratios hold"
bench_memory
bench_check "peak RSS after the submissions < 128 MiB" "$MEM_PEAK_KB < 131072" "$((MEM_PEAK_KB / 1024)) MiB"
exit 0
