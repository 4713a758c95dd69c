#!/usr/bin/env bash
# tests/cluster/restore_drill.sh: the restore drill (docs/operations.md, "Restore drill").
#
#   tests/cluster/restore_drill.sh 'YYYY-MM-DD HH:MM:SS.ffffff+00'   restore to that moment
#   tests/cluster/restore_drill.sh --stop                            stop and remove the copy
#
# Restores the newest pgBackRest backup of scripts/cluster's stanza, replayed from the WAL
# archive up to the given time, into a NEW data directory ($STATE/restore), starts
# PostgreSQL on it (its own socket, archiving off so it cannot write into the live
# archive), then `sangkien serve` on it, and waits for /api/v1/health. Prints the restored
# database's URL as its last line. The live cluster is not touched.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
_sk_pg_bin
CL=${SANGKIEN_CLUSTER_STATE:-$SK_DATA/cluster}
DIR=$CL/restore
SOCK=$CL/sockr
PORT=$(( ${SANGKIEN_CLUSTER_SERVER_PORT:-18081} + 20 ))
URL="postgresql:///sangkien?host=$(_sk_urlencode "$SOCK")&port=5432&user=postgres"

stop() {
  if [[ -f $CL/restore-server.pid ]]; then
    kill -TERM "$(cat "$CL/restore-server.pid")" 2>/dev/null || true
    sleep 1
    rm -f "$CL/restore-server.pid"
  fi
  if as_pg test -f "$DIR/postmaster.pid" 2>/dev/null; then
    as_pg "$SK_PG_BIN/pg_ctl" -D "$DIR" -m fast -w -s stop || true
  fi
  rm -rf "$DIR" "$SOCK"
}
if [[ ${1:-} == --stop ]]; then stop; exit 0; fi
[[ -n ${1:-} ]] || die "usage: $0 'YYYY-MM-DD HH:MM:SS+00' | --stop"
stop

say "restoring the newest backup into $DIR, replaying WAL up to $1"
mkdir -m 700 "$DIR" "$SOCK"; _sk_give_to_pg "$DIR" "$SOCK"
as_pg pgbackrest --config="$CL/pgbackrest.conf" --stanza=sangkien --pg1-path="$DIR" \
  --type=time --target="$1" --target-action=promote --archive-mode=off restore
# The copy carries the live node's settings (its socket, its archive_command): replace them.
as_pg sh -c 'cat > "$1/sangkien.conf"' sh "$DIR" <<CONF
listen_addresses = ''
port = 5432
unix_socket_directories = '$SOCK'
unix_socket_permissions = 0700
archive_mode = off
max_connections = 200
synchronous_standby_names = ''
restore_command = 'pgbackrest --config=$CL/pgbackrest.conf --stanza=sangkien --pg1-path=$DIR archive-get %f "%p"'
CONF
as_pg rm -f "$DIR/standby.signal"
touch "$CL/restore.log"; _sk_give_to_pg "$CL/restore.log"
as_pg "$SK_PG_BIN/pg_ctl" -D "$DIR" -l "$CL/restore.log" -w -t 180 -s start \
  || { tail -n 20 "$CL/restore.log" >&2; die "the restored cluster did not start"; }
for ((i = 0; i < 600; i++)); do
  [[ $(_sk_psql "$URL" -tAc 'select pg_is_in_recovery()' 2>/dev/null) == f ]] && break
  sleep 0.1
done
[[ $(_sk_psql "$URL" -tAc 'select pg_is_in_recovery()') == f ]] || die "recovery did not finish"
say "starting sangkien serve on the restored database (127.0.0.1:$PORT)"
setsid "${SANGKIEN_BIN:-$SK_ROOT/build/sangkien}" --listen "127.0.0.1:$PORT" --database-url "$URL" serve \
  </dev/null >>"$CL/restore-server.log" 2>&1 &
echo $! >"$CL/restore-server.pid"
for ((i = 0; i < 300; i++)); do
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" || die "the server on the restored database does not answer"
say "restored and serving on http://127.0.0.1:$PORT"
echo "$URL"
