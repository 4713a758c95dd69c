#!/usr/bin/env bash
# bench/submissions.sh: many residents submitting at once just before the deadline
# (issue 3), with bench-reference measured in the same run for context.
#
#   bench/submissions.sh               # from anywhere inside the checkout
#
# What it does: builds the release build (build/: sangkien and bench-reference), finds
# a PostgreSQL (DATABASE_URL, else the embedded cluster through scripts/lib.sh),
# creates a throw-away database, starts `build/sangkien serve` and bench-reference on
# free ports, and seeds:
#   - a ward with residential groups, and an open call (criteria frozen, config digest)
#     whose deadline (closes_at) is a few minutes ahead;
#   - BENCH_RESIDENTS resident accounts with one session each: BENCH_API_RESIDENTS of
#     them registered and logged in through the API (POST /api/v1/accounts, /sessions),
#     the rest inserted with SQL (accounts, role_grants, sessions: the SHA-256 of a
#     43-character cookie token in sessions.token_hash, a 43-character CSRF token), as
#     auth.c and sql/001 define them.
# Then wrk (bench/lua/submissions.lua) POSTs one complete proposal with submit:true
# per request to /api/v1/campaigns/{id}/proposals, each request with the next
# session's cookie and X-CSRF-Token, for BENCH_WINDOW seconds at BENCH_CONNECTIONS
# connections, interleaved with wrk against bench-reference, BENCH_RUNS times; the
# median counts. The Lua script stops sending at the end of the window and lets every
# request in flight finish, so each submission sent is answered before wrk stops.
# Checks afterwards: the number of 201 replies (all runs, warm-up included) equals the
# number of submitted proposals of the call in the database, and the number of their
# proposal_submitted audit rows.
# Targets (issue 3): >= 1500 accepted submissions/s with p99 < 100 ms at 64 connections;
# every acknowledged submission in the database. The reference's req/s is context.
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment (the conventions of bench/http.sh):
#   BENCH_WINDOW        seconds of submissions per run (default 10)
#   BENCH_DURATION      wrk duration of each reference run (default: BENCH_WINDOW s)
#   BENCH_CONNECTIONS   concurrent connections (default 64)
#   BENCH_WRK_THREADS   wrk threads (default 2)
#   BENCH_RUNS          runs per target, the median is reported (default 3)
#   BENCH_WARMUP        warm-up window in seconds per target (default 2)
#   BENCH_MAX_OTHERS    a run during which other processes used more than this share of
#                       the CPU, in per cent, is repeated (default 10)
#   BENCH_RETRIES       how many times at most (default 2); the least disturbed run counts
#   BENCH_RESIDENTS     resident accounts with a session (default 2000)
#   BENCH_API_RESIDENTS of them registered through the API (default 4)
#   BENCH_GROUPS        residential groups of the ward (default 12)
#   BENCH_BUILD_DIR     build directory (default build)
#   BENCH_SKIP_BUILD    1: do not run meson (the binaries must exist)
#   BENCH_SERVER_LOG    where sangkien's stderr goes (default: a temporary file)
#   SANGKIEN_THREADS    sangkien's threads; bench-reference uses the same (default 4)
#   SANGKIEN_*          any other is passed to the server (e.g. SANGKIEN_DB_POOL)
#   DATABASE_URL        an existing PostgreSQL the bench database is created on
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

WINDOW=${BENCH_WINDOW:-10}
DURATION=${BENCH_DURATION:-${WINDOW}s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-2}
MAX_OTHERS=${BENCH_MAX_OTHERS:-10}
RETRIES=${BENCH_RETRIES:-2}
RESIDENTS=${BENCH_RESIDENTS:-2000}
API_RESIDENTS=${BENCH_API_RESIDENTS:-4}
NGROUPS=${BENCH_GROUPS:-12}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
THREADS=${SANGKIEN_THREADS:-4}
GRACE=3 # wrk runs this much longer than the window: the last replies arrive, then it stops

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for v in WINDOW CONNECTIONS WRK_THREADS RUNS WARMUP RESIDENTS NGROUPS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer"
done
[[ $RETRIES =~ ^[0-9]+$ && $API_RESIDENTS =~ ^[0-9]+$ ]] || die "BENCH_RETRIES and BENCH_API_RESIDENTS must be whole numbers"
[[ $MAX_OTHERS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_MAX_OTHERS must be a number (per cent)"
[[ $API_RESIDENTS -le $RESIDENTS ]] || die "BENCH_API_RESIDENTS > BENCH_RESIDENTS"
[[ $WRK_THREADS -le $CONNECTIONS ]] || die "BENCH_WRK_THREADS ($WRK_THREADS) > BENCH_CONNECTIONS ($CONNECTIONS)"
ensure_packages run >&2
for tool in wrk curl psql; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install $tool)"
done
LUA=$SK_ROOT/bench/lua/submissions.lua
[[ -f $LUA ]] || die "$LUA is missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-submissions.XXXXXX")
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
BENCH_DB="sangkien_bench_sub_$$_$(date +%s)"
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
BUDGET=$(((WARMUP + GRACE) * 2 + RUNS * (RETRIES + 1) * (WINDOW + GRACE) * 2 + 120))
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

# ---------------------------------------------------------------- measure
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
# pg_pids: the backends of the bench database (the cluster's WAL writer and checkpointer
# are shared with whatever else uses the cluster: their CPU counts as "others")
pg_pids() {
	psql -X -q -t -A -d "$ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$BENCH_DB'
		AND pid <> pg_backend_pid()" | tr '\n' ' '
}

# run_wrk TARGET WINDOW OUT: wrk against TARGET (reference | submit); output in OUT,
# "app_ticks db_ticks wrk_seconds machine_busy machine_total" in OUT.cpu
run_wrk() {
	local target=$1 window=$2 out=$3 spid bpids=() a0 a1 d0 d1 m0b m0t m1b m1t
	local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency)
	if [[ $target == reference ]]; then
		spid=$REFERENCE_PID
		args+=(-d"${window}s" "$REFERENCE_URL")
	else
		spid=$SERVER_PID
		read -ra bpids <<<"$(pg_pids)"
		args+=(-d"$((window + GRACE))s" -s "$LUA" "$SERVER" -- "$WORK/sessions.txt" "$CAMPAIGN_ID" "$GROUP_IDS" "$window" "$WRK_THREADS")
	fi
	a0=$(proc_ticks "$spid")
	d0=$(proc_ticks "${bpids[@]}")
	read -r m0b m0t <<<"$(machine_ticks)"
	/usr/bin/time -f '%U %S' -o "$out.time" wrk "${args[@]}" >"$out" 2>&1 ||
		{ cat "$out" >&2; die "wrk failed on $target"; }
	read -r m1b m1t <<<"$(machine_ticks)"
	a1=$(proc_ticks "$spid")
	d1=$(proc_ticks "${bpids[@]}")
	echo "$((a1 - a0)) $((d1 - d0)) $(awk '{print $1 + $2}' "$out.time") $((m1b - m0b)) $((m1t - m0t))" >"$out.cpu"
}

to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.3f", n }'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

# parse TARGET OUT: "rps p50 p99 errors app_us db_us wrk_us others_pct n_ok"
parse() {
	local target=$1 f=$2 rps p50 p99 n bad app_ticks db_ticks wrk_s busy total ok=0 errors
	errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$f")
	if [[ $target == reference ]]; then
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
		p50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")")
		p99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")")
		n=$(awk '/ requests in / {print $1; exit}' "$f")
		bad=$(awk '/Non-2xx or 3xx responses:/ {print $4}' "$f")
	else
		grep -q '^RESULT ' "$f" || { cat "$f" >&2; die "no RESULT line from $LUA"; }
		rps=$(field rate "$f")
		p50=$(field p50_ms "$f")
		p99=$(field p99_ms "$f")
		ok=$(field ok "$f")
		n=$(($(field sent "$f") + $(field late "$f")))
		bad=$(field bad "$f")
	fi
	[[ -n $rps && -n $p50 && -n $p99 && ${n:-0} -gt 0 ]] || { cat "$f" >&2; die "cannot parse wrk output"; }
	read -r app_ticks db_ticks wrk_s busy total <"$f.cpu"
	awk -v rps="$rps" -v p50="$p50" -v p99="$p99" -v bad=$((${errors:-0} + ${bad:-0})) -v n="$n" -v ok="$ok" \
		-v at="$app_ticks" -v dt="$db_ticks" -v ws="$wrk_s" -v busy="$busy" -v total="$total" -v hz="$CLK_TCK" 'BEGIN {
			others = (busy - at - dt - ws * hz) / total * 100; if (others < 0) others = 0
			printf "%s %s %s %d %.1f %.1f %.1f %.1f %d\n", rps, p50, p99, bad,
				at / hz * 1e6 / n, dt / hz * 1e6 / n, ws * 1e6 / n, others, ok }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {
	if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

TARGETS=(reference submit)
ACKED=0      # 201 replies over every submissions run, warm-up included
SENT_BAD=0   # non-201 replies to submissions
LATE=0
UPTIME_BEFORE=$(uptime)
log "machine: $NCPU cores; load: ${UPTIME_BEFORE#*load average: }; wrk -t$WRK_THREADS -c$CONNECTIONS, ${WINDOW} s windows, $RUNS runs per target, interleaved"
for target in "${TARGETS[@]}"; do
	log "warm-up $target (${WARMUP} s)"
	run_wrk "$target" "$WARMUP" "$WORK/warmup-$target.txt"
	if [[ $target == submit ]]; then
		ACKED=$((ACKED + $(field ok "$WORK/warmup-$target.txt")))
		SENT_BAD=$((SENT_BAD + $(field bad "$WORK/warmup-$target.txt")))
		LATE=$((LATE + $(field late "$WORK/warmup-$target.txt")))
	fi
done

FIGURES=(rps p50 p99 app_us db_us wrk_us others)
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
			if [[ $target == reference ]]; then
				run_wrk reference "${DURATION%s}" "$out"
			else
				run_wrk submit "$WINDOW" "$out"
				ACKED=$((ACKED + $(field ok "$out")))
				SENT_BAD=$((SENT_BAD + $(field bad "$out")))
				LATE=$((LATE + $(field late "$out")))
			fi
			result=$(parse "$target" "$out")
			read -r rps p50 p99 bad app_us db_us wrk_us others ok <<<"$result"
			log "run $run/$RUNS $(printf '%-9s' "$target") $(printf '%8.0f' "$rps") $([[ $target == submit ]] && echo 'accepted/s' || echo 'req/s     ')  p50 $p50 ms  p99 $p99 ms  errors $bad  CPU/req: server $app_us us, PostgreSQL $db_us us, wrk $wrk_us us; others' CPU $others%"
			if [[ -z $best ]] || awk "BEGIN { exit !($others < $(cut -d' ' -f8 <<<"$best")) }"; then
				best=$result
			fi
			awk "BEGIN { exit !($others > $MAX_OTHERS) }" || break
			[[ $attempt == "$RETRIES" ]] || log "  other processes used $others% of the CPU (> $MAX_OTHERS%): repeating"
		done
		read -r rps p50 p99 bad app_us db_us wrk_us others ok <<<"$best"
		awk "BEGIN { exit !($others > $MAX_OTHERS) }" && DISTURBED=$((DISTURBED + 1))
		for f in "${FIGURES[@]}"; do ALL[$target.$f]+=" ${!f}"; done
		BAD[$target]=$((BAD[$target] + bad))
	done
done
for target in "${TARGETS[@]}"; do
	for f in "${FIGURES[@]}"; do MED[$target.$f]=$(median <<<"${ALL[$target.$f]}"); done
done
UPTIME_AFTER=$(uptime)

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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "sangkien submissions benchmark (issue 3), $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src sql 2>/dev/null || echo ' (src/ or sql/ modified)')"
echo "$NCPU cores, wrk -t$WRK_THREADS -c$CONNECTIONS --latency, submissions: ${WINDOW} s windows; reference: ${DURATION}; $THREADS server threads, median of $RUNS interleaved runs"
echo "$RESIDENTS residents with sessions ($API_RESIDENTS made through the API); each request one complete proposal ($(field body_bytes "$WORK/warmup-submit.txt")-byte JSON body), submit:true"
echo "load before: ${UPTIME_BEFORE#*load average: }; after: ${UPTIME_AFTER#*load average: }"
echo "(runs with other processes above $MAX_OTHERS% of the CPU repeated up to $RETRIES times; $DISTURBED stayed disturbed)"
echo
printf '%-40s %8s %7s %7s %6s %6s | %6s %6s %6s %6s | %6s\n' target 'per s' 'p50 ms' 'p99 ms' 'vs ref' errors server 'pg' wrk total 'others'
declare -A LABEL=([reference]="bench-reference GET (req/s)" [submit]="POST proposals submit:true (201/s)")
for target in "${TARGETS[@]}"; do
	printf '%-40s %8.0f %7.2f %7.2f %6s %6d | %6.1f %6.1f %6.1f %6.1f | %5.1f%%\n' "${LABEL[$target]}" "${MED[$target.rps]}" \
		"${MED[$target.p50]}" "${MED[$target.p99]}" "$(ratio "${MED[$target.rps]}" "${MED[reference.rps]}")" "${BAD[$target]}" \
		"${MED[$target.app_us]}" "${MED[$target.db_us]}" "${MED[$target.wrk_us]}" \
		"$(awk "BEGIN { print ${MED[$target.app_us]} + ${MED[$target.db_us]} + ${MED[$target.wrk_us]} }")" "${MED[$target.others]}"
done
echo "CPU us per request: the server process, PostgreSQL (the bench database's backends) and wrk."
echo "others: CPU used by anything else (the cluster's WAL writer included), as a share of the machine."
echo
echo "Durability check (all submissions runs, warm-up and repeats included):"
echo "  201 replies received:                 $ACKED"
echo "  submitted proposals in the database:  $DB_SUBMITTED  (distinct tracking codes: $DB_DISTINCT_CODES, authors: $DB_AUTHORS)"
echo "  proposal_submitted audit rows:        $DB_AUDIT"
echo "  non-201 replies:                      $SENT_BAD;  health checks sent after a window (reconnects): $LATE"
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
printf '%-4s  >= 1500 accepted submissions/s with p99 < 100 ms at %s connections: %.0f/s, p99 %.2f ms\n' \
	"$(verdict "${MED[submit.rps]} >= 1500 && ${MED[submit.p99]} < 100 && ${BAD[submit]} == 0")" \
	"$CONNECTIONS" "${MED[submit.rps]}" "${MED[submit.p99]}"
printf '%-4s  every acknowledged submission is in the database: %s 201 replies, %s submitted proposals, %s audit rows\n' \
	"$(verdict "$ACKED == $DB_SUBMITTED && $ACKED == $DB_AUDIT && $DB_DISTINCT_CODES == $DB_SUBMITTED")" \
	"$ACKED" "$DB_SUBMITTED" "$DB_AUDIT"
printf 'info  submissions/s vs bench-reference req/s (context, not a target): %s\n' \
	"$(ratio "${MED[submit.rps]}" "${MED[reference.rps]}")"
[[ ${BAD[submit]} == 0 ]] || echo "      submit: ${BAD[submit]} socket errors or non-201 replies in the counted runs"
[[ -z $TRACKING_NOTE ]] || echo "note: $TRACKING_NOTE"
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED run(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute rates are low; rerun on a quiet machine"
exit 0
