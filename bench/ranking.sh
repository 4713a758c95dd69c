#!/usr/bin/env bash
# bench/ranking.sh: the ranking engine (sk_rank, src/domain/ranking.c) alone on a large
# synthetic call, against the same ranking written in SQL with window functions, on
# the same data, in the same run (issue 5).
#
#   bench/ranking.sh                   # from anywhere inside the checkout
#
# What it does: builds build/bench/ranking/ranking-bench (release build, build/),
# generates 100,000 proposals x 5 reviews x 3 criteria by 200 panelists
# (deterministic pseudo-random scores, see bench/ranking/ranking_bench.c), then
#   C    runs sk_rank BENCH_C_RUNS times (normalisation, intervals, alpha, sort) and
#        takes the median wall time (clock_gettime), and the peak RSS of the process;
#   SQL  loads the same 500,000 reviews with COPY into a throw-away database and times
#        the equivalent query (R per review; per-panelist mean and stddev_pop as window
#        functions; normalised R'; per-proposal mean, stddev_samp, count; ORDER BY) with
#        EXPLAIN (ANALYZE, TIMING OFF): median of BENCH_SQL_RUNS executions, once with the
#        cluster's settings and once tuned (work_mem 256MB, jit off); the faster counts.
# The top of both rankings is compared (same proposals, same scores to 1e-6).
# Targets (issue 5): C median < 150 ms, and >= 10x faster than the faster SQL.
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment:
#   BENCH_PROPOSALS (100000) BENCH_REVIEWS (5) BENCH_CRITERIA (3) BENCH_PANELISTS (200)
#   BENCH_C_RUNS (5)         BENCH_SQL_RUNS (3)
#   BENCH_BUILD_DIR (build)  BENCH_SKIP_BUILD (0)  DATABASE_URL (embedded cluster)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

PROPOSALS=${BENCH_PROPOSALS:-100000}
REVIEWS=${BENCH_REVIEWS:-5}
CRITERIA=${BENCH_CRITERIA:-3}
PANELISTS=${BENCH_PANELISTS:-200}
C_RUNS=${BENCH_C_RUNS:-5}
SQL_RUNS=${BENCH_SQL_RUNS:-3}
BUILD_DIR=${BENCH_BUILD_DIR:-build}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for v in PROPOSALS REVIEWS CRITERIA PANELISTS C_RUNS SQL_RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer"
done
ensure_packages run >&2
command -v psql >/dev/null || die "psql is not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-ranking.XXXXXX")
ADMIN_URL=
BENCH_DB=

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
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
BIN=$BUILD_DIR/bench/ranking/ranking-bench
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		log "meson setup $BUILD_DIR --buildtype=release"
		meson setup "$BUILD_DIR" --buildtype=release >&2 || die "meson setup failed"
	fi
	# Regenerate first when a meson.build changed (the target may be new to this build dir).
	ninja -C "$BUILD_DIR" build.ninja >"$WORK/compile.log" 2>&1 || { tail -n 40 "$WORK/compile.log" >&2; die "meson regeneration failed"; }
	log "meson compile -C $BUILD_DIR ranking-bench"
	meson compile -C "$BUILD_DIR" ranking-bench >"$WORK/compile.log" 2>&1 ||
		{ tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
fi
[[ -x $BIN ]] || die "$BIN not built"
buildtype=$(_sk_python -c 'import json, sys
print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), ""))' \
	"$BUILD_DIR/meson-info/intro-buildoptions.json" 2>/dev/null || true)
[[ $buildtype == release ]] || log "warning: $BUILD_DIR has buildtype '${buildtype:-unknown}', not release"
SHAPE=(--proposals "$PROPOSALS" --reviews "$REVIEWS" --criteria "$CRITERIA" --panelists "$PANELISTS")

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
BENCH_DB="sangkien_bench_ranking_$$_$(date +%s)"
psql -X -q -d "$ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$BENCH_DB\"" >/dev/null ||
	{ BENCH_DB=; die "cannot create the bench database"; }
BENCH_URL=$(url_with_dbname "$ADMIN_URL" "$BENCH_DB")
q() { psql -X -q -t -A -d "$BENCH_URL" -v ON_ERROR_STOP=1 "$@"; }

# ---------------------------------------------------------------- data
log "generating $PROPOSALS proposals x $REVIEWS reviews x $CRITERIA criteria, $PANELISTS panelists"
"$BIN" "${SHAPE[@]}" --csv "$WORK/data" >&2 || die "ranking-bench --csv failed"
cols=() weights=() maxes=()
while IFS=, read -r pos weight max; do
	cols+=("s$pos int NOT NULL")
	weights+=("$weight")
	maxes+=("$max")
done <"$WORK/data/criteria.csv"
[[ ${#weights[@]} == "$CRITERIA" ]] || die "criteria.csv has ${#weights[@]} criteria, expected $CRITERIA"
q -c "CREATE TABLE bench_reviews (proposal_id int NOT NULL, panelist_id int NOT NULL, $(IFS=,; echo "${cols[*]}"))" >/dev/null
t0=$(date +%s.%N)
q -c "\\copy bench_reviews FROM '$WORK/data/reviews.csv' WITH (FORMAT csv)" >/dev/null || die "COPY failed"
t1=$(date +%s.%N)
q -c "VACUUM ANALYZE bench_reviews" >/dev/null
loaded=$(q -c "SELECT count(*) FROM bench_reviews")
[[ $loaded == $((PROPOSALS * REVIEWS)) ]] || die "loaded $loaded reviews, expected $((PROPOSALS * REVIEWS))"
log "COPY of $loaded reviews: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

# The review score R on 0..100 (the same formula as sk_rank_review_score), as SQL.
num="" wsum=0
for i in "${!weights[@]}"; do
	num+="${num:+ + }${weights[$i]} * s$((i + 1))::float8 / ${maxes[$i]}"
	wsum=$(awk -v a="$wsum" -v b="${weights[$i]}" 'BEGIN { print a + b }')
done
RANKING_SQL="WITH r AS (
	SELECT proposal_id, panelist_id, 100 * ($num) / $wsum AS r FROM bench_reviews),
n AS (
	SELECT proposal_id, r,
		avg(r) OVER w AS pm, stddev_pop(r) OVER w AS psd, count(*) OVER w AS pn,
		avg(r) OVER () AS gm, stddev_pop(r) OVER () AS gsd
	FROM r WINDOW w AS (PARTITION BY panelist_id)),
x AS (
	SELECT proposal_id, r,
		CASE WHEN pn < 3 THEN r WHEN psd < 1e-9 THEN r - pm + gm ELSE gm + gsd * (r - pm) / psd END AS rn
	FROM n)
SELECT proposal_id, avg(rn) AS score, avg(r) AS raw, stddev_samp(rn) AS sd, count(*) AS n
FROM x GROUP BY proposal_id
ORDER BY score DESC, raw DESC, n DESC, proposal_id"
printf '%s;\n' "$RANKING_SQL" >"$WORK/ranking.sql"

# ---------------------------------------------------------------- load accounting
CLK_TCK=$(getconf CLK_TCK)
machine_ticks() {
	awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit}' /proc/stat
}
# others_pct BUSY0 TOTAL0 BUSY1 TOTAL1 OWN_TICKS: the share of the machine's CPU used by
# anything but the measured work during an interval, in per cent
others_pct() {
	awk -v b0="$1" -v t0="$2" -v b1="$3" -v t1="$4" -v own="$5" 'BEGIN {
		o = (b1 - b0 - own) / (t1 - t0) * 100; if (o < 0) o = 0; printf "%.1f", o }'
}
UPTIME_BEFORE=$(uptime)

# ---------------------------------------------------------------- C
log "C: sk_rank x $C_RUNS"
read -r mb0 mt0 <<<"$(machine_ticks)"
/usr/bin/time -f '%U %S %M' -o "$WORK/c.time" "$BIN" "${SHAPE[@]}" --runs "$C_RUNS" --top 10 >"$WORK/c.out" ||
	die "ranking-bench failed"
read -r mb1 mt1 <<<"$(machine_ticks)"
read -r cu cs cmax <"$WORK/c.time"
C_OTHERS=$(others_pct "$mb0" "$mt0" "$mb1" "$mt1" "$(awk -v u="$cu" -v s="$cs" -v hz="$CLK_TCK" 'BEGIN { print (u + s) * hz }')")
C_MEDIAN=$(awk '$1 == "median" {print $2}' "$WORK/c.out")
C_MEDIAN_CPU=$(awk '$1 == "median_cpu" {print $2}' "$WORK/c.out")
C_RUNS_LIST=$(awk '$1 == "run" {printf "%s%.1f", sep, $3; sep = " "}' "$WORK/c.out")
C_RSS=$(awk '$1 == "rss_peak_kib" {print $2}' "$WORK/c.out")
C_RSS_INPUT=$(awk '$1 == "rss_before_kib" {print $2}' "$WORK/c.out")
C_ALPHA=$(awk '$1 == "alpha" {print $2}' "$WORK/c.out")
[[ -n $C_MEDIAN && -n $C_RSS ]] || { cat "$WORK/c.out" >&2; die "cannot parse ranking-bench output"; }
log "C: runs $C_RUNS_LIST ms (wall), median $C_MEDIAN ms, CPU median $C_MEDIAN_CPU ms, peak RSS $C_RSS KiB; others' CPU $C_OTHERS%"

# ---------------------------------------------------------------- SQL
# sql_time SETTINGS: median execution time (ms) of BENCH_SQL_RUNS runs; prints "median runs others"
sql_time() {
	local settings=$1 i ms all="" out
	# One session for all runs: its backend's CPU is the measured work.
	{
		printf '%s\n' "$settings"
		printf 'SELECT pg_backend_pid();\n'
		for i in $(seq "$SQL_RUNS"); do
			printf 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) %s;\n' "$RANKING_SQL"
		done
	} >"$WORK/sql-in.sql"
	read -r b0 t0 <<<"$(machine_ticks)"
	q -f "$WORK/sql-in.sql" >"$WORK/sql-out.txt" 2>&1 || { cat "$WORK/sql-out.txt" >&2; die "the SQL ranking failed"; }
	read -r b1 t1 <<<"$(machine_ticks)"
	all=$(awk '/Execution Time:/ {printf "%s%.1f", sep, $3; sep = " "}' "$WORK/sql-out.txt")
	[[ $(wc -w <<<"$all") == "$SQL_RUNS" ]] || { cat "$WORK/sql-out.txt" >&2; die "cannot parse EXPLAIN ANALYZE output"; }
	ms=$(tr ' ' '\n' <<<"$all" | sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
	# The backend has exited by now: count the whole interval's busy time minus one session's share
	# (wall time of the runs, one core) to estimate the others' load.
	local busy_own
	busy_own=$(tr ' ' '\n' <<<"$all" | awk -v hz="$CLK_TCK" '{ s += $1 } END { print s / 1000 * hz }')
	echo "$ms|$all|$(others_pct "$b0" "$t0" "$b1" "$t1" "$busy_own")"
}
log "SQL: window-function ranking x $SQL_RUNS, cluster settings ($(q -c 'SHOW work_mem') work_mem, jit $(q -c 'SHOW jit'))"
IFS='|' read -r SQL_DEF SQL_DEF_RUNS SQL_DEF_OTHERS <<<"$(sql_time "")"
log "SQL: runs $SQL_DEF_RUNS ms, median $SQL_DEF ms; others' CPU $SQL_DEF_OTHERS%"
log "SQL: window-function ranking x $SQL_RUNS, tuned (work_mem 256MB, jit off)"
IFS='|' read -r SQL_TUNED SQL_TUNED_RUNS SQL_TUNED_OTHERS <<<"$(sql_time "SET work_mem = '256MB'; SET jit = off;")"
log "SQL: runs $SQL_TUNED_RUNS ms, median $SQL_TUNED ms; others' CPU $SQL_TUNED_OTHERS%"
grep -E 'Sort Method|WindowAgg|HashAggregate|GroupAggregate|JIT' "$WORK/sql-out.txt" | sort | uniq -c | sed 's/^/bench:   plan: /' >&2 || true
UPTIME_AFTER=$(uptime)

# ---------------------------------------------------------------- agreement
q -c "SET work_mem = '256MB'" -c "COPY (SELECT proposal_id, round(score::numeric, 6), round(raw::numeric, 6), n FROM ($RANKING_SQL) s LIMIT 10) TO STDOUT WITH (FORMAT csv)" >"$WORK/sql-top.csv"
awk '$1 == "top" { printf "%s,%.6f,%.6f,%s\n", $3, $4, $5, $6 }' "$WORK/c.out" >"$WORK/c-top.csv"
if diff -q "$WORK/c-top.csv" "$WORK/sql-top.csv" >/dev/null; then
	AGREE="yes (top 10: same proposals, same normalised and raw scores to 1e-6)"
else
	AGREE="NO"
	log "C and SQL disagree on the top 10:"
	diff "$WORK/c-top.csv" "$WORK/sql-top.csv" | sed 's/^/bench:   /' >&2 || true
fi

# ---------------------------------------------------------------- report
SQL_BEST=$(awk -v a="$SQL_DEF" -v b="$SQL_TUNED" 'BEGIN { print (a < b ? a : b) }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo
echo "sangkien ranking benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src sql 2>/dev/null || echo ' (src/ or sql/ modified)')"
echo "$(nproc) cores; $PROPOSALS proposals x $REVIEWS reviews x $CRITERIA criteria = $((PROPOSALS * REVIEWS)) reviews, $PANELISTS panelists"
echo "load before: ${UPTIME_BEFORE#*load average: }; after: ${UPTIME_AFTER#*load average: }"
echo
printf '%-52s %10s %10s %8s %9s\n' 'engine' 'median ms' 'CPU ms' 'vs C' 'others %'
printf '%-52s %10.1f %10.1f %8s %9s\n' "C sk_rank (median of $C_RUNS)" "$C_MEDIAN" "$C_MEDIAN_CPU" "1.0" "$C_OTHERS"
printf '%-52s %10.1f %10s %8s %9s\n' "SQL window functions, cluster settings (median of $SQL_RUNS)" "$SQL_DEF" "-" "$(ratio "$SQL_DEF" "$C_MEDIAN")" "$SQL_DEF_OTHERS"
printf '%-52s %10.1f %10s %8s %9s\n' "SQL window functions, work_mem 256MB, jit off" "$SQL_TUNED" "-" "$(ratio "$SQL_TUNED" "$C_MEDIAN")" "$SQL_TUNED_OTHERS"
echo
echo "C runs (wall ms): $C_RUNS_LIST"
echo "SQL runs (execution ms): cluster settings $SQL_DEF_RUNS; tuned $SQL_TUNED_RUNS"
echo "C peak RSS: $C_RSS KiB ($(awk -v k="$C_RSS" 'BEGIN { printf "%.1f", k / 1024 }') MiB; $C_RSS_INPUT KiB once the input was generated; /usr/bin/time: $cmax KiB)"
echo "C computes more than the SQL: per-criterion normalised means, Student-t intervals, ties, Krippendorff's alpha ($C_ALPHA)."
echo "C and SQL agree: $AGREE"
echo "others %: CPU used by other processes during the measurement, as a share of the machine."
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
printf '%-4s  C median < 150 ms: %.1f ms\n' "$(verdict "$C_MEDIAN < 150")" "$C_MEDIAN"
printf '%-4s  C >= 10x faster than the faster SQL: %.1f ms vs %.1f ms (%sx)\n' \
	"$(verdict "$SQL_BEST >= 10 * $C_MEDIAN")" "$C_MEDIAN" "$SQL_BEST" "$(ratio "$SQL_BEST" "$C_MEDIAN")"
[[ $AGREE != NO ]] || echo "FAIL  C and SQL rankings disagree (see the log above)"
awk "BEGIN { exit !($C_OTHERS > 10 || $SQL_DEF_OTHERS > 10 || $SQL_TUNED_OTHERS > 10) }" &&
	echo "note: other processes used more than 10% of the CPU during a measurement: rerun on a quiet machine"
exit 0
