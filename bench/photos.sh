#!/usr/bin/env bash
# bench/photos.sh: the photo work of one upload (issue 11), src/media/photo.c as the server runs it:
# time to re-encode, bytes in and out, and the memory it takes, for a 50 MP JPEG (8,160 × 6,120),
# a 12 MP HEIC (4,032 × 3,024) and a 4,000 × 3,000 PNG, made here with the vips CLI (a noisy,
# photo-like picture: a gradient plus Gaussian noise, so the encoders cannot cheat on it).
#
#   bench/photos.sh                    # from anywhere inside the checkout
#
# Each case runs BENCH_RUNS fresh processes (bench/bench-photos); printed: the median re-encode
# time, the input and output sizes, and the medians of the peak RSS before the call (libvips
# started, the file read), of the peak RSS after it, and of their difference: the memory one
# upload adds to the server (the request body itself, already counted in "before", is also held
# by the server while it receives the upload). The server's HTTP and database work is not in it.
#
# Environment: BENCH_RUNS (3) BENCH_BUILD_DIR (build) BENCH_SKIP_BUILD (0)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

RUNS=${BENCH_RUNS:-3}
BUILD_DIR=${BENCH_BUILD_DIR:-build}
BIN=$BUILD_DIR/bench/bench-photos
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	ensure_packages run
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		meson setup "$BUILD_DIR" --buildtype=release >&2 || die "meson setup failed"
	fi
	ninja -C "$BUILD_DIR" bench/bench-photos >"$WORK/compile.log" 2>&1 || { tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
fi
[[ -x $BIN ]] || die "$BIN is missing"
command -v vips >/dev/null || die "the vips CLI is missing (Debian package libvips-tools)"

# A photo-like picture of w x h: a diagonal gradient in three bands plus noise.
make_picture() { # w h out
	mkdir -p "$WORK/t"
	vips xyz "$WORK/xy.v" "$1" "$2"
	vips extract_band "$WORK/xy.v" "$WORK/x.v" 0
	vips extract_band "$WORK/xy.v" "$WORK/y.v" 1
	vips add "$WORK/x.v" "$WORK/y.v" "$WORK/s.v"
	vips linear "$WORK/s.v" "$WORK/g.v" "$(awk -v w="$1" -v h="$2" 'BEGIN {print 200 / (w + h)}')" 20
	vips gaussnoise "$WORK/n.v" "$1" "$2" --sigma 5 --mean 0
	vips add "$WORK/g.v" "$WORK/n.v" "$WORK/gn.v"
	vips bandjoin "$WORK/gn.v $WORK/g.v $WORK/gn.v" "$WORK/rgb.v"
	vips cast "$WORK/rgb.v" "$WORK/t/out.v" uchar
	rm -f "$WORK"/*.v
	mv "$WORK/t/out.v" "$3"
}
make_picture 8160 6120 "$WORK/p50.v"
vips copy "$WORK/p50.v" "$WORK/50mp.jpg[Q=92]"
rm -f "$WORK/p50.v"
make_picture 4032 3024 "$WORK/p12.v"
vips copy "$WORK/p12.v" "$WORK/12mp.heic[Q=50]"
rm -f "$WORK/p12.v"
make_picture 4000 3000 "$WORK/p4k.v"
vips copy "$WORK/p4k.v" "$WORK/4000x3000.png"
rm -f "$WORK/p4k.v"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -E "s/.*[ ^]$1=([0-9.x]+).*/\\1/"; }

printf '%-16s %10s %10s %12s %10s %14s %13s %11s\n' file 'in bytes' 'ms' 'out bytes' size 'RSS before KiB' 'RSS after KiB' 'added KiB'
for f in 50mp.jpg 12mp.heic 4000x3000.png; do
	case $f in *.png) mime=image/png ;; *) mime=image/jpeg ;; esac # HEIC is stored as JPEG
	: >"$WORK/ms"; : >"$WORK/b"; : >"$WORK/a"; : >"$WORK/d"
	for ((i = 0; i < RUNS; i++)); do
		line=$("$BIN" "$WORK/$f" "$mime" 2>&1) || die "$f: $line"
		echo " $line" | field ms >>"$WORK/ms"
		b=$(echo " $line" | field rss_before); a=$(echo " $line" | field rss_after)
		echo "$b" >>"$WORK/b"; echo "$a" >>"$WORK/a"; echo $((a - b)) >>"$WORK/d"
		out=$(echo " $line" | field out); size=$(echo " $line" | field size)
	done
	printf '%-16s %10s %10s %12s %10s %14s %13s %11s\n' "$f" "$(stat -c %s "$WORK/$f")" "$(median <"$WORK/ms")" "$out" "$size" \
		"$(median <"$WORK/b")" "$(median <"$WORK/a")" "$(median <"$WORK/d")"
done
