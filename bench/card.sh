#!/usr/bin/env bash
# bench/card.sh: time and memory of drawing one link-preview card (src/render/card.c,
# 1,200 x 630 PNG, cairo + pango) with a long Vietnamese title and five winners.
#
#   bench/card.sh            # BENCH_CARDS (50) cards per run, BENCH_RUNS (3) runs
#
# Builds bench/card.c with src/render/card.c at -O2 (no sanitizers, no database, no
# meson build needed) into a temporary folder and prints, per run: the first card (fonts
# loaded, caches cold), the median and the worst of the rest, the PNG's size and the
# process's peak resident memory (the whole process: libc, cairo, pango, fontconfig).
# The card of a call is drawn once per change of the call (not per request), so these
# times are paid at publication or after an edit, by the first visitor's request.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_CARDS:-50}
RUNS=${BENCH_RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046
cc -std=c17 -O2 -D_GNU_SOURCE -Isrc bench/card.c src/render/card.c -o "$tmp/bench-card" \
  $(pkg-config --cflags --libs pangocairo cairo) -pthread
echo "date=$(date -u +%FT%TZ) host=$(hostname) nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$RUNS"); do
  "$tmp/bench-card" "$N" "$tmp/card.png"
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
