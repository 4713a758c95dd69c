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
# Then the same files through the real server (bench/photos-server.mjs: $BUILD_DIR/sangkien on
# a throw-away database of the embedded cluster): upload-to-stored time, bytes on the wire and
# the server's peak memory added per upload (VmHWM reset through /proc/PID/clear_refs), plus the
# bytes a first and a repeat visit to a proposal page with three photos (4,032 x 3,024 camera-like
# JPEGs, about 2.9 MB each) transfer in Debian's chromium at 360 px. The 4,000 x 3,000 PNG of the
# first part is 20 MB, over the 10 MiB upload cap (413 before any decoding), so the server part
# uploads one with less noise (sigma 1: 8.8 MB) that fits.
#
# Environment: BENCH_RUNS (3) BENCH_BUILD_DIR (build) BENCH_SKIP_BUILD (0) BENCH_SKIP_SERVER (0)
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
	ninja -C "$BUILD_DIR" bench/bench-photos sangkien >"$WORK/compile.log" 2>&1 || { tail -n 40 "$WORK/compile.log" >&2; die "build failed"; }
fi
[[ -x $BIN ]] || die "$BIN is missing"
command -v vips >/dev/null || die "the vips CLI is missing (Debian package libvips-tools)"

# A photo-like picture of w x h: a diagonal gradient in three bands plus noise.
make_picture() { # w h out [sigma]
	mkdir -p "$WORK/t"
	vips xyz "$WORK/xy.v" "$1" "$2"
	vips extract_band "$WORK/xy.v" "$WORK/x.v" 0
	vips extract_band "$WORK/xy.v" "$WORK/y.v" 1
	vips add "$WORK/x.v" "$WORK/y.v" "$WORK/s.v"
	vips linear "$WORK/s.v" "$WORK/g.v" "$(awk -v w="$1" -v h="$2" 'BEGIN {print 200 / (w + h)}')" 20
	vips gaussnoise "$WORK/n.v" "$1" "$2" --sigma "${4:-5}" --mean 0
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

[[ ${BENCH_SKIP_SERVER:-0} == 1 ]] && exit 0
# ---------------------------------------------------------------- through the server
make_picture 4000 3000 "$WORK/p4k.v" 1
vips copy "$WORK/p4k.v" "$WORK/4000x3000-sigma1.png"
rm -f "$WORK/p4k.v"
# Three camera-like photos for the page: two scales of Perlin noise, plus sensor noise.
for i in 1 2 3; do
	vips perlin "$WORK/a.v" 4032 3024 --cell-size 64 --seed "$i"
	vips perlin "$WORK/b.v" 4032 3024 --cell-size 8 --seed $((i + 10))
	vips linear "$WORK/a.v" "$WORK/a2.v" 90 120
	vips linear "$WORK/b.v" "$WORK/b2.v" 40 0
	vips add "$WORK/a2.v" "$WORK/b2.v" "$WORK/c.v"
	vips gaussnoise "$WORK/n.v" 4032 3024 --sigma 6
	vips add "$WORK/c.v" "$WORK/n.v" "$WORK/d.v"
	vips bandjoin "$WORK/d.v $WORK/a2.v $WORK/c.v" "$WORK/rgb.v"
	vips cast "$WORK/rgb.v" "$WORK/t/page.v" uchar
	vips copy "$WORK/t/page.v" "$WORK/page$i.jpg[Q=90]"
	rm -f "$WORK"/*.v "$WORK/t/page.v"
done
[[ -d tests/e2e/node_modules ]] || die "tests/e2e/node_modules is missing (cd tests/e2e && npm ci)"
ensure_cluster >&2
trap 'rm -rf "$WORK"; stop_cluster >&2' EXIT
SANGKIEN_BIN=$SK_ROOT/$BUILD_DIR/sangkien SANGKIEN_TEST_DATABASE_URL=$(db_url postgres) CHROMIUM=${CHROMIUM:-/usr/bin/chromium} \
	node bench/photos-server.mjs "$RUNS" "$WORK/50mp.jpg" "$WORK/12mp.heic" "$WORK/4000x3000-sigma1.png" \
	--page "$WORK/page1.jpg" "$WORK/page2.jpg" "$WORK/page3.jpg"
