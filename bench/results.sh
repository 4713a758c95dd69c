#!/usr/bin/env bash
# bench/results.sh: the public results of a published call (issue 5) against
# bench-reference, measured in the same run.
#
#   bench/results.sh                   # from anywhere inside the checkout
#
# What it does: builds the release build (build/: sangkien and bench-reference), finds
# a PostgreSQL (DATABASE_URL, else the embedded cluster through scripts/lib.sh),
# creates a throw-away database, starts `build/sangkien serve` and bench-reference on
# free ports, and takes a call of BENCH_PROPOSALS proposals through to published:
#   - with SQL: ward, groups, authors and their submitted proposals, the call in
#     appraisal (3 criteria, frozen, config digest), BENCH_PANELISTS panelists;
#   - through the API as the leader (registered and logged in through the API): the
#     panel, the assignments (mode k, 5 reviews per proposal);
#   - with SQL, through the server's own review_save(): every assigned review,
#     submitted, with deterministic pseudo-random scores (so the score record is real);
#   - through the API as the leader: lock the panel, set the awards, POST the decision
#     (the server computes the ranking and stores its snapshot), publish it (password).
# Then wrk runs, interleaved, BENCH_RUNS times each (the median counts):
#   reference  bench-reference (any path: the 37-byte /api/v1/version reply)
#   results    GET /api/v1/campaigns/{id}/results (the full published snapshot, JSON)
#   results304 the same with If-None-Match: the ETag (a returning visitor or a cache)
#   page       GET /results/{id}, only when frontend/results.html exists
# The results requests send Accept-Encoding: gzip, as browsers do; results304 sends the
# ETag of the variant it gets (the gzip one when the server compresses). Before measuring,
# the script checks that the gzip reply inflates to exactly the identity document and that
# both ETags answer 304.
# Target (issue 5): results req/s >= 0.5 x the reference's req/s at 64 connections.
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment (the conventions of bench/http.sh):
#   BENCH_DURATION      wrk duration per run (default 10s)
#   BENCH_CONNECTIONS   concurrent connections (default 64)
#   BENCH_WRK_THREADS   wrk threads (default 2)
#   BENCH_RUNS          runs per target, the median is reported (default 3)
#   BENCH_WARMUP        warm-up duration per target (default 2s)
#   BENCH_MAX_OTHERS    a run during which other processes used more than this share of
#                       the CPU, in per cent, is repeated (default 10)
#   BENCH_RETRIES       how many times at most (default 2); the least disturbed run counts
#   BENCH_PROPOSALS     proposals in the call (default 200)
#   BENCH_PANELISTS     panelists (default 10)
#   BENCH_BUILD_DIR     build directory (default build)
#   BENCH_SKIP_BUILD    1: do not run meson (the binaries must exist)
#   BENCH_SERVER_LOG    where sangkien's stderr goes (default: a temporary file)
#   SANGKIEN_THREADS    sangkien's threads; bench-reference uses the same (default 4)
#   SANGKIEN_*          any other is passed to the server
#   DATABASE_URL        an existing PostgreSQL the bench database is created on
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-2s}
MAX_OTHERS=${BENCH_MAX_OTHERS:-10}
RETRIES=${BENCH_RETRIES:-2}
NPROPOSALS=${BENCH_PROPOSALS:-200}
NPANELISTS=${BENCH_PANELISTS:-10}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
THREADS=${SANGKIEN_THREADS:-4}
REVIEWS_PER_PROPOSAL=5

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for v in CONNECTIONS WRK_THREADS RUNS NPROPOSALS NPANELISTS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v#N} must be a positive integer"
done
[[ $RETRIES =~ ^[0-9]+$ ]] || die "BENCH_RETRIES must be a whole number"
[[ $MAX_OTHERS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_MAX_OTHERS must be a number (per cent)"
[[ $NPANELISTS -ge $REVIEWS_PER_PROPOSAL ]] || die "BENCH_PANELISTS must be at least $REVIEWS_PER_PROPOSAL"
[[ $WRK_THREADS -le $CONNECTIONS ]] || die "BENCH_WRK_THREADS ($WRK_THREADS) > BENCH_CONNECTIONS ($CONNECTIONS)"
ensure_packages run >&2
for tool in wrk curl psql; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install $tool)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-results.XXXXXX")
SERVER_PID=
REFERENCE_PID=
ADMIN_URL=
BENCH_DB=

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	for pid in $SERVER_PID $REFERENCE_PID; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $SERVER_PID $REFERENCE_PID; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [[ -n $BENCH_DB && -n $ADMIN_URL ]]; then
		psql -X -q -d "$ADMIN_URL" -v ON_ERROR_STOP=1 \
			-c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
			log "could not drop database $BENCH_DB"
	fi
	stop_cluster >&2
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		log "meson setup $BUILD_DIR --buildtype=release"
		meson setup "$BUILD_DIR" --buildtype=release >&2 || die "meson setup failed"
	fi
	log "meson compile -C $BUILD_DIR sangkien bench-reference"
	meson compile -C "$BUILD_DIR" sangkien bench-reference >"$WORK/compile.log" 2>&1 ||
		{ tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
fi
SANGKIEN=$BUILD_DIR/sangkien
REFERENCE=$BUILD_DIR/bench/bench-reference
[[ -x $SANGKIEN ]] || die "$SANGKIEN not built"
[[ -x $REFERENCE ]] || die "$REFERENCE not built"
buildtype=$(_sk_python -c 'import json, sys
print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), ""))' \
	"$BUILD_DIR/meson-info/intro-buildoptions.json" 2>/dev/null || true)
[[ $buildtype == release ]] || log "warning: $BUILD_DIR has buildtype '${buildtype:-unknown}', not release"

# ---------------------------------------------------------------- database
if [[ -n ${DATABASE_URL:-} ]]; then
	ADMIN_URL=$DATABASE_URL
	log "using the PostgreSQL at \$DATABASE_URL for the bench database"
else
	ensure_cluster >&2
	ADMIN_URL=$(db_url postgres)
	log "using the embedded PostgreSQL in .data/pg"
fi
psql -X -q -d "$ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL ($ADMIN_URL)"
BENCH_DB="sangkien_bench_res_$$_$(date +%s)"
psql -X -q -d "$ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$BENCH_DB\"" >/dev/null ||
	{ BENCH_DB=; die "cannot create the bench database"; }
BENCH_URL=$(url_with_dbname "$ADMIN_URL" "$BENCH_DB")
q() { psql -X -q -t -A -d "$BENCH_URL" -v ON_ERROR_STOP=1 "$@"; }
log "bench database $BENCH_DB"

# ---------------------------------------------------------------- servers
# wait_port FILE PID NAME: prints the port written to FILE by process PID.
wait_port() {
	local file=$1 pid=$2 name=$3
	for _ in $(seq 300); do
		if [[ -s $file ]]; then
			tr -dc '0-9' <"$file"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
		sleep 0.1
	done
	die "$name did not report its port within 30 s"
}

SERVER_LOG=${BENCH_SERVER_LOG:-$WORK/sangkien.log}
log "starting $SANGKIEN serve ($THREADS threads; log: $SERVER_LOG)"
DATABASE_URL=$BENCH_URL SANGKIEN_LISTEN=127.0.0.1:0 SANGKIEN_PORT_FILE=$WORK/sangkien.port \
	SANGKIEN_THREADS=$THREADS SANGKIEN_SECURE_COOKIES=0 SANGKIEN_TEST_CLOCK=0 \
	"$SANGKIEN" serve 2>"$SERVER_LOG" >/dev/null &
SERVER_PID=$!
BENCH_REFERENCE_THREADS=$THREADS "$REFERENCE" 0 "$WORK/reference.port" 2>"$WORK/reference.log" &
REFERENCE_PID=$!
SERVER_PORT=$(wait_port "$WORK/sangkien.port" "$SERVER_PID" sangkien) ||
	{ tail -n 20 "$SERVER_LOG" >&2; exit 1; }
REFERENCE_PORT=$(wait_port "$WORK/reference.port" "$REFERENCE_PID" bench-reference)
SERVER=http://127.0.0.1:$SERVER_PORT
REFERENCE_URL=http://127.0.0.1:$REFERENCE_PORT/api/v1/version
for _ in $(seq 100); do
	[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SERVER/api/v1/health") == 200 ]] && break
	sleep 0.1
done
[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SERVER/api/v1/health") == 200 ]] ||
	{ tail -n 20 "$SERVER_LOG" >&2; die "sangkien /api/v1/health is not 200"; }

# ---------------------------------------------------------------- seed
PASSWORD=bench-password-$$
api_account() { # LOGIN NAME: registers a resident of the ward through the API; prints the id
	local status
	status=$(curl -s -m 60 -o "$WORK/account.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"login\":\"$1\",\"password\":\"$PASSWORD\",\"display_name\":\"$2\",\"ward_id\":$WARD_ID}" \
		"$SERVER/api/v1/accounts")
	[[ $status == 201 ]] || die "POST /api/v1/accounts answered $status: $(cat "$WORK/account.json")"
	sed -n 's/^{"account":{"id":\([0-9]*\).*/\1/p' "$WORK/account.json"
}
api_login() { # LOGIN: prints "token csrf"
	local status token csrf
	status=$(curl -s -m 60 -o "$WORK/session.json" -D "$WORK/session.headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "{\"login\":\"$1\",\"password\":\"$PASSWORD\"}" \
		"$SERVER/api/v1/sessions")
	[[ $status == 201 ]] || die "POST /api/v1/sessions answered $status: $(cat "$WORK/session.json")"
	token=$(sed -n 's/^[Ss]et-[Cc]ookie: *sk_session=\([^;[:space:]]*\).*/\1/p' "$WORK/session.headers" | head -n 1)
	csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$WORK/session.json")
	[[ ${#token} == 43 && ${#csrf} == 43 ]] || die "no session cookie or CSRF token in the login reply"
	echo "$token $csrf"
}
leader_api() { # METHOD PATH BODY: as the leader; prints the status, the reply in $WORK/leader.json
	curl -s -m 60 -o "$WORK/leader.json" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		-H "Cookie: sk_session=$LEADER_TOKEN" -H "X-CSRF-Token: $LEADER_CSRF" --data "$3" "$SERVER$2"
}

log "seeding: a call of $NPROPOSALS proposals, $NPANELISTS panelists, $REVIEWS_PER_PROPOSAL reviews each, through to published"
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
		format('Mô hình "tổ dân phố số" %s: thông báo, phản ánh và thanh toán trực tuyến cho người dân', a.id),
		'Tóm tắt mô hình: nhóm thông tin và dịch vụ công trực tuyến.',
		'Người dân nhận thông báo chậm, phản ánh phải đến trụ sở.', 'Kênh thông tin chính thức của tổ dân phố.',
		'Khoảng 400 hộ dân.', 400, 'Điện thoại sẵn có, tình nguyện viên.', 15000000, '{chuyển đổi số}',
		'mo hinh to dan pho so', now() - interval '20 days', now() - interval '20 days', now() - interval '20 days'
	FROM accounts a JOIN role_grants r ON r.account_id = a.id WHERE a.login LIKE 'bench-author-%';
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-panelist-%s@example.vn', i), 'email', format('Thẩm định viên %s', i)
	FROM generate_series(1, $NPANELISTS) i;
INSERT INTO role_grants (account_id, ward_id, role)
	SELECT id, $WARD_ID, 'panelist' FROM accounts WHERE login LIKE 'bench-panelist-%';
SQL
LEADER_LOGIN=bench-leader-$$@example.vn
LEADER_ID=$(api_account "$LEADER_LOGIN" "Trưởng ban")
[[ -n $LEADER_ID ]] || die "no account id in the registration reply"
q -c "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($LEADER_ID, $WARD_ID, 'leader')" >/dev/null
read -r LEADER_TOKEN LEADER_CSRF <<<"$(api_login "$LEADER_LOGIN")"
PANEL_IDS=$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM accounts WHERE login LIKE 'bench-panelist-%'")
status=$(leader_api PUT "/api/v1/campaigns/$CAMPAIGN_ID/panel" "{\"panelist_ids\":[$PANEL_IDS]}")
[[ $status == 200 ]] || die "PUT panel answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/assignments" "{\"mode\":\"k\",\"k\":$REVIEWS_PER_PROPOSAL,\"seed\":1}")
[[ $status == 200 || $status == 201 ]] || die "POST assignments answered $status: $(cat "$WORK/leader.json")"
# Every assigned review, submitted through the server's own function (score record included).
# Scores: the proposal's quality, the panelist's leniency and a little noise, 0..10.
q <<SQL >/dev/null || die "seeding reviews with review_save() failed (has the schema changed?)"
SELECT review_save(a.proposal_id, a.panelist_id, now() - interval '3 days', 0,
	(SELECT jsonb_agg(jsonb_build_object('criterion_id', k.id,
		'score', greatest(0, least(10, 2 + (a.proposal_id * 7919 % 7) + (a.panelist_id * 31 % 3) - 1
			+ ((a.proposal_id * 13 + a.panelist_id * 17 + k.position * 5) % 3) - 1)),
		'comment', 'Nhận xét theo tiêu chí ' || k.position) ORDER BY k.position)
	 FROM criteria k WHERE k.campaign_id = $CAMPAIGN_ID),
	'Đề xuất thiết thực, cần làm rõ kinh phí duy trì.', true, NULL, '127.0.0.1')
FROM assignments a WHERE a.campaign_id = $CAMPAIGN_ID ORDER BY a.proposal_id, a.panelist_id;
SQL
NREVIEWS=$(q -c "SELECT count(*) FROM reviews WHERE campaign_id = $CAMPAIGN_ID AND status = 'submitted'")
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/panel/lock" '{}')
[[ $status == 200 ]] || die "POST panel/lock answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api PUT "/api/v1/campaigns/$CAMPAIGN_ID/awards" \
	'{"awards":[{"name":"Giải Nhất","count":1},{"name":"Giải Nhì","count":2},{"name":"Giải Ba","count":3},{"name":"Giải Khuyến khích","count":10}]}')
[[ $status == 200 ]] || die "PUT awards answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/decision" '{}')
[[ $status == 201 ]] || die "POST decision answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/publish" "{\"password\":\"$PASSWORD\"}")
[[ $status == 204 ]] || die "POST publish answered $status: $(cat "$WORK/leader.json")"
RESULTS_PATH=/api/v1/campaigns/$CAMPAIGN_ID/results
status=$(curl -s -m 60 -o "$WORK/results.json" -D "$WORK/results.headers" -w '%{http_code}' "$SERVER$RESULTS_PATH")
[[ $status == 200 ]] || die "GET $RESULTS_PATH answered $status"
ETAG=$(sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$WORK/results.headers" | head -n 1)
[[ -n $ETAG ]] || die "no ETag on the results"
RESULTS_BYTES=$(wc -c <"$WORK/results.json")
RESULTS_GZIP=$(gzip -6 -c "$WORK/results.json" | wc -c)
curl -s -m 60 -o "$WORK/results.wire" -D "$WORK/results.wire.headers" -H 'Accept-Encoding: gzip' "$SERVER$RESULTS_PATH"
WIRE_ENCODING=$(sed -n 's/^[Cc]ontent-[Ee]ncoding: *\([^[:space:]]*\).*/\1/p' "$WORK/results.wire.headers" | head -n 1)
WIRE_ETAG=$(sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$WORK/results.wire.headers" | head -n 1)
WIRE_BYTES=$(wc -c <"$WORK/results.wire")
if [[ $WIRE_ENCODING == gzip ]]; then
	gzip -dc "$WORK/results.wire" | cmp -s - "$WORK/results.json" ||
		die "the gzip reply does not inflate to the identity document"
	status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $WIRE_ETAG" "$SERVER$RESULTS_PATH")
	[[ $status == 304 ]] || die "GET $RESULTS_PATH (gzip) with If-None-Match: $WIRE_ETAG answered $status, not 304"
else
	WIRE_ETAG=$ETAG
fi
RANKED=$(grep -o '"tracking_code"' "$WORK/results.json" | wc -l)
[[ $RANKED == "$NPROPOSALS" ]] || die "the published results rank $RANKED proposals, expected $NPROPOSALS"
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$SERVER$RESULTS_PATH")
[[ $status == 304 ]] || die "GET $RESULTS_PATH with If-None-Match answered $status, not 304"
TARGETS=(reference results results304)
PAGE_NOTE="frontend/results.html does not exist: GET /results/$CAMPAIGN_ID not measured"
if [[ -f frontend/results.html ]]; then
	status=$(curl -s -m 60 -o "$WORK/page.html" -w '%{http_code}' "$SERVER/results/$CAMPAIGN_ID")
	if [[ $status == 200 ]]; then
		TARGETS+=(page)
		PAGE_NOTE=
	else
		PAGE_NOTE="GET /results/$CAMPAIGN_ID answered $status: not measured"
	fi
fi
[[ -z $PAGE_NOTE ]] || log "$PAGE_NOTE"
log "seeded and published call $CAMPAIGN_ID: $NPROPOSALS proposals, $NREVIEWS reviews; results $RESULTS_BYTES bytes, ETag $ETAG"

# ---------------------------------------------------------------- measure
declare -A URL=([reference]=$REFERENCE_URL [results]=$SERVER$RESULTS_PATH [results304]=$SERVER$RESULTS_PATH
	[page]=$SERVER/results/$CAMPAIGN_ID)
# Like a browser, the results requests accept gzip; results304 revalidates the variant it has.
declare -A HDR=([reference]="" [results]="Accept-Encoding: gzip" [results304]="Accept-Encoding: gzip|If-None-Match: $WIRE_ETAG"
	[page]="Accept-Encoding: gzip")
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

proc_ticks() {
	local pid sum=0 t
	for pid in "$@"; do
		t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}
machine_ticks() {
	awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit}' /proc/stat
}
server_pid() { if [[ $1 == reference ]]; then echo "$REFERENCE_PID"; else echo "$SERVER_PID"; fi; }
backend_pids() {
	[[ $1 != reference ]] || return 0
	psql -X -q -t -A -d "$ADMIN_URL" \
		-c "SELECT pid FROM pg_stat_activity WHERE datname = '$BENCH_DB' AND pid <> pg_backend_pid()" | tr '\n' ' '
}
run_wrk() {
	local target=$1 duration=$2 out=$3 spid bpids a0 a1 d0 d1 m0 m1 m0b m0t m1b m1t x
	local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$duration" --latency)
	local h
	if [[ -n ${HDR[$target]} ]]; then
		IFS='|' read -ra h <<<"${HDR[$target]}"
		for x in "${h[@]}"; do args+=(-H "$x"); done
	fi
	spid=$(server_pid "$target")
	read -ra bpids <<<"$(backend_pids "$target")"
	a0=$(proc_ticks "$spid")
	d0=$(proc_ticks "${bpids[@]}")
	m0=$(machine_ticks)
	/usr/bin/time -f '%U %S' -o "$out.time" wrk "${args[@]}" "${URL[$target]}" >"$out" 2>&1 ||
		{ cat "$out" >&2; die "wrk failed on $target"; }
	m1=$(machine_ticks)
	a1=$(proc_ticks "$spid")
	d1=$(proc_ticks "${bpids[@]}")
	read -r m0b m0t <<<"$m0"
	read -r m1b m1t <<<"$m1"
	echo "$((a1 - a0)) $((d1 - d0)) $(awk '{print $1 + $2}' "$out.time") $((m1b - m0b)) $((m1t - m0t))" >"$out.cpu"
}
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.3f", n }'
}
# to_mib VALUE: wrk's Transfer/sec (e.g. 1.20GB, 512.00KB) in MiB/s
to_mib() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "B") n /= 1048576; else if (u == "KB") n /= 1024; else if (u == "GB") n *= 1024
		printf "%.1f", n }'
}
# parse OUT: "rps p50 p99 errors app_us db_us wrk_us others_pct mib_s"
parse() {
	local f=$1 rps p50 p99 errors non2xx requests app_ticks db_ticks wrk_s busy total mib
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
	p50=$(awk '$1 == "50%" {print $2; exit}' "$f")
	p99=$(awk '$1 == "99%" {print $2; exit}' "$f")
	requests=$(awk '/ requests in / {print $1; exit}' "$f")
	errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$f")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $4}' "$f")
	mib=$(to_mib "$(awk '/^Transfer\/sec:/ {print $2}' "$f")")
	[[ -n $rps && -n $p50 && -n $p99 && ${requests:-0} -gt 0 ]] || { cat "$f" >&2; die "cannot parse wrk output"; }
	read -r app_ticks db_ticks wrk_s busy total <"$f.cpu"
	awk -v rps="$rps" -v p50="$(to_ms "$p50")" -v p99="$(to_ms "$p99")" -v bad=$((${errors:-0} + ${non2xx:-0})) \
		-v n="$requests" -v at="$app_ticks" -v dt="$db_ticks" -v ws="$wrk_s" -v busy="$busy" -v total="$total" \
		-v hz="$CLK_TCK" -v mib="$mib" 'BEGIN {
			others = (busy - at - dt - ws * hz) / total * 100; if (others < 0) others = 0
			printf "%s %s %s %d %.1f %.1f %.1f %.1f %s\n", rps, p50, p99, bad,
				at / hz * 1e6 / n, dt / hz * 1e6 / n, ws * 1e6 / n, others, mib }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {
	if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

UPTIME_BEFORE=$(uptime)
log "machine: $NCPU cores; load: ${UPTIME_BEFORE#*load average: }; wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, $RUNS runs per target, interleaved"
for target in "${TARGETS[@]}"; do
	log "warm-up $target ($WARMUP)"
	run_wrk "$target" "$WARMUP" "$WORK/warmup-$target.txt"
done
FIGURES=(rps p50 p99 app_us db_us wrk_us others mib)
declare -A ALL BAD MED
for target in "${TARGETS[@]}"; do
	BAD[$target]=0
	for f in "${FIGURES[@]}"; do ALL[$target.$f]=""; done
done
DISTURBED=0
for run in $(seq "$RUNS"); do
	for target in "${TARGETS[@]}"; do
		best=
		for attempt in $(seq 0 "$RETRIES"); do
			out=$WORK/run-$run-$target-$attempt.txt
			run_wrk "$target" "$DURATION" "$out"
			result=$(parse "$out")
			read -r rps p50 p99 bad app_us db_us wrk_us others mib <<<"$result"
			# 304 replies are what results304 asks for: not errors there.
			[[ $target != results304 ]] || bad=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
			result="$rps $p50 $p99 ${bad:-0} $app_us $db_us $wrk_us $others $mib"
			log "run $run/$RUNS $(printf '%-10s' "$target") $(printf '%8.0f' "$rps") req/s  p50 $p50 ms  p99 $p99 ms  $mib MiB/s  errors ${bad:-0}  CPU/req: server $app_us us, PostgreSQL $db_us us, wrk $wrk_us us; others' CPU $others%"
			if [[ -z $best ]] || awk "BEGIN { exit !($others < $(cut -d' ' -f8 <<<"$best")) }"; then
				best=$result
			fi
			awk "BEGIN { exit !($others > $MAX_OTHERS) }" || break
			[[ $attempt == "$RETRIES" ]] || log "  other processes used $others% of the CPU (> $MAX_OTHERS%): repeating"
		done
		read -r rps p50 p99 bad app_us db_us wrk_us others mib <<<"$best"
		awk "BEGIN { exit !($others > $MAX_OTHERS) }" && DISTURBED=$((DISTURBED + 1))
		for f in "${FIGURES[@]}"; do ALL[$target.$f]+=" ${!f}"; done
		BAD[$target]=$((BAD[$target] + bad))
	done
done
for target in "${TARGETS[@]}"; do
	for f in "${FIGURES[@]}"; do MED[$target.$f]=$(median <<<"${ALL[$target.$f]}"); done
done
UPTIME_AFTER=$(uptime)

# ---------------------------------------------------------------- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "sangkien results benchmark (issue 5), $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src sql 2>/dev/null || echo ' (src/ or sql/ modified)')"
echo "$NCPU cores, wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $THREADS server threads, median of $RUNS interleaved runs"
echo "published call: $NPROPOSALS proposals, $NREVIEWS reviews; results document $RESULTS_BYTES bytes ($RESULTS_GZIP with gzip -6)"
echo "with Accept-Encoding: gzip the server sends $WIRE_BYTES bytes, Content-Encoding: ${WIRE_ENCODING:-none}; the reference reply is 37 bytes"
echo "load before: ${UPTIME_BEFORE#*load average: }; after: ${UPTIME_AFTER#*load average: }"
echo "(runs with other processes above $MAX_OTHERS% of the CPU repeated up to $RETRIES times; $DISTURBED stayed disturbed)"
echo
printf '%-44s %8s %7s %7s %6s %8s %6s | %6s %6s %6s | %6s\n' target 'req/s' 'p50 ms' 'p99 ms' 'vs ref' 'MiB/s' errors server wrk total 'others'
declare -A LABEL=([reference]="bench-reference (37-byte reply)" [results]="GET /api/v1/campaigns/{id}/results"
	[results304]="  the same, If-None-Match (304)" [page]="GET /results/{id} (page)")
for target in "${TARGETS[@]}"; do
	printf '%-44s %8.0f %7.2f %7.2f %6s %8.1f %6d | %6.1f %6.1f %6.1f | %5.1f%%\n' "${LABEL[$target]}" "${MED[$target.rps]}" \
		"${MED[$target.p50]}" "${MED[$target.p99]}" "$(ratio "${MED[$target.rps]}" "${MED[reference.rps]}")" "${MED[$target.mib]}" \
		"${BAD[$target]}" "${MED[$target.app_us]}" "${MED[$target.wrk_us]}" \
		"$(awk "BEGIN { print ${MED[$target.app_us]} + ${MED[$target.db_us]} + ${MED[$target.wrk_us]} }")" "${MED[$target.others]}"
done
echo "CPU us per request: the server process and wrk (PostgreSQL is not involved: results are served from"
echo "memory; its share is in total). others: CPU used by anything else, as a share of the machine."
[[ -z $PAGE_NOTE ]] || echo "$PAGE_NOTE"
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
printf '%-4s  results >= 0.5 x reference req/s at %s connections: %.0f vs %.0f (%sx)\n' \
	"$(verdict "${MED[results.rps]} >= 0.5 * ${MED[reference.rps]} && ${BAD[results]} == 0")" \
	"$CONNECTIONS" "${MED[results.rps]}" "${MED[reference.rps]}" "$(ratio "${MED[results.rps]}" "${MED[reference.rps]}")"
printf 'info  conditional GET (304) vs reference: %.0f vs %.0f (%sx)\n' \
	"${MED[results304.rps]}" "${MED[reference.rps]}" "$(ratio "${MED[results304.rps]}" "${MED[reference.rps]}")"
for target in "${TARGETS[@]}"; do
	[[ ${BAD[$target]} == 0 ]] || echo "      $target: ${BAD[$target]} socket errors or unexpected replies: its figures are not valid"
done
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED run(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute req/s is low; rerun on a quiet machine"
exit 0
