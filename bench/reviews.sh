#!/usr/bin/env bash
# bench/reviews.sh: panelists submitting and revising reviews concurrently (issue 4),
# judged on the ratio to the durable-insert reference measured in the same rounds
# (bench/lib.sh has the harness and its BENCH_* settings).
#
#   bench/reviews.sh                   # from anywhere inside the checkout
#
# What it does: builds the release build (build/: sangkien and bench-reference), finds
# a PostgreSQL (DATABASE_URL, else the embedded cluster through scripts/lib.sh),
# creates a throw-away database, starts `build/sangkien serve` and bench-reference on
# free ports, and seeds:
#   - with SQL: a ward, BENCH_PROPOSALS authors and their submitted proposals in a call
#     that is in appraisal (3 criteria, frozen, config digest), BENCH_PANELISTS panelist
#     accounts with one session each (SHA-256 of a 43-character cookie token in
#     sessions.token_hash, a 43-character CSRF token); BENCH_API_PANELISTS of them, and
#     a leader, are registered and logged in through the API instead;
#   - through the API, as the leader: the panel (PUT /api/v1/campaigns/{id}/panel) and
#     the assignments (POST .../assignments, mode k with BENCH_ASSIGN reviews per
#     proposal, or mode all when BENCH_ASSIGN=all).
# Then wrk (bench/lua/reviews.lua, one connection per wrk thread) PUTs
# /api/v1/proposals/{id}/review for (panelist, proposal) pairs: a submission (version 0)
# the first time, then revisions with a reason carrying the version of the previous
# reply, for BENCH_WINDOW seconds at BENCH_CONNECTIONS connections, interleaved with
# wrk against bench-reference, BENCH_RUNS times; the median counts. A 409
# version_conflict is a refused write and is reported. The Lua script stops writing at
# the end of the window and lets the request in flight finish.
# Checks afterwards: `sangkien audit verify --campaign ID` exits 0 (the score record's
# hash chain is intact), and the number of score_events (and of review_submit /
# review_revise audit rows, of sealed events and the chain's length) equals the number of
# successful writes (all runs), with no event left pending after the verification.
# Target (issue 12): review writes >= 0.5 x bench-reference POST /ref/insert (one durable
# one-row INSERT through MHD + a libpq pool of the server's size), p99 < 100 ms at 64
# connections, the score record intact and verified. Prints what each statement costs.
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment (besides those of bench/lib.sh):
#   BENCH_WINDOW        seconds of writes per run (BENCH_DURATION; default 10)
#   BENCH_PROPOSALS     proposals in appraisal (default 600)
#   BENCH_PANELISTS     panelists (default 30)
#   BENCH_API_PANELISTS of them registered through the API (default 2)
#   BENCH_ASSIGN        reviews per proposal (mode k), or "all" (default 5)
#   BENCH_ANALYZE       1: ANALYZE after the warm-up, the steady state autovacuum reaches within
#                       a minute (default); 0: measure the first minute's plans instead
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init reviews
WINDOW=$DURATION
NPROPOSALS=${BENCH_PROPOSALS:-600}
NPANELISTS=${BENCH_PANELISTS:-30}
API_PANELISTS=${BENCH_API_PANELISTS:-2}
ASSIGN=${BENCH_ASSIGN:-5}
GRACE=3 # wrk runs this much longer than the window: the last replies arrive, then it stops
for v in NPROPOSALS NPANELISTS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v#N} must be a positive integer"
done
[[ $API_PANELISTS =~ ^[0-9]+$ && $API_PANELISTS -le $NPANELISTS ]] || die "BENCH_API_PANELISTS must be a whole number <= BENCH_PANELISTS"
[[ $ASSIGN == all || ( $ASSIGN =~ ^[1-9][0-9]*$ && $ASSIGN -le $NPANELISTS ) ]] ||
	die "BENCH_ASSIGN must be 'all' or a number of reviews per proposal up to BENCH_PANELISTS"
LUA=$SK_ROOT/bench/lua/reviews.lua
[[ -f $LUA ]] || die "$LUA is missing"
bench_build
bench_database rev
bench_start

# ---------------------------------------------------------------- seed
# api_account LOGIN NAME: registers a resident of the ward through the API (prints the id)
api_account() {
	local status
	status=$(curl -s -m 60 -o "$WORK/account.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"login\":\"$1\",\"password\":\"bench-password-$$\",\"display_name\":\"$2\",\"ward_id\":$WARD_ID}" \
		"$SERVER/api/v1/accounts")
	[[ $status == 201 ]] || die "POST /api/v1/accounts answered $status: $(cat "$WORK/account.json")"
	sed -n 's/^{"account":{"id":\([0-9]*\).*/\1/p; s/.*"id":\([0-9]*\),"login".*/\1/p' "$WORK/account.json" | head -n 1
}
# api_login LOGIN: logs in through the API; prints "token csrf"
api_login() {
	local status token csrf
	status=$(curl -s -m 60 -o "$WORK/session.json" -D "$WORK/session.headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "{\"login\":\"$1\",\"password\":\"bench-password-$$\"}" \
		"$SERVER/api/v1/sessions")
	[[ $status == 201 ]] || die "POST /api/v1/sessions answered $status: $(cat "$WORK/session.json")"
	token=$(sed -n 's/^[Ss]et-[Cc]ookie: *sk_session=\([^;[:space:]]*\).*/\1/p' "$WORK/session.headers" | head -n 1)
	csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$WORK/session.json")
	[[ ${#token} == 43 && ${#csrf} == 43 ]] || die "no session cookie or CSRF token in the login reply"
	echo "$token $csrf"
}

log "seeding: a call in appraisal with $NPROPOSALS proposals, $NPANELISTS panelists, reviews per proposal: $ASSIGN"
read -r WARD_ID CAMPAIGN_ID <<<"$(q -F " " <<SQL
INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench');
INSERT INTO residential_groups (ward_id, name)
	SELECT w.id, format('Tổ dân phố %s', i) FROM wards w, generate_series(1, 12) i WHERE w.code = 'BENCH';
INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at)
	SELECT id, 'Phong trào đề xuất mô hình chuyển đổi số 2026', 'Cuộc thi của phường (benchmark).',
		now() - interval '60 days', now() - interval '7 days' FROM wards WHERE code = 'BENCH';
INSERT INTO criteria (campaign_id, ward_id, position, name, weight, max_score)
	SELECT c.id, c.ward_id, k.position, k.name, k.weight, 10 FROM campaigns c,
	(VALUES (1, 'Tính sáng tạo', 40), (2, 'Tính khả thi', 35), (3, 'Khả năng áp dụng tại cộng đồng', 25))
		AS k (position, name, weight);
UPDATE campaigns SET state = 'appraisal', config_digest = encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex');
SELECT w.id, c.id FROM wards w JOIN campaigns c ON c.ward_id = w.id;
SQL
)" || die "seeding the call failed (has the schema changed?)"
[[ -n $CAMPAIGN_ID ]] || die "seeding the call returned no id"
CRITERIA_IDS=$(q -c "SELECT string_agg(id::text, ',' ORDER BY position) FROM criteria WHERE campaign_id = $CAMPAIGN_ID")

q <<SQL || die "seeding proposals and panelists with SQL failed (has the schema changed?)"
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-author-%s@example.vn', i), 'email', format('Tác giả %s', i) FROM generate_series(1, $NPROPOSALS) i;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
	SELECT a.id, $WARD_ID, 'resident', g.id FROM accounts a
	JOIN residential_groups g ON g.ward_id = $WARD_ID AND g.name = format('Tổ dân phố %s', 1 + a.id % 12)
	WHERE a.login LIKE 'bench-author-%';
INSERT INTO proposals (ward_id, campaign_id, author_id, group_id, status, tracking_code, title, summary, problem,
	model, beneficiaries, households, resources, cost_vnd, tags, search_text, created_at, updated_at, submitted_at)
	SELECT $WARD_ID, $CAMPAIGN_ID, a.id, r.group_id, 'submitted', format('BENCH-2026-%s', lpad(a.id::text, greatest(4, length(a.id::text)), '0')),
		format('Mô hình chuyển đổi số số %s', a.id), 'Tóm tắt mô hình: nhóm thông tin và dịch vụ công trực tuyến.',
		'Người dân nhận thông báo chậm, phản ánh phải đến trụ sở.', 'Kênh thông tin chính thức của tổ dân phố.',
		'Khoảng 400 hộ dân.', 400, 'Điện thoại sẵn có, tình nguyện viên.', 15000000, '{chuyển đổi số}',
		'mo hinh chuyen doi so', now() - interval '20 days', now() - interval '20 days', now() - interval '20 days'
	FROM accounts a JOIN role_grants r ON r.account_id = a.id WHERE a.login LIKE 'bench-author-%';
CREATE TABLE bench_tokens (account_id bigint PRIMARY KEY, token text NOT NULL, csrf text NOT NULL);
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-panelist-%s@example.vn', i), 'email', format('Thẩm định viên %s', i)
	FROM generate_series(1, $((NPANELISTS - API_PANELISTS))) i;
INSERT INTO role_grants (account_id, ward_id, role)
	SELECT id, $WARD_ID, 'panelist' FROM accounts WHERE login LIKE 'bench-panelist-%';
-- Tokens: 43 characters of the base64url alphabet (hex digits are); the database keeps their SHA-256.
INSERT INTO bench_tokens
	SELECT id, substr(md5(random()::text) || md5(random()::text), 1, 43), substr(md5(random()::text) || md5(random()::text), 1, 43)
	FROM accounts WHERE login LIKE 'bench-panelist-%';
INSERT INTO sessions (token_hash, csrf_token, account_id, created_at, last_seen_at, ip)
	SELECT sha256(convert_to(token, 'UTF8')), csrf, account_id, now(), now(), '127.0.0.1' FROM bench_tokens;
SQL
# The leader and BENCH_API_PANELISTS panelists: registered and logged in through the API.
LEADER_LOGIN=bench-leader-$$@example.vn
LEADER_ID=$(api_account "$LEADER_LOGIN" "Trưởng ban")
q -c "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($LEADER_ID, $WARD_ID, 'leader')" >/dev/null
read -r LEADER_TOKEN LEADER_CSRF <<<"$(api_login "$LEADER_LOGIN")"
for i in $(seq "$API_PANELISTS"); do
	login=bench-api-panelist-$i-$$@example.vn
	id=$(api_account "$login" "Thẩm định viên API $i")
	q -c "DELETE FROM role_grants WHERE account_id = $id" \
		-c "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($id, $WARD_ID, 'panelist')" >/dev/null
	read -r token csrf <<<"$(api_login "$login")"
	q -c "INSERT INTO bench_tokens VALUES ($id, '$token', '$csrf')" >/dev/null
done
q -c "ANALYZE" >/dev/null
PANEL_IDS=$(q -c "SELECT string_agg(account_id::text, ',' ORDER BY account_id) FROM bench_tokens")
leader_api() { # METHOD PATH BODY: as the leader; prints the status, the reply in $WORK/leader.json
	curl -s -m 60 -o "$WORK/leader.json" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		-H "Cookie: sk_session=$LEADER_TOKEN" -H "X-CSRF-Token: $LEADER_CSRF" --data "$3" "$SERVER$2"
}
status=$(leader_api PUT "/api/v1/campaigns/$CAMPAIGN_ID/panel" "{\"panelist_ids\":[$PANEL_IDS]}")
[[ $status == 200 ]] || die "PUT panel answered $status: $(cat "$WORK/leader.json")"
if [[ $ASSIGN == all ]]; then body='{"mode":"all"}'; else body="{\"mode\":\"k\",\"k\":$ASSIGN,\"seed\":1}"; fi
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/assignments" "$body")
[[ $status == 200 || $status == 201 ]] || die "POST assignments answered $status: $(cat "$WORK/leader.json")"
NPAIRS=$(q -c "SELECT count(*) FROM assignments WHERE campaign_id = $CAMPAIGN_ID")
[[ $NPAIRS -gt 0 ]] || die "no assignments were made"
# A panelist made with SQL sees their work list like one made through the API.
read -r token csrf < <(q -F ' ' -c "SELECT token, csrf FROM bench_tokens ORDER BY account_id DESC LIMIT 1")
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "Cookie: sk_session=$token" "$SERVER/api/v1/campaigns/$CAMPAIGN_ID/worklist")
[[ $status == 200 ]] || die "GET worklist with an SQL-made panelist session answered $status"
log "seeded ward $WARD_ID, call $CAMPAIGN_ID (criteria $CRITERIA_IDS), $NPANELISTS panelists ($API_PANELISTS through the API), $NPAIRS assigned pairs"

# ---------------------------------------------------------------- measure
# write_pairs: the pairs file for the Lua script, with each review's current version
write_pairs() {
	q -F ' ' -c "SELECT a.proposal_id, t.token, t.csrf, coalesce(r.version, 0)
		FROM assignments a JOIN bench_tokens t ON t.account_id = a.panelist_id
		LEFT JOIN reviews r ON r.proposal_id = a.proposal_id AND r.panelist_id = a.panelist_id
		WHERE a.campaign_id = $CAMPAIGN_ID ORDER BY a.proposal_id, a.panelist_id" >"$WORK/pairs.txt"
}

TARGETS=(insert review)
bench_run() { # TARGET SECONDS OUT
	local out=$3
	if [[ $1 == insert ]]; then
		# The same client shape and Lua work as the review writes below (issue 12: a fair ratio).
		bench_wrk reference "$out" -t"$CONNECTIONS" -c"$CONNECTIONS" -d"$2s" --latency -s "$SK_ROOT/bench/lua/insert_as_reviews.lua" "$REFERENCE/ref/insert"
		wrk_figures "$out"
		return
	fi
	write_pairs
	# One connection per wrk thread: each thread knows its pairs' versions exactly.
	bench_wrk sangkien "$out" -t"$CONNECTIONS" -c"$CONNECTIONS" -d"$(($2 + GRACE))s" --latency -s "$LUA" "$SERVER" -- \
		"$WORK/pairs.txt" "$CRITERIA_IDS" "$2" "$CONNECTIONS"
	grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "no RESULT line from $LUA"; }
	local errors
	errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
	echo "$(field ok "$out") $(field conflicts "$out") $(field bad "$out")" >>"$WORK/review-counts"
	echo "$(field rate "$out") $(field p50_ms "$out") $(field p99_ms "$out") $((${errors:-0} + $(field bad "$out") + $(field conflicts "$out"))) $(($(field sent "$out") + $(field late "$out"))) submits=$(field submits "$out") revisions=$(field revisions "$out")"
}
# The call's reviews start empty, so the plans each connection caches in its first writes (review_save's
# statements, the foreign-key checks) scan them in full until autovacuum's first ANALYZE of the grown
# tables (within about a minute in production). The counted rounds measure the steady state: ANALYZE
# after the warm-up, as autovacuum would. BENCH_ANALYZE=0 measures the first minute instead.
bench_after_warmup() {
	[[ ${BENCH_ANALYZE:-1} == 0 ]] || q -c "ANALYZE" >/dev/null
}
: >"$WORK/review-counts"
bench_measure
read -r WRITES CONFLICTS OTHER_BAD <<<"$(awk '{a += $1; b += $2; c += $3} END {print a + 0, b + 0, c + 0}' "$WORK/review-counts")"

# ---------------------------------------------------------------- verify
DB_EVENTS=$(q -c "SELECT count(*) FROM score_events WHERE campaign_id = $CAMPAIGN_ID")
DB_AUDIT=$(q -c "SELECT count(*) FROM audit_log l JOIN proposals p ON l.subject = 'proposal:' || p.id
	WHERE p.campaign_id = $CAMPAIGN_ID AND l.action IN ('review_submit', 'review_revise')")
DB_REVIEWS=$(q -c "SELECT count(*) FROM reviews WHERE campaign_id = $CAMPAIGN_ID AND status = 'submitted'")
DB_VERSIONS=$(q -c "SELECT coalesce(sum(version), 0) FROM reviews WHERE campaign_id = $CAMPAIGN_ID")
set +e
VERIFY_OUT=$(DATABASE_URL=$BENCH_URL "$SANGKIEN" audit verify --campaign "$CAMPAIGN_ID" 2>&1)
VERIFY_RC=$?
set -e
# After the verification (which seals what the server's sealer had not sealed yet): the chain
# must hold every event, once, and nothing may be left waiting.
DB_CHAIN=$(q -c "SELECT length FROM score_chains WHERE campaign_id = $CAMPAIGN_ID")
DB_SEALED=$(q -c "SELECT count(DISTINCT event_id) FROM score_seals WHERE campaign_id = $CAMPAIGN_ID")
DB_PENDING=$(q -c "SELECT count(*) FROM score_pending WHERE campaign_id = $CAMPAIGN_ID")

# ---------------------------------------------------------------- report
bench_header "sangkien reviews benchmark (issues 4, 12)"
echo "writes and their reference: wrk -t$CONNECTIONS -c$CONNECTIONS (bench/lua/insert_as_reviews.lua for the reference); $NPROPOSALS proposals in appraisal, $NPANELISTS panelists ($API_PANELISTS made through the API), $NPAIRS assigned pairs (reviews per proposal: $ASSIGN), 3 criteria"
echo
declare -A LABEL=([insert]="bench-reference POST /ref/insert (201/s)" [review]="PUT review submit/revise (200/s)")
declare -A REF=([review]=insert)
bench_table LABEL REF
bench_statements review
echo "Score record check (all review runs, warm-up and repeats included):"
echo "  successful writes (200 replies):       $WRITES"
echo "  score_events of the call:              $DB_EVENTS  (chain length $DB_CHAIN, sealed events $DB_SEALED, pending $DB_PENDING)"
echo "  review_submit/review_revise audit rows: $DB_AUDIT"
echo "  submitted reviews: $DB_REVIEWS of $NPAIRS pairs; sum of review versions: $DB_VERSIONS"
echo "  refused writes: 409 version_conflict $CONFLICTS, other non-200 $OTHER_BAD"
echo "  sangkien audit verify --campaign $CAMPAIGN_ID (exit $VERIFY_RC): $VERIFY_OUT"
echo
bench_check "review writes >= 0.5 x durable-insert reference, p99 < 100 ms" \
	"${MED[review.rps]} >= 0.5 * ${MED[insert.rps]} && ${MED[review.p99]} < 100 && ${BAD[review]} == 0" \
	"$(printf '%.0f vs %.0f per s (%sx), p99 %.2f ms at %s connections' "${MED[review.rps]}" "${MED[insert.rps]}" \
		"$(ratio "${MED[review.rps]}" "${MED[insert.rps]}")" "${MED[review.p99]}" "$CONNECTIONS")"
bench_check "score record intact and verified" \
	"$VERIFY_RC == 0 && $DB_EVENTS == $WRITES && ${DB_CHAIN:-0} == $WRITES && $DB_SEALED == $WRITES && $DB_PENDING == 0 && $DB_AUDIT == $WRITES && $DB_VERSIONS == $WRITES" \
	"audit verify exit $VERIFY_RC; score_events $DB_EVENTS = writes $WRITES (audit rows $DB_AUDIT)"
[[ ${BAD[review]} == 0 ]] || echo "      review: ${BAD[review]} socket errors, conflicts or non-200 replies in the counted runs"
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED round(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute rates are low; ratios hold"
exit 0
