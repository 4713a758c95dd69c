#!/usr/bin/env bash
# tests/cluster/run.sh: the cluster suite (issue 14), run by scripts/test after the other
# suites unless SANGKIEN_SKIP_CLUSTER=1; or alone: tests/cluster/run.sh [SCENARIO...].
#
# Starts a fresh topology with scripts/cluster (its own state in .data/cluster-test, ports
# from SANGKIEN_CLUSTER_PORT, default 28443, and the next ones), runs the scenarios of
# tests/cluster/cluster.py against it, stops it, and prints `cluster: N passed, N failed`.
# Only loopback addresses are used; every load is bounded in time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

export SANGKIEN_CLUSTER_PORT=${SANGKIEN_CLUSTER_PORT:-28443}
export SANGKIEN_CLUSTER_SERVER_PORT=${SANGKIEN_CLUSTER_SERVER_PORT:-$((SANGKIEN_CLUSTER_PORT + 1))}
export SANGKIEN_CLUSTER_STATE=$SK_DATA/cluster-test
# The release build unless told otherwise (the sanitized one is several times slower).
export SANGKIEN_BIN=${SANGKIEN_CLUSTER_BIN:-$SK_ROOT/build/sangkien}
[[ -x $SANGKIEN_BIN ]] || ensure_build build sangkien -Dbuildtype=release

cleanup() { "$ROOT/scripts/cluster" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh topology every run.
"$ROOT/scripts/cluster" stop >/dev/null 2>&1 || true
_sk_pg_bin
if [[ -d $SANGKIEN_CLUSTER_STATE ]]; then rm -rf "$SANGKIEN_CLUSTER_STATE"; fi
if ! "$ROOT/scripts/cluster" up >"$SK_DATA/cluster-test.log" 2>&1; then
  tail -n 30 "$SK_DATA/cluster-test.log" >&2
  echo "cluster: 0 passed, 1 failed"
  exit 1
fi
tail -n 6 "$SK_DATA/cluster-test.log"
rc=0
_sk_python "$ROOT/tests/cluster/cluster.py" "$@" || rc=$?
exit "$rc"
