#!/usr/bin/env bash
# bench/pg_submissions.sh: PostgreSQL's own work per submission, without HTTP or the server:
# pgbench calling proposal_create() with the texts of bench/lua/submissions.lua.
#
#   flock /tmp/sangkien-bench.lock bench/pg_submissions.sh
#
# Builds build/sangkien if needed (to migrate), creates a throw-away database on
# DATABASE_URL or the embedded cluster, migrates and seeds it like bench/submissions.sh
# (a ward, 12 groups, an open call, BENCH_RESIDENTS residents), then:
#   1. one client, BENCH_CALLS calls, with track_functions=all: the time per call of each
#      SQL function involved (pg_stat_user_functions; wall time, so on a quiet machine);
#   2. BENCH_CLIENTS clients for BENCH_SECONDS: commits/s and the CPU of the pgbench
#      backends per commit (from /proc, between 1 s and BENCH_SECONDS - 1 s).
# The search text passed is the texts lower-cased without diacritics by Python (close to,
# not exactly, the server's fold); everything else is what the server sends.
# Drops the database on exit. Exits 0 once it could measure.
#
#   BENCH_CALLS (2000)  BENCH_CLIENTS (4)  BENCH_SECONDS (10)  BENCH_RESIDENTS (2000)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$SK_ROOT"

CALLS=${BENCH_CALLS:-2000}
CLIENTS=${BENCH_CLIENTS:-4}
SECONDS_=${BENCH_SECONDS:-10}
RESIDENTS=${BENCH_RESIDENTS:-2000}
for v in CALLS CLIENTS SECONDS_ RESIDENTS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v%_} must be a positive integer"
done
[[ $SECONDS_ -ge 4 ]] || die "BENCH_SECONDS must be at least 4"
command -v pgbench >/dev/null || _sk_pg_bin
PGBENCH=$(command -v pgbench || echo "$SK_PG_BIN/pgbench")

if [[ ! -x build/sangkien ]]; then
	[[ -f build/build.ninja ]] || meson setup build --buildtype=release >&2
	meson compile -C build sangkien >&2
fi
if [[ -n ${DATABASE_URL:-} ]]; then
	ADMIN_URL=$DATABASE_URL
else
	ensure_cluster >&2
	ADMIN_URL=$(db_url postgres)
fi
DB="sangkien_bench_pg_$$_$(date +%s)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sangkien-bench-pg.XXXXXX")
cleanup() {
	local rc=$?
	set +e
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
	SELECT format('bench-resident-%s@example.vn', i), 'email', format('Cư dân %s', i) FROM generate_series(1, $RESIDENTS) i;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
	SELECT a.id, w.id, 'resident', g.id FROM accounts a JOIN wards w ON true
	JOIN residential_groups g ON g.id = (SELECT min(id) FROM residential_groups) + a.id % 12;
ANALYZE;
SQL
read -r CID AUTHOR0 GROUP0 < <(q -F ' ' -c "SELECT (SELECT id FROM campaigns), (SELECT min(id) FROM accounts), (SELECT min(id) FROM residential_groups)")

# The pgbench script: one proposal_create per transaction, a random resident, their group.
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

echo "pg_submissions: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
q -c "SELECT pg_stat_reset()" >/dev/null
PGOPTIONS='-c track_functions=all' "$PGBENCH" -n -M prepared -c 1 -t "$CALLS" -f "$WORK/create.sql" "$URL" >"$WORK/one.txt" 2>&1 ||
	{ cat "$WORK/one.txt" >&2; die "pgbench failed"; }
sleep 0.6 # statistics are sent when the backend exits
echo "1 client, $CALLS calls: $(grep -E '^latency average' "$WORK/one.txt")"
q -F ' | ' -c "SELECT rpad(funcname, 20), lpad(calls::text, 6), lpad(round((total_time / calls)::numeric * 1000, 1)::text, 8) || ' us total',
	lpad(round((self_time / calls)::numeric * 1000, 1)::text, 8) || ' us self' FROM pg_stat_user_functions ORDER BY total_time DESC"

HZ=$(getconf CLK_TCK)
"$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$((CLIENTS < 2 ? 1 : 2))" -T "$SECONDS_" -f "$WORK/create.sql" "$URL" >"$WORK/many.txt" 2>&1 &
bp=$!
sleep 1
pids=$(psql -X -A -t -d "$ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'pgbench'")
ticks() { local s=0 p t; for p in $pids; do t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'); s=$((s + ${t:-0})); done; echo "$s"; }
busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }
n0=$(q -c "SELECT count(*) FROM proposals"); k0=$(ticks); read -r b0 a0 <<<"$(busy)"
sleep $((SECONDS_ - 2))
n1=$(q -c "SELECT count(*) FROM proposals"); k1=$(ticks); read -r b1 a1 <<<"$(busy)"
wait $bp || { cat "$WORK/many.txt" >&2; die "pgbench failed"; }
awk -v n=$((n1 - n0)) -v k=$((k1 - k0)) -v hz="$HZ" -v b=$((b1 - b0)) -v a=$((a1 - a0)) -v s=$((SECONDS_ - 2)) -v c="$CLIENTS" 'BEGIN {
	printf "%d clients: %.0f commits/s, backends %.0f us CPU per commit; machine %.0f%% busy, others %.0f%%\n",
		c, n / s, k / hz * 1e6 / n, b / a * 100, (b - k) / a * 100 }'
