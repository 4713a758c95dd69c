#!/usr/bin/env bash
# bench/http.sh: HTTP throughput and latency of sangkien against bench-reference measured in
# the same rounds (bench/lib.sh has the harness and its BENCH_* settings).
#
#   bench/http.sh                      # from anywhere inside the checkout
#
# Seeds one ward, one account and its session, then runs wrk against four targets, interleaved:
#   reference   bench-reference /version (same body and headers as /api/v1/version)
#   version     sangkien GET /api/v1/version (no database)
#   select      bench-reference /ref/select: one prepared point SELECT through MHD + a libpq
#               pool of the server's size + jansson (the ceiling for a session-checked read)
#   me          sangkien GET /api/v1/me with a session cookie (session lookup in PostgreSQL)
# Targets (issue 12), judged on ratios measured in the same rounds:
#   version req/s >= 0.9 x reference req/s
#   me req/s >= 0.7 x select req/s, me p99 < 20 ms at 64 connections
# Also prints what the statements behind /me cost (pg_stat_statements).
# Exits 0 once measurements were taken (it is a report); non-zero when it cannot set up.
#   BENCH_TARGETS  which targets, in order (default "reference version select me")
#   BENCH_JSON     file to append one JSON line per target to (default: none)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init http
read -ra TARGETS <<<"${BENCH_TARGETS:-reference version select me}"
for target in "${TARGETS[@]}"; do
	[[ $target =~ ^(reference|version|select|me)$ ]] ||
		die "unknown target '$target' in BENCH_TARGETS (reference, version, select, me)"
done
bench_build
bench_database http
bench_start

# ---------------------------------------------------------------- seed
WARD_ID=$(q -c "INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench') RETURNING id") ||
	die "cannot insert a ward (has the wards table changed?)"
LOGIN=bench-$$@example.vn
PASSWORD=bench-password-$$
status=$(curl -s -o "$WORK/account.json" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data "{\"login\":\"$LOGIN\",\"password\":\"$PASSWORD\",\"display_name\":\"Người Bench\",\"ward_id\":$WARD_ID}" \
	"$SERVER/api/v1/accounts")
[[ $status == 201 ]] || die "POST /api/v1/accounts answered $status: $(cat "$WORK/account.json")"
status=$(curl -s -o "$WORK/session.json" -D "$WORK/session.headers" -w '%{http_code}' \
	-H 'Content-Type: application/json' \
	--data "{\"login\":\"$LOGIN\",\"password\":\"$PASSWORD\"}" "$SERVER/api/v1/sessions")
[[ $status == 201 ]] || die "POST /api/v1/sessions answered $status: $(cat "$WORK/session.json")"
TOKEN=$(sed -n 's/^[Ss]et-[Cc]ookie: *sk_session=\([^;[:space:]]*\).*/\1/p' "$WORK/session.headers" | head -n 1)
[[ -n $TOKEN ]] || die "no sk_session cookie in the POST /api/v1/sessions reply"
COOKIE="Cookie: sk_session=$TOKEN"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$COOKIE" "$SERVER/api/v1/me")
[[ $status == 200 ]] || die "GET /api/v1/me with the session answered $status"
log "seeded ward $WARD_ID, account $LOGIN, session cookie"

declare -A URL=([reference]=$REFERENCE/api/v1/version [version]=$SERVER/api/v1/version
	[select]=$REFERENCE/ref/select [me]=$SERVER/api/v1/me)
declare -A WHO=([reference]=reference [version]=sangkien [select]=reference [me]=sangkien)
bench_run() { # TARGET SECONDS OUT
	local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2s" --latency)
	[[ $1 != me ]] || args+=(-H "$COOKIE")
	bench_wrk "${WHO[$1]}" "$3" "${args[@]}" "${URL[$1]}"
	wrk_figures "$3"
}
bench_measure

# ---------------------------------------------------------------- report
has() { [[ " ${TARGETS[*]} " == *" $1 "* ]]; }
bench_header "sangkien HTTP benchmark (issues 2, 12)"
declare -A LABEL=([reference]="bench-reference /version (MHD minimum)" [version]="sangkien GET /api/v1/version"
	[select]="bench-reference /ref/select (point SELECT)" [me]="sangkien GET /api/v1/me (session)")
declare -A REF=()
has reference && REF[version]=reference
has select && REF[me]=select
bench_table LABEL REF
! has me || bench_statements me
if has version && has reference; then
	bench_check "version >= 0.9 x bench-reference" "${MED[version.rps]} >= 0.9 * ${MED[reference.rps]} && ${BAD[version]} == 0" \
		"$(printf '%.0f vs %.0f req/s (%sx)' "${MED[version.rps]}" "${MED[reference.rps]}" "$(ratio "${MED[version.rps]}" "${MED[reference.rps]}")")"
fi
if has me && has select; then
	bench_check "GET /me >= 0.7 x point-SELECT reference, p99 < 20 ms" \
		"${MED[me.rps]} >= 0.7 * ${MED[select.rps]} && ${MED[me.p99]} < 20 && ${BAD[me]} == 0" \
		"$(printf '%.0f vs %.0f req/s (%sx), p99 %.2f ms at %s connections' "${MED[me.rps]}" "${MED[select.rps]}" \
			"$(ratio "${MED[me.rps]}" "${MED[select.rps]}")" "${MED[me.p99]}" "$CONNECTIONS")"
fi
for target in "${TARGETS[@]}"; do
	[[ ${BAD[$target]} == 0 ]] || echo "      $target: ${BAD[$target]} socket errors or non-2xx replies: its figures are not valid"
done
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED round(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute req/s is low; ratios hold"
if [[ -n ${BENCH_JSON:-} ]]; then
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for target in "${TARGETS[@]}"; do
		printf '{"at":"%s","target":"%s","connections":%s,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%s,"server_cpu_us_per_req":%s,"pg_cpu_us_per_req":%s}\n' \
			"$now" "$target" "$CONNECTIONS" "${MED[$target.rps]}" "${MED[$target.p50]}" "${MED[$target.p99]}" \
			"${BAD[$target]}" "${MED[$target.app_us]}" "${MED[$target.db_us]}" >>"$BENCH_JSON"
	done
fi
exit 0
