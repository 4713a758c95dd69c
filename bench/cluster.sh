#!/usr/bin/env bash
# bench/cluster.sh: the cluster's figures (issue 14, "Measured"), on the harness of bench/lib.sh.
#
#   bench/cluster.sh                   # from anywhere inside the checkout
#
# Starts scripts/cluster (primary node1, synchronous hot standby node2, two `sangkien serve`
# s1 and s2 with public reads on the standby, HAProxy with TLS) in .data/cluster-bench, ports
# from SANGKIEN_CLUSTER_PORT (default 29443) on; a third process s3 on the next port with no
# --database-read-url (every read on the primary); seeds an open call and BENCH_RESIDENTS
# residents with sessions (SQL, tests/cluster/cluster.py's seed). Then wrk, interleaved,
# BENCH_RUNS rounds of every target (the median counts):
#   read-*    GET /api/v1/campaigns/{id}: an open call of another ward with the proposals
#             that 1 s of submissions left in it, a public read (read pool: the standby)
#   me-*      GET /api/v1/me, each resident's session in turn (bench/lua/me.lua)
#   submit-*  POST a complete proposal, submit:true (bench/lua/submissions.lua), the
#             standby's replay lag sampled every 0.5 s on the primary (pg_stat_replication)
# each  -direct  on s1 over HTTP,  -proxy1  through HAProxy (TLS) with s2 disabled on its
# admin socket,  -proxy2  through HAProxy with both; and  read-primary  on s3 directly.
# CPU per request: "server" is s1+s2+s3+HAProxy, "pg" the primary's processes (postmaster and
# all its children: backends, WAL writer and sender, checkpointer), the standby's CPU is
# extra (sb us) and not counted as others'; "proxy us" is HAProxy's share of "server".
# Last, tests/cluster's failover scenario (kill the primary under a write load, promote the
# standby) gives the failover time. Targets: read-proxy2 and read-proxy1 >= 0.8 x read-direct.
#
# Environment: BENCH_* of bench/lib.sh (here BENCH_DURATION defaults to 5, BENCH_CONNECTIONS
# to 32, BENCH_RETRIES to 0: with the standby, the proxy and three servers on the machine
# the "others" figure is rarely small), and
#   BENCH_RESIDENTS       residents with sessions (default 2000)
#   BENCH_SKIP_FAILOVER   1: no failover step
#   SANGKIEN_CLUSTER_PORT the proxy's port (default 29443; the servers use the next three)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export BENCH_DURATION=${BENCH_DURATION:-5} BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32} BENCH_RETRIES=${BENCH_RETRIES:-0}
bench_init cluster
RESIDENTS=${BENCH_RESIDENTS:-2000}
[[ $RESIDENTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RESIDENTS must be a positive integer"
GRACE=3
export SANGKIEN_CLUSTER_PORT=${SANGKIEN_CLUSTER_PORT:-29443}
export SANGKIEN_CLUSTER_SERVER_PORT=$((SANGKIEN_CLUSTER_PORT + 1))
export SANGKIEN_CLUSTER_STATE=$SK_DATA/cluster-bench
export SANGKIEN_ACCESS_LOG=0
CL=$SANGKIEN_CLUSTER_STATE

cluster_cleanup() {
	local rc=$?
	"$SK_ROOT/scripts/cluster" stop >/dev/null 2>&1 || true
	(exit "$rc")
	bench_cleanup
}
trap cluster_cleanup EXIT

# shellcheck disable=SC2119  # no extra targets
bench_build
export SANGKIEN_BIN=$SK_ROOT/$SANGKIEN
command -v haproxy >/dev/null || ensure_packages cluster >&2
"$SK_ROOT/scripts/cluster" stop >/dev/null 2>&1 || true
rm -rf "$CL"
log "starting the cluster (log: $SK_DATA/cluster-bench.log)"
"$SK_ROOT/scripts/cluster" up >"$SK_DATA/cluster-bench.log" 2>&1 || { tail -n 20 "$SK_DATA/cluster-bench.log" >&2; die "scripts/cluster up failed"; }
# shellcheck source=/dev/null  # scripts/cluster wrote it
source <(sed 's/^/export /' "$CL/env")
S1=$CLUSTER_SERVER_1
PROXY=$CLUSTER_URL
NODE1_ADMIN=${CLUSTER_NODE1_URL/\/sangkien\?/\/postgres?}

# s3: the same server, every read on the primary (no --database-read-url).
S3_PORT=$((SANGKIEN_CLUSTER_PORT + 3))
SANGKIEN_SECURE_COOKIES=1 setsid "$SANGKIEN" --listen "127.0.0.1:$S3_PORT" --database-url "$CLUSTER_WRITE_URL" \
	--public-url "$PROXY" --max-per-ip 4096 --trusted-proxy 127.0.0.1/32 serve </dev/null >"$WORK/s3.log" 2>&1 &
SERVER_PID=$!
S3=http://127.0.0.1:$S3_PORT
for _ in $(seq 300); do
	[[ $(curl -s -m 5 -o /dev/null -w '%{http_code}' "$S3/api/v1/health") == 200 ]] && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/s3.log" >&2; die "s3 exited"; }
	sleep 0.1
done

seed() { # RESIDENTS SESSIONS-FILE: a new ward with an open call; prints "campaign groups"
	_sk_python - "$1" "$2" <<'PY'
import sys
sys.path.insert(0, "tests/cluster")
import cluster as C
campaign, groups, sessions = C.seed(int(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.writelines(f"{t} {c}\n" for t, c in sessions)
print(campaign, ",".join(groups))
PY
}
log "seeding an open call and $RESIDENTS residents with sessions (GET /me, submissions)"
read -r CAMPAIGN_ID GROUP_IDS < <(seed "$RESIDENTS" "$WORK/sessions.txt")
[[ -n ${CAMPAIGN_ID:-} ]] || die "seeding failed"
# The public read is another ward's call, with proposals submitted once (1 s of wrk) before
# the rounds: the submissions of the rounds go elsewhere, so its cost does not grow as they
# run.
read -r READ_CAMPAIGN READ_GROUPS < <(seed 200 "$WORK/read-sessions.txt")
[[ -n ${READ_CAMPAIGN:-} ]] || die "seeding failed"
wrk -t1 -c8 -d4s -s "$SK_ROOT/bench/lua/submissions.lua" "$S1" -- "$WORK/read-sessions.txt" "$READ_CAMPAIGN" "$READ_GROUPS" 1 1 >"$WORK/read-seed.txt" 2>&1 ||
	{ cat "$WORK/read-seed.txt" >&2; die "could not submit the read call's proposals"; }
READ_PROPOSALS=$(field ok "$WORK/read-seed.txt")
READ_PATH=/api/v1/campaigns/$READ_CAMPAIGN
for u in "$S1" "$S3" "$PROXY"; do
	[[ $(curl -s -m 10 --cacert "$CLUSTER_CA" -o /dev/null -w '%{http_code}' "$u$READ_PATH") == 200 ]] || die "GET $u$READ_PATH is not 200"
done
BENCH_SETTINGS="primary: $(psql -X -q -t -A -d "$NODE1_ADMIN" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
	FROM pg_settings WHERE name IN ('synchronous_commit', 'synchronous_standby_names', 'fsync', 'shared_buffers')")"

haproxy_admin() { _sk_python -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode()); s.recv(4096)' "$CL/haproxy.sock" "$1"; }
proxy_servers() { # N: 1 (s2 in maintenance) or 2
	if [[ $1 == 1 ]]; then haproxy_admin "disable server sangkien/s2"; else haproxy_admin "enable server sangkien/s2"; fi
	sleep 0.5
}
node_pids() { # NODE: the postmaster of .data/cluster-bench/nodeN and its children
	local pm
	pm=$(head -n 1 "$CL/node$1/postmaster.pid" 2>/dev/null) || return 0
	echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}
server_pids() { echo "$(cat "$CL/s1.pid") $(cat "$CL/s2.pid") $SERVER_PID"; }

# cluster_wrk OUT WRK-ARGS...: wrk, with "servers+proxy primary wrk busy total standby" ticks in
# OUT.cpu and "proxy_ticks standby_ticks" in OUT.parts
cluster_wrk() {
	local out=$1 apps p1 p2 hp a0 a1 d0 d1 s0 s1 h0 h1 m0b m0t m1b m1t
	shift
	hp=$(cat "$CL/haproxy.pid")
	read -ra apps <<<"$(server_pids) $hp"
	read -ra p1 <<<"$(node_pids 1)"
	read -ra p2 <<<"$(node_pids 2)"
	a0=$(proc_ticks "${apps[@]}"); d0=$(proc_ticks "${p1[@]}"); s0=$(proc_ticks "${p2[@]}"); h0=$(proc_ticks "$hp")
	read -r m0b m0t <<<"$(machine_ticks)"
	/usr/bin/time -f '%U %S' -o "$out.time" wrk "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
	read -r m1b m1t <<<"$(machine_ticks)"
	a1=$(proc_ticks "${apps[@]}"); d1=$(proc_ticks "${p1[@]}"); s1=$(proc_ticks "${p2[@]}"); h1=$(proc_ticks "$hp")
	echo "$((a1 - a0)) $((d1 - d0)) $(awk '{print $1 + $2}' "$out.time") $((m1b - m0b)) $((m1t - m0t)) $((s1 - s0))" >"$out.cpu"
	echo "$((h1 - h0)) $((s1 - s0))" >"$out.parts"
}
per_req_us() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print 0 }'; }

# bench_run TARGET SECONDS OUT: "rps p50 p99 bad n proxy_us standby_us lag_max_ms"
bench_run() {
	local target=$1 secs=$2 out=$3 kind=${1%-*} way=${1#*-} url figures n h s lag=0 sampler
	case $way in
		direct) url=$S1 ;;
		primary) url=$S3 ;;
		proxy1) proxy_servers 1; url=$PROXY ;;
		proxy2) proxy_servers 2; url=$PROXY ;;
		*) die "unknown target $target" ;;
	esac
	case $kind in
		read) cluster_wrk "$out" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "$url$READ_PATH"
			figures=$(wrk_figures "$out") ;;
		me) cluster_wrk "$out" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency -s "$SK_ROOT/bench/lua/me.lua" "$url" -- "$WORK/sessions.txt"
			figures=$(wrk_figures "$out") ;;
		submit)
			: >"$out.lag"
			(
				end=$((SECONDS + secs + GRACE))
				while ((SECONDS < end)); do
					psql -X -q -t -A -d "$NODE1_ADMIN" -c "SELECT coalesce(max(extract(epoch FROM replay_lag) * 1000), 0) FROM pg_stat_replication" >>"$out.lag" 2>/dev/null || true
					sleep 0.5
				done
			) &
			sampler=$!
			cluster_wrk "$out" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$((secs + GRACE))s" --latency -s "$SK_ROOT/bench/lua/submissions.lua" "$url" -- \
				"$WORK/sessions.txt" "$CAMPAIGN_ID" "$GROUP_IDS" "$secs" "$WRK_THREADS"
			wait "$sampler" || true
			grep -q '^RESULT ' "$out" || { cat "$out" >&2; die "no RESULT line from submissions.lua"; }
			local errors
			errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
			figures="$(field rate "$out") $(field p50_ms "$out") $(field p99_ms "$out") $((${errors:-0} + $(field bad "$out"))) $(($(field sent "$out") + $(field late "$out")))"
			lag=$(sort -g "$out.lag" | tail -n 1)
			;;
		*) die "unknown target $target" ;;
	esac
	n=$(awk '{print $5}' <<<"$figures")
	read -r h s <"$out.parts"
	echo "$figures $(per_req_us "$h" "$n") $(per_req_us "$s" "$n") $(printf '%.0f' "${lag:-0}")"
}

TARGETS=(read-direct read-proxy1 read-proxy2 read-primary me-direct me-proxy1 me-proxy2 submit-direct submit-proxy1 submit-proxy2)
declare -A LABELS=(
	[read-direct]="public read, direct to s1 (reads on standby)"
	[read-proxy1]="public read, HAProxy+TLS, 1 process"
	[read-proxy2]="public read, HAProxy+TLS, 2 processes"
	[read-primary]="public read, direct to s3 (reads on primary)"
	[me-direct]="GET /me, direct to s1"
	[me-proxy1]="GET /me, HAProxy+TLS, 1 process"
	[me-proxy2]="GET /me, HAProxy+TLS, 2 processes"
	[submit-direct]="submission, direct to s1"
	[submit-proxy1]="submission, HAProxy+TLS, 1 process"
	[submit-proxy2]="submission, HAProxy+TLS, 2 processes"
)
# shellcheck disable=SC2034  # read by bench_table through a nameref
declare -A REFS=(
	[read-proxy1]=read-direct [read-proxy2]=read-direct [read-primary]=read-direct
	[me-proxy1]=me-direct [me-proxy2]=me-direct [submit-proxy1]=submit-direct [submit-proxy2]=submit-direct
)
bench_measure
proxy_servers 2

if [[ ${BENCH_SKIP_FAILOVER:-0} != 1 ]]; then
	log "failover: tests/cluster/cluster.py failover (kills the primary under a write load, promotes the standby)"
	FAILOVER=$(_sk_python tests/cluster/cluster.py failover 2>&1 | grep -E '^(ok|FAIL) failover' || echo "failover: did not run")
fi

bench_header "bench/cluster.sh: primary + synchronous hot standby, $(sed -n 's/^CLUSTER_SERVERS=//p' "$CL/env") sangkien serve + s3, HAProxy 2.6 with TLS"
echo "public read: GET $READ_PATH (an open call with $READ_PROPOSALS submitted proposals); GET /me and submissions: $RESIDENTS resident sessions in turn, another call"
BENCH_TABLE_NOTE="ratio: to the direct request of the same kind on s1 (read-primary: to read-direct), same rounds.
CPU us per request: server = s1+s2+s3 and HAProxy; pg = the primary's processes; wrk;
others: CPU of anything else (not the standby), as a share of the machine."
bench_table LABELS REFS
printf '%-44s %8s %8s %14s\n' target 'proxy us' 'sb us' 'replay lag ms'
for t in "${TARGETS[@]}"; do
	printf '%-44s %8.1f %8.1f %14s\n' "${LABELS[$t]}" "${MED[$t.x1]}" "${MED[$t.x2]}" "$([[ $t == submit-* ]] && printf '%.0f' "${MED[$t.x3]}" || echo -)"
done
echo "(replay lag: the largest replay_lag the primary reported for the standby during the run, median over rounds)"
echo
bench_check "public read via proxy, 2 processes" "$(ratio "${MED[read-proxy2.rps]}" "${MED[read-direct.rps]}") >= 0.8" \
	"$(printf '%.0f' "${MED[read-proxy2.rps]}")/s = $(ratio "${MED[read-proxy2.rps]}" "${MED[read-direct.rps]}") x direct (target >= 0.8)"
bench_check "public read via proxy, 1 process" "$(ratio "${MED[read-proxy1.rps]}" "${MED[read-direct.rps]}") >= 0.8" \
	"$(printf '%.0f' "${MED[read-proxy1.rps]}")/s = $(ratio "${MED[read-proxy1.rps]}" "${MED[read-direct.rps]}") x direct (target >= 0.8)"
echo "info  primary's CPU per public read: ${MED[read-direct.db_us]} us with reads on the standby (standby ${MED[read-direct.x2]} us), ${MED[read-primary.db_us]} us with reads on the primary"
echo "info  standby replay lag under submissions: up to $(printf '%.0f' "${MED[submit-proxy2.x3]}") ms (through the proxy, 2 processes; median of the rounds' maxima)"
echo "info  ${FAILOVER:-failover: skipped (BENCH_SKIP_FAILOVER=1)}"
