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
#   C    runs sk_rank (normalisation, intervals, alpha, sort) in BENCH_C_RUNS processes,
#        timed with clock_gettime: the median wall time of each process's FIRST call (a
#        fresh process, fresh memory: what the targets are judged on), and the peak RSS;
#        each process then calls it BENCH_C_REUSE more times with the same
#        sk_rank_workspace (as a server thread keeps one), reported on its own line;
#   SQL  loads the same 500,000 reviews with COPY into a throw-away database and times
#        the equivalent query (R per review; per-panelist mean and stddev_pop as window
#        functions; normalised R'; per-proposal mean, stddev_samp, count; ORDER BY) with
#        EXPLAIN (ANALYZE, TIMING OFF): median of BENCH_SQL_RUNS executions, with the
#        cluster's settings and tuned (work_mem 256MB, jit off); the faster counts.
# The C and SQL runs are interleaved, so that a slow minute hurts both alike.
# The top of both rankings is compared (same proposals, same scores to 1e-6).
# Targets (issue 5): C median < 150 ms, and >= 10x faster than the faster SQL.
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment:
#   BENCH_PROPOSALS (100000) BENCH_REVIEWS (5) BENCH_CRITERIA (3) BENCH_PANELISTS (200)
#   BENCH_C_RUNS (5)         BENCH_C_REUSE (3)  BENCH_SQL_RUNS (3)
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
C_REUSE=${BENCH_C_REUSE:-3}
SQL_RUNS=${BENCH_SQL_RUNS:-3}
BUILD_DIR=${BENCH_BUILD_DIR:-build}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for v in PROPOSALS REVIEWS CRITERIA PANELISTS C_RUNS SQL_RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer"
done
[[ $C_REUSE =~ ^[0-9]+$ ]] || die "BENCH_C_REUSE must be a non-negative integer"
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

# ---------------------------------------------------------------- measure, interleaved
# C and SQL runs alternate (C, SQL, SQL tuned, C, ...), so that a slow minute on this shared
# machine hurts both alike. A C run is one process: generate the data, sk_rank once (timed
# with clock_gettime), peak RSS. A SQL run is one session: EXPLAIN (ANALYZE, TIMING OFF)
# of the ranking query, its Execution Time.
c_run() { # I: one C run; appends "wall cpu" to $WORK/c.runs, keeps its output and time
	local i=$1 b0 t0 b1 t1 u s m
	read -r b0 t0 <<<"$(machine_ticks)"
	/usr/bin/time -f '%U %S %M' -o "$WORK/c-$i.time" "$BIN" "${SHAPE[@]}" --runs $((1 + C_REUSE)) --top 10 >"$WORK/c-$i.out" ||
		die "ranking-bench failed"
	read -r b1 t1 <<<"$(machine_ticks)"
	read -r u s m <"$WORK/c-$i.time"
	awk '$1 == "run" && $2 == 1 {print $3, $4}' "$WORK/c-$i.out" >>"$WORK/c.runs"
	awk '$1 == "run" && $2 > 1 {print $3, $4}' "$WORK/c-$i.out" >>"$WORK/c.warm"
	echo "$m" >>"$WORK/c.rss"
	others_pct "$b0" "$t0" "$b1" "$t1" "$(awk -v u="$u" -v s="$s" -v hz="$CLK_TCK" 'BEGIN { print (u + s) * hz }')" >>"$WORK/c.others"
	echo >>"$WORK/c.others"
}
sql_run() { # NAME SETTINGS: one SQL run; appends its execution time (ms) to $WORK/NAME.runs
	local name=$1 settings=$2 b0 t0 b1 t1 ms
	{
		printf '%s\n' "$settings"
		printf 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) %s;\n' "$RANKING_SQL"
	} >"$WORK/sql-in.sql"
	read -r b0 t0 <<<"$(machine_ticks)"
	q -f "$WORK/sql-in.sql" >"$WORK/$name.plan" 2>&1 || { cat "$WORK/$name.plan" >&2; die "the SQL ranking failed"; }
	read -r b1 t1 <<<"$(machine_ticks)"
	ms=$(awk '/Execution Time:/ {print $3}' "$WORK/$name.plan")
	[[ -n $ms ]] || { cat "$WORK/$name.plan" >&2; die "cannot parse EXPLAIN ANALYZE output"; }
	echo "$ms" >>"$WORK/$name.runs"
	# The session's backend ran for the execution time on one core: the rest is the others'.
	others_pct "$b0" "$t0" "$b1" "$t1" "$(awk -v ms="$ms" -v hz="$CLK_TCK" 'BEGIN { print ms / 1000 * hz }')" >>"$WORK/$name.others"
	echo >>"$WORK/$name.others"
}
median_of() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
max_of() { sort -g | tail -n 1; }
DEF_SETTINGS=""
TUNED_SETTINGS="SET work_mem = '256MB'; SET jit = off;"
log "interleaving $C_RUNS C runs with $SQL_RUNS SQL runs each with the cluster's settings ($(q -c 'SHOW work_mem') work_mem, jit $(q -c 'SHOW jit')) and tuned (work_mem 256MB, jit off)"
: >"$WORK/c.runs"
: >"$WORK/c.warm"
ci=0 si=0
while ((ci < C_RUNS || si < SQL_RUNS)); do
	if ((ci < C_RUNS)); then
		ci=$((ci + 1))
		c_run "$ci"
		log "C run $ci: first call $(tail -n 1 "$WORK/c.runs" | awk '{printf "%.1f ms (CPU %.1f ms)", $1, $2}'); workspace reused: $(awk '$1 == "run" && $2 > 1 {printf "%s%.1f", sep, $3; sep = " "}' "$WORK/c-$ci.out") ms"
	fi
	if ((si < SQL_RUNS)); then
		si=$((si + 1))
		sql_run def "$DEF_SETTINGS"
		sql_run tuned "$TUNED_SETTINGS"
		log "SQL run $si: $(tail -n 1 "$WORK/def.runs") ms (cluster settings), $(tail -n 1 "$WORK/tuned.runs") ms (tuned)"
	fi
done
C_MEDIAN=$(awk '{print $1}' "$WORK/c.runs" | median_of)
C_MEDIAN_CPU=$(awk '{print $2}' "$WORK/c.runs" | median_of)
C_RUNS_LIST=$(awk '{printf "%s%.1f", sep, $1; sep = " "}' "$WORK/c.runs")
if [[ -s $WORK/c.warm ]]; then
	C_WARM=$(awk '{print $1}' "$WORK/c.warm" | median_of)
	C_WARM_CPU=$(awk '{print $2}' "$WORK/c.warm" | median_of)
	C_WARM_LIST=$(awk '{printf "%s%.1f", sep, $1; sep = " "}' "$WORK/c.warm")
fi
C_RSS=$(max_of <"$WORK/c.rss")
C_RSS_INPUT=$(awk '$1 == "rss_before_kib" {print $2}' "$WORK/c-1.out")
C_ALPHA=$(awk '$1 == "alpha" {print $2}' "$WORK/c-1.out")
C_OTHERS=$(grep . "$WORK/c.others" | max_of)
SQL_DEF=$(median_of <"$WORK/def.runs")
SQL_DEF_RUNS=$(paste -sd ' ' "$WORK/def.runs")
SQL_DEF_OTHERS=$(grep . "$WORK/def.others" | max_of)
SQL_TUNED=$(median_of <"$WORK/tuned.runs")
SQL_TUNED_RUNS=$(paste -sd ' ' "$WORK/tuned.runs")
SQL_TUNED_OTHERS=$(grep . "$WORK/tuned.others" | max_of)
cp "$WORK/c-1.out" "$WORK/c.out"
for name in def tuned; do
	grep -E 'Sort Method|Disk|JIT:|Functions:' "$WORK/$name.plan" | sed "s/^/bench:   plan ($name): /" >&2 || true
done
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
printf '%-52s %10.1f %10.1f %8s %9s\n' "C sk_rank, first call (median of $C_RUNS processes)" "$C_MEDIAN" "$C_MEDIAN_CPU" "1.0" "$C_OTHERS"
[[ -z ${C_WARM:-} ]] || printf '%-52s %10.1f %10.1f %8s %9s\n' "C sk_rank_with, workspace reused (median of $((C_RUNS * C_REUSE)))" "$C_WARM" "$C_WARM_CPU" "$(ratio "$C_WARM" "$C_MEDIAN")" "$C_OTHERS"
printf '%-52s %10.1f %10s %8s %9s\n' "SQL window functions, cluster settings (median of $SQL_RUNS)" "$SQL_DEF" "-" "$(ratio "$SQL_DEF" "$C_MEDIAN")" "$SQL_DEF_OTHERS"
printf '%-52s %10.1f %10s %8s %9s\n' "SQL window functions, work_mem 256MB, jit off" "$SQL_TUNED" "-" "$(ratio "$SQL_TUNED" "$C_MEDIAN")" "$SQL_TUNED_OTHERS"
echo
echo "C first calls (wall ms): $C_RUNS_LIST"
[[ -z ${C_WARM:-} ]] || echo "C calls reusing the workspace (wall ms): $C_WARM_LIST"
echo "SQL runs (execution ms): cluster settings $SQL_DEF_RUNS; tuned $SQL_TUNED_RUNS"
echo "C peak RSS: $C_RSS KiB = $(awk -v k="$C_RSS" 'BEGIN { printf "%.1f", k / 1024 }') MiB (largest of the runs, /usr/bin/time; $C_RSS_INPUT KiB once the input was generated, getrusage)"
echo "C computes more than the SQL: per-criterion normalised means, Student-t intervals, ties, Krippendorff's alpha ($C_ALPHA)."
echo "C and SQL agree: $AGREE"
echo "others %: CPU used by other processes during a run, as a share of the machine (the worst run of each row)."
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
printf '%-4s  C median < 150 ms: %.1f ms\n' "$(verdict "$C_MEDIAN < 150")" "$C_MEDIAN"
printf '%-4s  C >= 10x faster than the faster SQL: %.1f ms vs %.1f ms (%sx)\n' \
	"$(verdict "$SQL_BEST >= 10 * $C_MEDIAN")" "$C_MEDIAN" "$SQL_BEST" "$(ratio "$SQL_BEST" "$C_MEDIAN")"
[[ $AGREE != NO ]] || echo "FAIL  C and SQL rankings disagree (see the log above)"
awk "BEGIN { exit !($C_OTHERS > 10 || $SQL_DEF_OTHERS > 10 || $SQL_TUNED_OTHERS > 10) }" &&
	echo "note: other processes used more than 10% of the CPU during a measurement: rerun on a quiet machine"
exit 0
