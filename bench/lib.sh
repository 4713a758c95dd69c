#!/usr/bin/env bash
# bench/lib.sh: the harness the HTTP benchmarks share (http.sh, submissions.sh, reviews.sh,
# results.sh). Source it, then:
#
#   bench_init NAME              defaults from BENCH_* (below), work directory, exit trap
#   bench_build                  release build of sangkien and bench-reference (build/)
#   bench_database PREFIX        a throw-away database (BENCH_DB, BENCH_URL; q runs psql on it)
#   bench_start                  sangkien serve and bench-reference on free ports: SERVER,
#                                REFERENCE (base URLs), SERVER_PID, REFERENCE_PID
#   bench_measure                warm-up, then BENCH_RUNS rounds of every target in TARGETS,
#                                back to back, each round repeated when other processes took
#                                more than BENCH_MAX_OTHERS % of the CPU; medians in
#                                MED[target.figure], errors in BAD[target]
#   bench_statements             pg_stat_statements: what the counted runs' statements cost
#   bench_check LABEL COND TEXT  one verdict line: "PASS|FAIL  TEXT" (bench/all.sh collects them)
#
# The script defines bench_run TARGET SECONDS OUT, which runs one measurement (usually with
# bench_wrk) and prints "rps p50_ms p99_ms bad requests" (further fields are kept as extra);
# bench_measure adds the CPU figures from OUT.cpu.
#
# Every database target is judged on its ratio to a reference measured in the same rounds:
# bench-reference serves /version (no database), /ref/select (one prepared point SELECT) and
# /ref/insert (one durable one-row INSERT) through MHD + a libpq pool of the server's size +
# jansson, on the bench database, so both share the cluster and its settings.
#
# Environment (every script):
#   BENCH_DURATION     seconds per run (default 10)
#   BENCH_CONNECTIONS  concurrent connections (default 64)
#   BENCH_WRK_THREADS  wrk threads (default 2)
#   BENCH_RUNS         rounds, the median counts (default 3)
#   BENCH_WARMUP       warm-up seconds per target (default 2)
#   BENCH_MAX_OTHERS   a round during which other processes used more than this share of the
#                      CPU, in per cent, is repeated (default 10)
#   BENCH_RETRIES      how many times at most (default 2); the least disturbed round counts
#   BENCH_BUILD_DIR    build directory (default build)
#   BENCH_SKIP_BUILD   1: do not run meson (the binaries must exist)
#   BENCH_SERVER_LOG   where sangkien's stderr goes (default: a temporary file)
#   SANGKIEN_THREADS   sangkien's threads; bench-reference uses the same (default 4)
#   SANGKIEN_DB_POOL   sangkien's pool; bench-reference uses the same (default: threads)
#   DATABASE_URL       an existing PostgreSQL the bench database is created on (default: the
#                      embedded cluster of scripts/lib.sh, which loads pg_stat_statements)

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT" || exit 1

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "0.00" }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {
	if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# to_ms VALUE: wrk duration (e.g. 311.00us, 2.5ms, 1.02s, 2m) in milliseconds
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.3f", n }'
}
# field NAME FILE: the value of NAME=... on the RESULT line a Lua script printed
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

# bench_init NAME: reads the common settings, checks the tools, makes WORK, sets the exit trap.
bench_init() {
	BENCH_NAME=$1
	DURATION=${BENCH_DURATION:-${BENCH_WINDOW:-10}}
	DURATION=${DURATION%s}
	CONNECTIONS=${BENCH_CONNECTIONS:-64}
	WRK_THREADS=${BENCH_WRK_THREADS:-2}
	RUNS=${BENCH_RUNS:-3}
	WARMUP=${BENCH_WARMUP:-2}
	WARMUP=${WARMUP%s}
	MAX_OTHERS=${BENCH_MAX_OTHERS:-10}
	RETRIES=${BENCH_RETRIES:-2}
	BUILD_DIR=${BENCH_BUILD_DIR:-build}
	THREADS=${SANGKIEN_THREADS:-4}
	POOL=${SANGKIEN_DB_POOL:-0}
	[[ $POOL != 0 ]] || POOL=$THREADS
	local v
	for v in DURATION CONNECTIONS WRK_THREADS RUNS WARMUP THREADS POOL; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v (${!v}) must be a positive integer"
	done
	[[ $RETRIES =~ ^[0-9]+$ ]] || die "BENCH_RETRIES must be a whole number"
	[[ $MAX_OTHERS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_MAX_OTHERS must be a number (per cent)"
	[[ $WRK_THREADS -le $CONNECTIONS ]] || die "BENCH_WRK_THREADS ($WRK_THREADS) > BENCH_CONNECTIONS ($CONNECTIONS)"
	ensure_packages run >&2
	for v in wrk curl psql; do
		command -v "$v" >/dev/null || die "$v is not installed (Debian: apt-get install $v)"
	done
	CLK_TCK=$(getconf CLK_TCK)
	NCPU=$(nproc)
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-$BENCH_NAME.XXXXXX")
	SERVER_PID=
	REFERENCE_PID=
	ADMIN_URL=
	BENCH_DB=
	PGSS=0
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
bench_cleanup() {
	local rc=$? pid
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

# bench_build [TARGET...]: compiles sangkien, bench-reference and the extra targets only, so
# that work in progress elsewhere (tests) does not stop a benchmark.
bench_build() {
	if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
		if [[ ! -f $BUILD_DIR/build.ninja ]]; then
			log "meson setup $BUILD_DIR --buildtype=release"
			meson setup "$BUILD_DIR" --buildtype=release >&2 || die "meson setup failed"
		fi
		log "meson compile -C $BUILD_DIR sangkien bench-reference $*"
		meson compile -C "$BUILD_DIR" sangkien bench-reference "$@" >"$WORK/compile.log" 2>&1 ||
			{ tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
	fi
	SANGKIEN=$BUILD_DIR/sangkien
	REFERENCE_BIN=$BUILD_DIR/bench/bench-reference
	[[ -x $SANGKIEN ]] || die "$SANGKIEN not built"
	[[ -x $REFERENCE_BIN ]] || die "$REFERENCE_BIN not built"
	local buildtype
	buildtype=$(_sk_python -c 'import json, sys
print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), ""))' \
		"$BUILD_DIR/meson-info/intro-buildoptions.json" 2>/dev/null || true)
	[[ $buildtype == release ]] || log "warning: $BUILD_DIR has buildtype '${buildtype:-unknown}', not release"
}

q() { psql -X -q -t -A -d "$BENCH_URL" -v ON_ERROR_STOP=1 "$@"; }

# bench_database PREFIX: creates the throw-away database; PGSS=1 when pg_stat_statements works in it.
bench_database() {
	if [[ -n ${DATABASE_URL:-} ]]; then
		ADMIN_URL=$DATABASE_URL
		log "using the PostgreSQL at \$DATABASE_URL for the bench database"
	else
		ensure_cluster >&2
		ADMIN_URL=$(db_url postgres)
		log "using the embedded PostgreSQL in .data/pg"
	fi
	psql -X -q -d "$ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL ($ADMIN_URL)"
	BENCH_DB="sangkien_bench_$1_$$_$(date +%s)"
	psql -X -q -d "$ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$BENCH_DB\"" >/dev/null ||
		{ BENCH_DB=; die "cannot create the bench database"; }
	BENCH_URL=$(url_with_dbname "$ADMIN_URL" "$BENCH_DB")
	log "bench database $BENCH_DB"
	if q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null 2>&1 &&
		q -c "SELECT count(*) FROM pg_stat_statements" >/dev/null 2>&1; then
		PGSS=1
	else
		log "pg_stat_statements is not loaded (shared_preload_libraries): no per-statement figures"
		log "  (the embedded cluster loads it since issue 12: restart it with scripts/run or stop it once)"
	fi
	BENCH_SETTINGS=$(q -F ' ' -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name)
		FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'commit_delay', 'commit_siblings', 'wal_sync_method', 'shared_buffers')")
}

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

# bench_start: starts sangkien (migrating the bench database) and then bench-reference on it.
bench_start() {
	SERVER_LOG=${BENCH_SERVER_LOG:-$WORK/sangkien.log}
	log "starting $SANGKIEN serve ($THREADS threads, pool $POOL; log: $SERVER_LOG)"
	DATABASE_URL=$BENCH_URL SANGKIEN_LISTEN=127.0.0.1:0 SANGKIEN_PORT_FILE=$WORK/sangkien.port \
		SANGKIEN_THREADS=$THREADS SANGKIEN_DB_POOL=$POOL SANGKIEN_SECURE_COOKIES=0 SANGKIEN_TEST_CLOCK=0 \
		"$SANGKIEN" serve 2>"$SERVER_LOG" >/dev/null &
	SERVER_PID=$!
	local port
	port=$(wait_port "$WORK/sangkien.port" "$SERVER_PID" sangkien) || { tail -n 20 "$SERVER_LOG" >&2; exit 1; }
	SERVER=http://127.0.0.1:$port
	for _ in $(seq 100); do
		[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SERVER/api/v1/health") == 200 ]] && break
		sleep 0.1
	done
	[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SERVER/api/v1/health") == 200 ]] ||
		{ tail -n 20 "$SERVER_LOG" >&2; die "sangkien /api/v1/health is not 200"; }
	BENCH_REFERENCE_THREADS=$THREADS BENCH_REFERENCE_POOL=$POOL BENCH_REFERENCE_DATABASE_URL=$BENCH_URL \
		"$REFERENCE_BIN" 0 "$WORK/reference.port" 2>"$WORK/reference.log" &
	REFERENCE_PID=$!
	port=$(wait_port "$WORK/reference.port" "$REFERENCE_PID" bench-reference) || { cat "$WORK/reference.log" >&2; exit 1; }
	REFERENCE=http://127.0.0.1:$port
	[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$REFERENCE/ref/select") == 200 ]] ||
		{ cat "$WORK/reference.log" >&2; die "bench-reference /ref/select is not 200"; }
}

proc_ticks() {
	local pid sum=0 t
	for pid in "$@"; do
		t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}
# machine_ticks: "busy total" clock ticks of all CPUs since boot
machine_ticks() {
	awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit}' /proc/stat
}
# pg_pids APPLICATION: the bench database's backends of sangkien or bench-reference (the
# cluster's WAL writer and checkpointer are shared: their CPU counts as "others")
pg_pids() {
	psql -X -q -t -A -d "$ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$BENCH_DB'
		AND application_name = '$1' AND pid <> pg_backend_pid()" | tr '\n' ' '
}

# bench_wrk WHO OUT WRK-ARGS...: runs wrk (WHO: sangkien or reference, whose process and
# backends are accounted); its output in OUT, "app_ticks db_ticks wrk_seconds machine_busy
# machine_total" in OUT.cpu.
bench_wrk() {
	local who=$1 out=$2 spid bpids=() a0 a1 d0 d1 m0b m0t m1b m1t
	shift 2
	if [[ $who == reference ]]; then
		spid=$REFERENCE_PID
		read -ra bpids <<<"$(pg_pids bench-reference)"
	else
		spid=$SERVER_PID
		read -ra bpids <<<"$(pg_pids sangkien)"
	fi
	a0=$(proc_ticks "$spid")
	d0=$(proc_ticks "${bpids[@]}")
	read -r m0b m0t <<<"$(machine_ticks)"
	/usr/bin/time -f '%U %S' -o "$out.time" wrk "$@" >"$out" 2>&1 ||
		{ cat "$out" >&2; die "wrk failed ($who)"; }
	read -r m1b m1t <<<"$(machine_ticks)"
	a1=$(proc_ticks "$spid")
	d1=$(proc_ticks "${bpids[@]}")
	echo "$((a1 - a0)) $((d1 - d0)) $(awk '{print $1 + $2}' "$out.time") $((m1b - m0b)) $((m1t - m0t))" >"$out.cpu"
}

# wrk_figures OUT: "rps p50_ms p99_ms bad requests" from wrk's own output (bad: socket
# errors and non-2xx/3xx replies)
wrk_figures() {
	local f=$1 rps p50 p99 n errors non2xx
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
	p50=$(awk '$1 == "50%" {print $2; exit}' "$f")
	p99=$(awk '$1 == "99%" {print $2; exit}' "$f")
	n=$(awk '/ requests in / {print $1; exit}' "$f")
	errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$f")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $4}' "$f")
	[[ -n $rps && -n $p50 && -n $p99 && ${n:-0} -gt 0 ]] || { cat "$f" >&2; die "cannot parse wrk output ($f)"; }
	echo "$rps $(to_ms "$p50") $(to_ms "$p99") $((${errors:-0} + ${non2xx:-0})) $n"
}

# cpu_figures OUT REQUESTS: "app_us db_us wrk_us others_pct", CPU microseconds per request.
# OUT.cpu may have a sixth field: ticks of further processes of the benchmark (bench/cluster.sh:
# the standby), which do not count as others.
cpu_figures() {
	local app_ticks db_ticks wrk_s busy total known
	read -r app_ticks db_ticks wrk_s busy total known <"$1.cpu"
	awk -v n="$2" -v at="$app_ticks" -v dt="$db_ticks" -v ws="$wrk_s" -v busy="$busy" -v total="$total" \
		-v known="${known:-0}" -v hz="$CLK_TCK" 'BEGIN {
			others = (busy - at - dt - known - ws * hz) / total * 100; if (others < 0) others = 0
			printf "%.1f %.1f %.1f %.1f\n", at / hz * 1e6 / n, dt / hz * 1e6 / n, ws * 1e6 / n, others }'
}

# bench_measure: warm-up and the counted rounds of TARGETS (an array; bench_run does the work).
# Sets MED[target.rps|p50|p99|app_us|db_us|wrk_us|others|x1..], BAD[target], REQS[target]
# (requests over every counted attempt, for pg_stat_statements), DISTURBED.
bench_measure() {
	local target run attempt out r rps p50 p99 bad n extra app_us db_us wrk_us others best_worst worst f
	declare -gA ALL=() BAD=() MED=() REQS=()
	FIGURES=(rps p50 p99 app_us db_us wrk_us others x1 x2 x3)
	UPTIME_BEFORE=$(uptime)
	log "machine: $NCPU cores; load: ${UPTIME_BEFORE#*load average: }; wrk -t$WRK_THREADS -c$CONNECTIONS, ${DURATION} s runs, $RUNS rounds of: ${TARGETS[*]}"
	for target in "${TARGETS[@]}"; do
		log "warm-up $target (${WARMUP} s)"
		bench_run "$target" "$WARMUP" "$WORK/warmup-$target.txt" >/dev/null
		BAD[$target]=0
		REQS[$target]=0
		for f in "${FIGURES[@]}"; do ALL[$target.$f]=""; done
	done
	# A script may define bench_after_warmup (run once, after every warm-up, before the counted rounds).
	! declare -F bench_after_warmup >/dev/null || bench_after_warmup
	[[ $PGSS != 1 ]] || q -c "SELECT pg_stat_statements_reset()" >/dev/null
	DISTURBED=0
	for run in $(seq "$RUNS"); do
		best_worst=
		declare -A BEST=()
		for attempt in $(seq 0 "$RETRIES"); do
			declare -A ROUND=()
			worst=0
			for target in "${TARGETS[@]}"; do
				out=$WORK/run-$run-$attempt-$target.txt
				r=$(bench_run "$target" "$DURATION" "$out")
				read -r rps p50 p99 bad n extra <<<"$r"
				REQS[$target]=$((REQS[$target] + n))
				read -r app_us db_us wrk_us others <<<"$(cpu_figures "$out" "$n")"
				log "round $run/$RUNS $(printf '%-10s' "$target") $(printf '%8.0f' "$rps")/s  p50 $p50 ms  p99 $p99 ms  errors $bad  CPU/req: server $app_us us, PostgreSQL $db_us us, wrk $wrk_us us; others' CPU $others%${extra:+  ($extra)}"
				ROUND[$target]="$rps $p50 $p99 $app_us $db_us $wrk_us $others $bad $extra"
				worst=$(awk -v a="$worst" -v b="$others" 'BEGIN { print (b > a ? b : a) }')
			done
			if [[ -z $best_worst ]] || awk "BEGIN { exit !($worst < $best_worst) }"; then
				best_worst=$worst
				for target in "${TARGETS[@]}"; do BEST[$target]=${ROUND[$target]}; done
			fi
			awk "BEGIN { exit !($worst > $MAX_OTHERS) }" || break
			[[ $attempt == "$RETRIES" ]] ||
				log "  other processes used up to $worst% of the CPU in this round (> $MAX_OTHERS%): repeating it"
		done
		awk "BEGIN { exit !($best_worst > $MAX_OTHERS) }" && DISTURBED=$((DISTURBED + 1))
		for target in "${TARGETS[@]}"; do
			local x1='' x2='' x3=''
			# shellcheck disable=SC2034  # x1..x3 are read through ${!f}
			read -r rps p50 p99 app_us db_us wrk_us others bad x1 x2 x3 <<<"${BEST[$target]}"
			for f in "${FIGURES[@]}"; do ALL[$target.$f]+=" ${!f:-0}"; done
			BAD[$target]=$((BAD[$target] + bad))
		done
	done
	for target in "${TARGETS[@]}"; do
		for f in "${FIGURES[@]}"; do MED[$target.$f]=$(median <<<"${ALL[$target.$f]}"); done
	done
	UPTIME_AFTER=$(uptime)
}

# bench_header TITLE: the first lines of the report
bench_header() {
	echo
	echo "$1, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src sql bench 2>/dev/null || echo ' (src/, sql/ or bench/ modified)')"
	echo "$NCPU cores, wrk -t$WRK_THREADS -c$CONNECTIONS --latency, ${DURATION} s runs, $THREADS server threads, pool $POOL, median of $RUNS interleaved rounds"
	echo "PostgreSQL: ${BENCH_SETTINGS:-?}"
	echo "load before: ${UPTIME_BEFORE#*load average: }; after: ${UPTIME_AFTER#*load average: }"
	echo "(rounds with other processes above $MAX_OTHERS% of the CPU repeated up to $RETRIES times; $DISTURBED of $RUNS stayed disturbed)"
	echo
}

# bench_table LABEL-ARRAY-NAME REF-TARGET-OF-ARRAY-NAME: one line per target with its ratio to
# the reference target named for it.
bench_table() {
	local -n labels=$1 refs=$2
	local target ref
	printf '%-44s %8s %7s %7s %6s %6s | %6s %6s %6s %6s | %6s\n' target 'per s' 'p50 ms' 'p99 ms' 'ratio' errors server pg wrk total others
	for target in "${TARGETS[@]}"; do
		ref=${refs[$target]:-}
		printf '%-44s %8.0f %7.2f %7.2f %6s %6d | %6.1f %6.1f %6.1f %6.1f | %5.1f%%\n' "${labels[$target]}" "${MED[$target.rps]}" \
			"${MED[$target.p50]}" "${MED[$target.p99]}" "$([[ -n $ref ]] && ratio "${MED[$target.rps]}" "${MED[$ref.rps]}" || echo '-')" \
			"${BAD[$target]}" "${MED[$target.app_us]}" "${MED[$target.db_us]}" "${MED[$target.wrk_us]}" \
			"$(awk "BEGIN { print ${MED[$target.app_us]} + ${MED[$target.db_us]} + ${MED[$target.wrk_us]} }")" "${MED[$target.others]}"
	done
	# BENCH_TABLE_NOTE: a script whose columns mean something else says so (bench/cluster.sh)
	if [[ -n ${BENCH_TABLE_NOTE:-} ]]; then
		printf '%s\n' "$BENCH_TABLE_NOTE"
	else
		echo "ratio: to the reference measured in the same rounds (the target is judged on it)."
		echo "CPU us per request: the server process, its PostgreSQL backends (pg) and wrk;"
		echo "others: CPU used by anything else (the cluster's WAL writer included), as a share of the machine."
	fi
	echo
}

# bench_statements TARGET...: what the statements of sangkien cost during the counted rounds
# of TARGET (pg_stat_statements, reset after the warm-up), per request of those targets, as a
# share of the backends' CPU per request. Top-level statements first, then the statements run
# inside functions (pg_stat_statements.track = all), which are part of their caller's time.
bench_statements() {
	[[ $PGSS == 1 ]] || { echo "statements: pg_stat_statements is not loaded in this cluster"; echo; return 0; }
	local n=0 pg_us t
	for t in "$@"; do n=$((n + REQS[$t])); done
	pg_us=${MED[$1.db_us]}
	[[ $n -gt 0 ]] || return 0
	echo "PostgreSQL per request of ${*} ($n requests counted; backends' CPU $pg_us us/request):"
	printf '  %6s %9s %7s  %s\n' 'calls' 'exec us' 'share' 'statement (exec time per request; share of the backends CPU)'
	q -F $'\t' -c "SELECT toplevel, round(calls::numeric / $n, 2), round(((total_exec_time + total_plan_time) * 1000 / $n)::numeric, 1),
			regexp_replace(left(query, 110), '\s+', ' ', 'g')
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = current_database() AND query !~* 'bench_reference|pg_stat_statements|pg_catalog|^ANALYZE'
		ORDER BY toplevel DESC, total_exec_time + total_plan_time DESC LIMIT 24" |
		while IFS=$'\t' read -r top calls us text; do
			[[ -n $calls && $calls != 0.00 ]] || continue
			printf '  %6s %9s %6s%%  %s%s\n' "$calls" "$us" "$(awk -v a="$us" -v b="$pg_us" 'BEGIN { if (b > 0) printf "%.0f", a / b * 100; else print "-" }')" \
				"$([[ $top == t ]] && echo '' || echo '  (inside) ')" "$text"
		done
	echo "  (exec us: executor + planner wall time in the backend; the rest of the CPU is protocol, parsing, commit)"
	echo
}

# bench_check LABEL COND TEXT: prints one verdict line
bench_check() {
	printf '%-4s  %s: %s\n' "$(verdict "$2")" "$1" "$3"
}

# bench_memory: the server's resident memory now and at its peak (VmRSS, VmHWM)
bench_memory() {
	[[ -n $SERVER_PID && -r /proc/$SERVER_PID/status ]] || return 0
	MEM_RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")
	MEM_PEAK_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
	printf 'info  sangkien memory after the runs: RSS %.1f MiB, peak RSS %.1f MiB\n' \
		"$(awk -v k="$MEM_RSS_KB" 'BEGIN { print k / 1024 }')" "$(awk -v k="$MEM_PEAK_KB" 'BEGIN { print k / 1024 }')"
}
