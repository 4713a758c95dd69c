#!/usr/bin/env bash
# bench/notify.sh: what notifications cost the submissions that cause them, and how fast the
# sender delivers (issue 13).
#
#   flock /tmp/sangkien-bench.lock bench/notify.sh
#
# Builds build/sangkien (release) if needed, creates a throw-away database on DATABASE_URL or
# the embedded cluster, migrates and seeds it like bench/pg_submissions.sh (a ward, 12 groups, an
# open call, BENCH_RESIDENTS residents) except that every resident has a phone login and an
# email address in notification_settings. Then:
#   1. Submissions: pgbench calling proposal_create() (the server's submission statement) with
#      BENCH_CLIENTS clients for BENCH_SECONDS, BENCH_RUNS times in each of three modes,
#      interleaved in the same database: off (the submission notice trigger
#      audit_notify_proposal disabled), app (notices on, every author in-app only: the default)
#      and all (every author chose SMS, Zalo and email: a notice and three deliveries each); the
#      medians of submissions/s and of the backends' CPU per submission (from /proc: steadier
#      than submissions/s on a loaded machine), the drop against off (target: at most 10 %),
#      and the notices and deliveries written per second alongside. The HTTP layer adds the same work to each submission in both modes,
#      so the drop through HTTP (bench/submissions.sh) is at most the drop measured here.
#   2. Delivery: BENCH_DELIVERIES notices x 3 channels pending, then `build/sangkien serve`
#      with the local gateway (tests/notify/gateway.py) and SMTP server (tests/notify/smtp.py,
#      Debian python3-aiosmtpd): the time until all are sent, messages per second per channel,
#      and that each key reached its receiver once.
# Drops the database on exit. Exits 0 once it could measure.
#
#   BENCH_CLIENTS (4)  BENCH_SECONDS (10)  BENCH_RUNS (3)  BENCH_RESIDENTS (2000)
#   BENCH_DELIVERIES (1000)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

CLIENTS=${BENCH_CLIENTS:-4}
SECONDS_=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
RESIDENTS=${BENCH_RESIDENTS:-2000}
DELIVERIES=${BENCH_DELIVERIES:-1000}
for v in CLIENTS SECONDS_ RUNS RESIDENTS DELIVERIES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v%_} must be a positive integer"
done
command -v pgbench >/dev/null || _sk_pg_bin
PGBENCH=$(command -v pgbench || echo "$SK_PG_BIN/pgbench")
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
"$PY" -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd is missing (Debian: apt-get install python3-aiosmtpd)"

if [[ ! -x build/sangkien || ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	[[ -f build/build.ninja ]] || meson setup build --buildtype=release >&2
	meson compile -C build sangkien >&2
fi
if [[ -n ${DATABASE_URL:-} ]]; then
	ADMIN_URL=$DATABASE_URL
else
	ensure_cluster >&2
	ADMIN_URL=$(db_url postgres)
fi
DB="sangkien_bench_notify_$$_$(date +%s)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-notify.XXXXXX")
PIDS=()
cleanup() {
	local rc=$?
	set +e
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
	[[ -n ${DATABASE_URL:-} ]] || stop_cluster >&2
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
psql -X -q -d "$ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB\"" >/dev/null
URL=$(url_with_dbname "$ADMIN_URL" "$DB")
q() { psql -X -q -t -A -d "$URL" -v ON_ERROR_STOP=1 "$@"; }
DATABASE_URL=$URL build/sangkien migrate >/dev/null 2>&1 || die "migrate failed"
q >/dev/null <<SQL
INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench');
INSERT INTO residential_groups (ward_id, name)
	SELECT w.id, format('Tổ dân phố %s', i) FROM wards w, generate_series(1, 12) i;
INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at)
	SELECT id, 'Phong trào đề xuất mô hình chuyển đổi số 2026', 'Cuộc thi (benchmark).',
		now() - interval '30 days', now() + interval '30 days' FROM wards;
INSERT INTO criteria (campaign_id, ward_id, position, name, weight, max_score)
	SELECT c.id, c.ward_id, k.position, k.name, k.weight, 10 FROM campaigns c,
	(VALUES (1, 'Tính sáng tạo', 40), (2, 'Tính khả thi', 35), (3, 'Khả năng áp dụng tại cộng đồng', 25))
		AS k (position, name, weight);
UPDATE campaigns SET state = 'open', config_digest = encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex');
INSERT INTO accounts (login, login_kind, display_name)
	SELECT '+84900' || lpad(i::text, 6, '0'), 'phone', format('Cư dân %s', i) FROM generate_series(1, $RESIDENTS) i;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
	SELECT a.id, w.id, 'resident', g.id FROM accounts a JOIN wards w ON true
	JOIN residential_groups g ON g.id = (SELECT min(id) FROM residential_groups) + a.id % 12;
INSERT INTO notification_settings (account_id, sms, zalo, email, email_address)
	SELECT id, true, true, true, 'r' || id || '@example.vn' FROM accounts;
ANALYZE;
SQL
read -r CID AUTHOR0 GROUP0 < <(q -F ' ' -c "SELECT (SELECT id FROM campaigns), (SELECT min(id) FROM accounts), (SELECT min(id) FROM residential_groups)")

# The pgbench script of bench/pg_submissions.sh: one proposal_create per transaction.
_sk_python - "$SK_ROOT/bench/lua/submissions.lua" "$CID" "$AUTHOR0" "$GROUP0" "$RESIDENTS" >"$WORK/create.sql" <<'PY'
import re, sys, unicodedata
lua = open(sys.argv[1], encoding='utf-8').read()
cid, a0, g0, n = sys.argv[2:6]
def grab(name):
    m = re.search(r'local %s = (string\.rep\()?(.*?)(, 3\))?\n(?=local|\n)' % name, lua, re.S)
    s = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
    return s * 3 if m.group(1) else s
t = [grab(k) for k in ('summary', 'problem', 'model', 'beneficiaries', 'resources')]
title, tags = 'Mô hình tổ dân phố số 1', ['chuyển đổi số', 'dịch vụ công', 'cộng đồng']
def fold(x):
    out, sp = [], False
    for ch in unicodedata.normalize('NFD', x.lower()):
        cat = unicodedata.category(ch)
        if cat.startswith('M'):
            continue
        ch = 'd' if ch == 'đ' else ch
        if cat[0] not in 'LN':
            sp = bool(out)
            continue
        if sp:
            out.append(' ')
            sp = False
        out.append(ch)
    return ''.join(out)
search = fold('\n'.join([title] + t + tags) + '\n')
lit = lambda s: '$q$' + s + '$q$'
print('\\set r random(0, %d)' % (int(n) - 1))
print('SELECT proposal_create(%s, %s + :r, NULL, NULL, now(), true, %s + (%s + :r) %% 12, %s, %s, %s, %s, %s, 450, %s, 15000000, '
      "'{\"%s\"}'::text[], %s, '127.0.0.1'::inet)::text;"
      % (cid, a0, g0, a0, lit(title), lit(t[0]), lit(t[1]), lit(t[2]), lit(t[3]), lit(t[4]), '","'.join(tags), lit(search)))
PY

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "notify: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "1. submissions: pgbench -c $CLIENTS -T $SECONDS_ proposal_create(), $RUNS interleaved runs of each mode (off, app, all)"
"$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$((CLIENTS < 2 ? 1 : 2))" -T 3 -f "$WORK/create.sql" "$URL" >/dev/null 2>&1 ||
	die "pgbench warm-up failed"
HZ=$(getconf CLK_TCK)
ticks() { local s=0 p t; for p in $pids; do t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'); s=$((s + ${t:-0})); done; echo "$s"; }
declare -A TPS NPS DPS CPU
for run in $(seq "$RUNS"); do
	for mode in off app all; do
		case $mode in
		off) q -c "ALTER TABLE audit_log DISABLE TRIGGER audit_notify_proposal" ;;
		app) q -c "ALTER TABLE audit_log ENABLE TRIGGER audit_notify_proposal" -c "UPDATE notification_settings SET sms = false, zalo = false, email = false" ;;
		all) q -c "UPDATE notification_settings SET sms = true, zalo = true, email = true" ;;
		esac
		q -c "CHECKPOINT" 2>/dev/null || true
		n0=$(q -c "SELECT count(*) FROM notifications"); d0=$(q -c "SELECT count(*) FROM notification_deliveries")
		"$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$((CLIENTS < 2 ? 1 : 2))" -T "$SECONDS_" -f "$WORK/create.sql" "$URL" >"$WORK/$mode-$run.txt" 2>&1 &
		bp=$!
		sleep 1 # the CPU of the pgbench backends per submission, between 1 s and SECONDS - 1 s
		pids=$(psql -X -A -t -d "$ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'pgbench'")
		p0=$(q -c "SELECT count(*) FROM proposals"); k0=$(ticks)
		sleep $((SECONDS_ - 2))
		p1=$(q -c "SELECT count(*) FROM proposals"); k1=$(ticks)
		wait $bp || { cat "$WORK/$mode-$run.txt" >&2; die "pgbench failed"; }
		cpu=$(awk -v n=$((p1 - p0)) -v k=$((k1 - k0)) -v hz="$HZ" 'BEGIN { printf "%.0f", k / hz * 1e6 / n }')
		n1=$(q -c "SELECT count(*) FROM notifications"); d1=$(q -c "SELECT count(*) FROM notification_deliveries")
		tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' "$WORK/$mode-$run.txt")
		[[ -n $tps ]] || { cat "$WORK/$mode-$run.txt" >&2; die "cannot read pgbench's tps"; }
		nps=$(awk -v n=$((n1 - n0)) -v s="$SECONDS_" 'BEGIN { printf "%.0f", n / s }')
		dps=$(awk -v n=$((d1 - d0)) -v s="$SECONDS_" 'BEGIN { printf "%.0f", n / s }')
		printf '  run %d %-3s %6.0f submissions/s  %5s us backend CPU each  %5s notices/s  %5s deliveries/s written  (load %s)\n' "$run" "$mode" "$tps" "$cpu" "$nps" "$dps" "$(cut -d' ' -f1 /proc/loadavg)"
		TPS[$mode]+=" $tps"; NPS[$mode]+=" $nps"; DPS[$mode]+=" $dps"; CPU[$mode]+=" $cpu"
	done
done
moff=$(median <<<"${TPS[off]}"); coff=$(median <<<"${CPU[off]}")
printf '  median off: %.0f submissions/s, %s us of backend CPU each (notices off)\n' "$moff" "$coff"
for mode in app all; do
	m=$(median <<<"${TPS[$mode]}"); c=$(median <<<"${CPU[$mode]}")
	drop=$(awk -v a="$moff" -v b="$m" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
	cdrop=$(awk -v a="$coff" -v b="$c" 'BEGIN { printf "%.1f", (1 - a / b) * 100 }')
	verdict=$(awk -v d="$cdrop" 'BEGIN { print (d <= 10) ? "PASS" : "FAIL" }')
	printf '  median %s: %.0f submissions/s (%s %% fewer), %s us of backend CPU each (+%s us: %s %% fewer when PostgreSQL'"'"'s CPU is the limit; target <= 10 %%: %s); %s notices/s and %s deliveries/s written\n' \
		"$mode" "$m" "$drop" "$c" "$((c - coff))" "$cdrop" "$verdict" "$(median <<<"${NPS[$mode]}")" "$(median <<<"${DPS[$mode]}")"
done
echo "  (app: every author in-app only, the default; all: every author chose SMS, Zalo and email)"

# ---------------------------------------------------------------- delivery
echo "2. delivery: $DELIVERIES notices x (SMS, Zalo, email) to the local gateway and SMTP server"
q -c "ALTER TABLE audit_log ENABLE TRIGGER audit_notify_proposal"
q -c "UPDATE notification_deliveries SET state = 'cancelled' WHERE state = 'pending'"
printf 'bench-gateway-secret-0123456789abcdef\n' >"$WORK/secret"
start_py() { # start_py SCRIPT ARG: sets PORT (not in a subshell: PIDS must keep the pid for the cleanup)
	"$PY" "tests/notify/$1" "$WORK/$1.port" "$2" >"$WORK/$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [[ -s $WORK/$1.port ]] && { PORT=$(cat "$WORK/$1.port"); return 0; }; sleep 0.1; done
	die "$1 did not start"
}
start_py gateway.py "$WORK/secret"
GW=$PORT
start_py smtp.py "$WORK/mails.jsonl"
SMTP=$PORT
first=$(q -c "SELECT coalesce(max(id), 0) + 1 FROM notifications")
q -c "SELECT count(notify(id, NULL, 'proposal_received', jsonb_build_object('tracking_code', 'HC-2026-' || lpad(g::text, 4, '0'),
	'title', 'Chợ số cho phường', 'campaign_title', 'Sáng kiến 2026', 'proposal_id', g, 'campaign_id', 1), now()))
	FROM (SELECT id, row_number() OVER () AS g FROM accounts ORDER BY id LIMIT $DELIVERIES) a" >/dev/null
want=$(q -c "SELECT count(*) FROM notification_deliveries WHERE state = 'pending'")
t0=$(date +%s.%N)
DATABASE_URL=$URL SANGKIEN_LISTEN=127.0.0.1:0 SANGKIEN_PORT_FILE=$WORK/sangkien.port \
	SANGKIEN_SMS_GATEWAY_URL=http://127.0.0.1:$GW/sms SANGKIEN_ZALO_GATEWAY_URL=http://127.0.0.1:$GW/zalo \
	SANGKIEN_GATEWAY_SECRET_FILE=$WORK/secret SANGKIEN_SMTP_URL=smtp://127.0.0.1:$SMTP \
	SANGKIEN_SMTP_FROM=thongbao@phuong.example.vn SANGKIEN_QUIET_HOURS= SANGKIEN_NOTIFY_DAILY_CAP=0 \
	build/sangkien serve >"$WORK/sangkien.log" 2>&1 &
PIDS+=($!)
left=$want
for _ in $(seq 1200); do
	left=$(q -c "SELECT count(*) FROM notification_deliveries WHERE state = 'pending'")
	[[ $left == 0 ]] && break
	sleep 0.25
done
t1=$(date +%s.%N)
[[ $left == 0 ]] || die "$left deliveries still pending after 300 s"
q -F ' ' -c "SELECT channel, count(*), extract(epoch FROM max(sent_at) - min(sent_at)) FROM notification_deliveries
	WHERE notification_id >= $first AND state = 'sent' GROUP BY 1 ORDER BY 1" | while read -r ch n span; do
	awk -v ch="$ch" -v n="$n" -v s="$span" 'BEGIN { printf "  %-5s %5d sent, first to last %.1f s\n", ch, n, s }'
done
received=$(curl -s "http://127.0.0.1:$GW/_stats" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["requests"], d["distinct"], d["bad_signatures"])')
mails=$(wc -l <"$WORK/mails.jsonl")
awk -v n="$want" -v a="$t0" -v b="$t1" -v r="$received" -v m="$mails" 'BEGIN { split(r, x, " ");
	printf "  %d deliveries in %.1f s from the server'"'"'s start: %.0f/s (one sender thread, one message at a time)\n", n, b - a, n / (b - a);
	printf "  gateway: %d requests for %d keys (%d bad signatures); SMTP: %d mails\n", x[1], x[2], x[3], m }'
