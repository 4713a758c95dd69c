#!/usr/bin/env bash
# bench/all.sh: every HTTP benchmark one after another (issue 12), then one table of their
# targets, ratios and verdicts.
#
#   bench/all.sh                   # from anywhere inside the checkout
#   BENCH_ALL="http submissions" bench/all.sh
#
# Runs bench/http.sh, submissions.sh, reviews.sh and results.sh (BENCH_ALL chooses), each with
# the same BENCH_* settings (bench/lib.sh), builds once, and keeps every report in
# BENCH_ALL_DIR (default: a new directory under /tmp, printed). The table repeats each report's
# PASS/FAIL lines; exit status 0 when every verdict passed, 1 when one failed, 2 when a
# benchmark could not run.
# Optional members, not in the default list (they take long or start more): memory (24
# simulated hours of sessions) and cluster (scripts/cluster's topology: direct against
# HAProxy with one and two processes, reads on the standby, failover; ~6 minutes), e.g.
#   BENCH_ALL="http submissions reviews results cluster" bench/all.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
read -ra BENCHES <<<"${BENCH_ALL:-http submissions reviews results}"
OUT=${BENCH_ALL_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-all.XXXXXX")}
mkdir -p "$OUT"
BUILD_DIR=${BENCH_BUILD_DIR:-build}
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	[[ -f $BUILD_DIR/build.ninja ]] || meson setup "$BUILD_DIR" --buildtype=release >&2 || exit 2
	meson compile -C "$BUILD_DIR" sangkien bench-reference >"$OUT/compile.log" 2>&1 ||
		{ tail -n 40 "$OUT/compile.log" >&2; exit 2; }
fi
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
rc=0
for b in "${BENCHES[@]}"; do
	[[ -x bench/$b.sh ]] || { echo "bench/all.sh: no bench/$b.sh" >&2; exit 2; }
	echo "bench/all.sh: bench/$b.sh (report: $OUT/$b.txt)" >&2
	if ! BENCH_SKIP_BUILD=1 "bench/$b.sh" >"$OUT/$b.txt" 2>"$OUT/$b.log"; then
		echo "bench/all.sh: bench/$b.sh failed (end of $OUT/$b.log):" >&2
		tail -n 15 "$OUT/$b.log" >&2
		rc=2
	fi
done
echo
echo "sangkien benchmarks, $started to $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src sql bench 2>/dev/null || echo ' (modified)')"
grep -h '^PostgreSQL: ' "$OUT"/*.txt 2>/dev/null | head -n 1
echo "reports: $OUT"
echo
printf '%-12s %-4s  %s\n' benchmark verdict 'target: measured (ratio to the reference measured in the same rounds)'
for b in "${BENCHES[@]}"; do
	while IFS= read -r line; do
		printf '%-12s %s\n' "$b" "$line"
		[[ $line != FAIL* ]] || { [[ $rc == 2 ]] || rc=1; }
	done < <(grep -E '^(PASS|FAIL|info) ' "$OUT/$b.txt" 2>/dev/null)
done
exit "$rc"
