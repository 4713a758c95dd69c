#!/usr/bin/env bash
# bench/documents.sh: time and peak memory to render the documents of a published call (issue 10)
# with src/render alone (no server, no database): the minutes PDF, the XLSX and the QR poster for a
# synthetic call of 10 and of 500 proposals (bench/render_documents.c). The server renders each
# once per publication (the poster once per change of the call) and then serves it from memory,
# so this is a one-off cost per decision, not a per-request one.
#
#   bench/documents.sh                 # from anywhere inside the checkout
#
# Each case runs BENCH_RUNS fresh processes under /usr/bin/time -v; printed: the median render
# time (clock_gettime around the render call, first call of the process: fonts not yet cached)
# and the median peak RSS of the whole process, and the document's size.
#
# Environment: BENCH_RUNS (5) BENCH_SIZES ("10 500") BENCH_BUILD_DIR (build) BENCH_SKIP_BUILD (0)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

RUNS=${BENCH_RUNS:-5}
SIZES=${BENCH_SIZES:-10 500}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
BIN=$BUILD_DIR/bench/bench-documents
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	ensure_packages run
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		meson setup "$BUILD_DIR" --buildtype=release >&2 || die "meson setup failed"
	fi
	ninja -C "$BUILD_DIR" bench/bench-documents >"$WORK/compile.log" 2>&1 || { tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
fi
[[ -x $BIN ]] || die "$BIN is missing"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package time)"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf '%-8s %6s %12s %14s %12s\n' document n 'render ms' 'peak RSS KiB' bytes
for n in $SIZES; do
	for doc in minutes xlsx poster; do
		: >"$WORK/ms"; : >"$WORK/rss"
		for ((i = 0; i < RUNS; i++)); do
			/usr/bin/time -v "$BIN" "$doc" "$n" "$WORK/out" >"$WORK/line" 2>"$WORK/time" || die "$doc $n failed: $(cat "$WORK/time")"
			sed -E 's/.*: ([0-9.]+) ms.*/\1/' "$WORK/line" >>"$WORK/ms"
			awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time" >>"$WORK/rss"
		done
		printf '%-8s %6s %12s %14s %12s\n' "$doc" "$n" "$(median <"$WORK/ms")" "$(median <"$WORK/rss")" "$(stat -c %s "$WORK/out")"
	done
done
