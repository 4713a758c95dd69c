#!/usr/bin/env bash
# bench/memory.sh: the server's resident memory through 24 hours' worth of sessions (issue 12),
# simulated with the test clock (bench/lib.sh has the harness and its BENCH_* settings).
#
#   bench/memory.sh                    # from anywhere inside the checkout
#
# Starts sangkien with SANGKIEN_TEST_CLOCK=1 (X-Sangkien-Test-Now sets a request's time), then
# for each of BENCH_HOURS simulated hours: inserts BENCH_SESSIONS_PER_HOUR new sessions created
# at that hour (SQL, as bench/submissions.sh seeds them: the rate at which that benchmark uses
# sessions), and runs wrk on GET /api/v1/me for BENCH_DURATION seconds cycling through that
# hour's sessions at that hour's time (so the sessions of earlier hours go idle and expire as
# the clock moves; each session's last-seen mark is moved as in production). The server's RSS
# is read after each hour.
# Targets: peak RSS < 128 MiB; no growth without bound: the RSS after the last hour is within
# 8 MiB of the RSS after the second (the first hour includes the start-up growth).
#   BENCH_HOURS              simulated hours (default 24)
#   BENCH_SESSIONS_PER_HOUR  new sessions per hour (default 2000)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init memory
DURATION=${BENCH_DURATION:-3}
HOURS=${BENCH_HOURS:-24}
PER_HOUR=${BENCH_SESSIONS_PER_HOUR:-2000}
for v in HOURS PER_HOUR; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
bench_build
bench_database mem
# bench_start starts the server with the test clock off; this one needs it on.
SERVER_LOG=${BENCH_SERVER_LOG:-$WORK/sangkien.log}
DATABASE_URL=$BENCH_URL SANGKIEN_LISTEN=127.0.0.1:0 SANGKIEN_PORT_FILE=$WORK/sangkien.port \
	SANGKIEN_THREADS=$THREADS SANGKIEN_DB_POOL=$POOL SANGKIEN_SECURE_COOKIES=0 SANGKIEN_TEST_CLOCK=1 \
	"$SANGKIEN" serve 2>"$SERVER_LOG" >/dev/null &
SERVER_PID=$!
SERVER=http://127.0.0.1:$(wait_port "$WORK/sangkien.port" "$SERVER_PID" sangkien)
for _ in $(seq 100); do
	[[ $(curl -s -m 60 -o /dev/null -w '%{http_code}' "$SERVER/api/v1/health") == 200 ]] && break
	sleep 0.1
done

WARD_ID=$(q -c "INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench') RETURNING id")
q -c "INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-mem-%s@example.vn', i), 'email', format('Cư dân %s', i) FROM generate_series(1, $PER_HOUR) i" >/dev/null
q -c "INSERT INTO role_grants (account_id, ward_id, role) SELECT id, $WARD_ID, 'resident' FROM accounts" >/dev/null
T0=$(date +%s)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"; }
RSS_START=$(rss_kb)
declare -a RSS
TOTAL=0
BAD_TOTAL=0
log "simulating $HOURS hours: $PER_HOUR new sessions an hour, ${DURATION} s of GET /api/v1/me at each hour"
for h in $(seq 1 "$HOURS"); do
	now=$((T0 + h * 3600))
	q >"$WORK/tokens.txt" <<SQL
CREATE TEMP TABLE seed AS SELECT a.id, substr(md5(random()::text) || md5(random()::text), 1, 43) AS token,
	substr(md5(random()::text) || md5(random()::text), 1, 43) AS csrf FROM accounts a;
INSERT INTO sessions (token_hash, csrf_token, account_id, created_at, last_seen_at, ip)
	SELECT sha256(convert_to(token, 'UTF8')), csrf, id, to_timestamp($now), to_timestamp($now), '127.0.0.1' FROM seed;
SELECT token FROM seed;
SQL
	wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$SK_ROOT/bench/lua/me_clock.lua" "$SERVER" -- \
		"$WORK/tokens.txt" "$now" >"$WORK/hour-$h.txt" 2>&1 || { cat "$WORK/hour-$h.txt" >&2; die "wrk failed"; }
	read -r rps _ _ bad n <<<"$(wrk_figures "$WORK/hour-$h.txt")"
	TOTAL=$((TOTAL + n))
	BAD_TOTAL=$((BAD_TOTAL + bad))
	RSS[h]=$(rss_kb)
	log "hour $h: $(printf '%.0f' "$rps") req/s, errors $bad, RSS $((RSS[h] / 1024)) MiB, peak $(($(hwm_kb) / 1024)) MiB"
done
PEAK=$(hwm_kb)
SESSIONS=$(q -c "SELECT count(*) FROM sessions")
SECOND=${RSS[2]:-${RSS[1]}}
LAST=${RSS[$HOURS]}

echo
echo "sangkien memory benchmark (issue 12), $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "$HOURS simulated hours (test clock), $PER_HOUR new sessions an hour ($SESSIONS in the database),"
echo "$TOTAL GET /api/v1/me in all (wrk -t$WRK_THREADS -c$CONNECTIONS, ${DURATION} s an hour), $THREADS server threads, pool $POOL"
printf 'RSS (MiB) at start %.1f; after hour 1 %.1f, 2 %.1f, %d %.1f, %d %.1f; peak %.1f\n' \
	"$(awk -v k="$RSS_START" 'BEGIN { print k / 1024 }')" "$(awk -v k="${RSS[1]}" 'BEGIN { print k / 1024 }')" \
	"$(awk -v k="$SECOND" 'BEGIN { print k / 1024 }')" $((HOURS / 2)) "$(awk -v k="${RSS[$((HOURS / 2))]:-0}" 'BEGIN { print k / 1024 }')" \
	"$HOURS" "$(awk -v k="$LAST" 'BEGIN { print k / 1024 }')" "$(awk -v k="$PEAK" 'BEGIN { print k / 1024 }')"
echo
bench_check "peak RSS through $HOURS hours of sessions < 128 MiB" "$PEAK < 131072 && $BAD_TOTAL == 0" \
	"$((PEAK / 1024)) MiB, $BAD_TOTAL errors"
bench_check "no growth: RSS after hour $HOURS within 8 MiB of hour 2" "$LAST - $SECOND < 8192" \
	"$((SECOND / 1024)) -> $((LAST / 1024)) MiB"
exit 0
