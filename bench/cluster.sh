#!/usr/bin/env bash
# bench/cluster.sh: the cluster's figures (issue 14), standalone (not yet on bench/lib.sh).
#
# Starts scripts/cluster in .data/cluster-bench (ports from 29443), seeds an open call, then:
#   1. wrk GET /api/v1/campaigns/{id} (a public read) for BENCH_DURATION s at BENCH_CONNECTIONS:
#      directly on one server process, through the proxy (TLS) with two processes, and
#      through the proxy with one (s2 disabled on HAProxy's admin socket);
#   2. submissions (8 writers, keep-alive, through the proxy) with synchronous replication
#      and without (synchronous_standby_names = ''), with the standby's replay lag sampled;
# and prints one line per figure. Exits 0 once it could measure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"
export SANGKIEN_CLUSTER_PORT=${SANGKIEN_CLUSTER_PORT:-29443}
export SANGKIEN_CLUSTER_SERVER_PORT=$((SANGKIEN_CLUSTER_PORT + 1))
export SANGKIEN_CLUSTER_STATE=$SK_DATA/cluster-bench
export SANGKIEN_ACCESS_LOG=0
DURATION=${BENCH_DURATION:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
trap 'scripts/cluster stop >/dev/null 2>&1 || true' EXIT
scripts/cluster stop >/dev/null 2>&1 || true
rm -rf "$SANGKIEN_CLUSTER_STATE"
scripts/cluster up >"$SK_DATA/cluster-bench.log" 2>&1 || { tail "$SK_DATA/cluster-bench.log"; exit 1; }

_sk_python - "$DURATION" "$CONNECTIONS" <<'PY'
import os, re, socket, subprocess, sys, threading, time
sys.path.insert(0, "tests/cluster")
import cluster as C
dur, conns = int(sys.argv[1]), int(sys.argv[2])
campaign, groups, sessions = C.seed(500)
path = f"/api/v1/campaigns/{campaign}"

def wrk(url):
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{dur}s", "--latency", url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return f"{rps:8.0f} req/s  p99 {p99:>8}  non-2xx {errs.group(1) if errs else 0}"

def admin(cmd):
    s = socket.socket(socket.AF_UNIX); s.connect(os.path.join(C.STATE, "haproxy.sock"))
    s.sendall((cmd + "\n").encode()); s.recv(4096); s.close()

print(f"public read GET {path}, {conns} connections, {dur} s each")
print("  direct, 1 process      ", wrk(C.ENV["CLUSTER_SERVER_1"] + path))
print("  proxy+TLS, 2 processes ", wrk(C.ENV["CLUSTER_URL"] + path))
admin("disable server sangkien/s2"); time.sleep(1)
print("  proxy+TLS, 1 process   ", wrk(C.ENV["CLUSTER_URL"] + path))
admin("enable server sangkien/s2"); time.sleep(2)

node1 = C.ENV["CLUSTER_NODE1_URL"].replace("/sangkien?", "/postgres?")
def submissions(label):
    lags = []
    load = C.Load(campaign, groups, sessions, readers=0, writers=8)
    t0 = time.time(); load.start()
    end = time.time() + dur
    while time.time() < end:
        v = C.psql(node1, "select coalesce(max(extract(epoch from replay_lag)), 0) from pg_stat_replication")
        lags.append(float(v or 0)); time.sleep(0.5)
    load.finish(); el = time.time() - t0
    ack = sorted(load.acked, key=lambda a: a[1])
    lat = sorted(a[2] - a[3] for a in ack)
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else 0
    print(f"  submissions, {label:5}: {len(ack) / el:6.0f}/s  p99 {p99:6.1f} ms  errors {len(load.write_errors)}  "
          f"standby replay lag max {max(lags) * 1000:.0f} ms, mean {sum(lags) / len(lags) * 1000:.0f} ms")
print("submissions through the proxy, 8 writers")
submissions("sync")
C.psql(node1, "alter system set synchronous_standby_names = ''"); C.psql(node1, "select pg_reload_conf()")
time.sleep(1)
submissions("async")
PY
