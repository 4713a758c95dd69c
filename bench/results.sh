#!/usr/bin/env bash
# bench/results.sh: the public results of a published call (issue 5) against
# bench-reference, measured in the same run.
#
#   bench/results.sh                   # from anywhere inside the checkout
#
# What it does: builds the release build (build/: sangkien and bench-reference), finds
# a PostgreSQL (DATABASE_URL, else the embedded cluster through scripts/lib.sh),
# creates a throw-away database, starts `build/sangkien serve` and bench-reference on
# free ports, and takes a call of BENCH_PROPOSALS proposals through to published:
#   - with SQL: ward, groups, authors and their submitted proposals, the call in
#     appraisal (3 criteria, frozen, config digest), BENCH_PANELISTS panelists;
#   - through the API as the leader (registered and logged in through the API): the
#     panel, the assignments (mode k, 5 reviews per proposal);
#   - with SQL, through the server's own review_save(): every assigned review,
#     submitted, with deterministic pseudo-random scores (so the score record is real);
#   - through the API as the leader: lock the panel, set the awards, POST the decision
#     (the server computes the ranking and stores its snapshot), publish it (password).
# Then wrk runs, interleaved, BENCH_RUNS times each (the median counts):
#   reference  bench-reference (any path: the 37-byte /api/v1/version reply)
#   results    GET /api/v1/campaigns/{id}/results (the full published snapshot, JSON)
#   results304 the same with If-None-Match: the ETag (a returning visitor or a cache)
#   page       GET /results/{id}, only when frontend/results.html exists
# The results requests send Accept-Encoding: gzip, as browsers do; results304 sends the
# ETag of the variant it gets (the gzip one when the server compresses). Before measuring,
# the script checks that the gzip reply inflates to exactly the identity document and that
# both ETags answer 304.
# Target (issue 12): results req/s >= 0.8 x the reference's req/s at 64 connections
# (bench/lib.sh has the harness and its BENCH_* settings).
# Exits 0 once it could measure (it is a report), non-zero when it cannot set up.
#
# Environment (the conventions of bench/http.sh):
#   BENCH_PROPOSALS     proposals in the call (default 200)
#   BENCH_PANELISTS     panelists (default 10)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init results
NPROPOSALS=${BENCH_PROPOSALS:-200}
NPANELISTS=${BENCH_PANELISTS:-10}
REVIEWS_PER_PROPOSAL=5
for v in NPROPOSALS NPANELISTS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v#N} must be a positive integer"
done
[[ $NPANELISTS -ge $REVIEWS_PER_PROPOSAL ]] || die "BENCH_PANELISTS must be at least $REVIEWS_PER_PROPOSAL"
bench_build
bench_database res
bench_start

# ---------------------------------------------------------------- seed
PASSWORD=bench-password-$$
api_account() { # LOGIN NAME: registers a resident of the ward through the API; prints the id
	local status
	status=$(curl -s -m 60 -o "$WORK/account.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"login\":\"$1\",\"password\":\"$PASSWORD\",\"display_name\":\"$2\",\"ward_id\":$WARD_ID}" \
		"$SERVER/api/v1/accounts")
	[[ $status == 201 ]] || die "POST /api/v1/accounts answered $status: $(cat "$WORK/account.json")"
	sed -n 's/^{"account":{"id":\([0-9]*\).*/\1/p' "$WORK/account.json"
}
api_login() { # LOGIN: prints "token csrf"
	local status token csrf
	status=$(curl -s -m 60 -o "$WORK/session.json" -D "$WORK/session.headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "{\"login\":\"$1\",\"password\":\"$PASSWORD\"}" \
		"$SERVER/api/v1/sessions")
	[[ $status == 201 ]] || die "POST /api/v1/sessions answered $status: $(cat "$WORK/session.json")"
	token=$(sed -n 's/^[Ss]et-[Cc]ookie: *sk_session=\([^;[:space:]]*\).*/\1/p' "$WORK/session.headers" | head -n 1)
	csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$WORK/session.json")
	[[ ${#token} == 43 && ${#csrf} == 43 ]] || die "no session cookie or CSRF token in the login reply"
	echo "$token $csrf"
}
leader_api() { # METHOD PATH BODY: as the leader; prints the status, the reply in $WORK/leader.json
	curl -s -m 60 -o "$WORK/leader.json" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		-H "Cookie: sk_session=$LEADER_TOKEN" -H "X-CSRF-Token: $LEADER_CSRF" --data "$3" "$SERVER$2"
}

log "seeding: a call of $NPROPOSALS proposals, $NPANELISTS panelists, $REVIEWS_PER_PROPOSAL reviews each, through to published"
read -r WARD_ID CAMPAIGN_ID <<<"$(q -F " " <<SQL
INSERT INTO wards (code, name) VALUES ('BENCH', 'Phường Bench');
INSERT INTO residential_groups (ward_id, name)
	SELECT w.id, format('Tổ dân phố %s', i) FROM wards w, generate_series(1, 12) i WHERE w.code = 'BENCH';
INSERT INTO campaigns (ward_id, title, description, opens_at, closes_at)
	SELECT id, 'Phong trào đề xuất mô hình chuyển đổi số 2026', 'Cuộc thi của phường (benchmark).',
		now() - interval '60 days', now() - interval '7 days' FROM wards WHERE code = 'BENCH';
INSERT INTO criteria (campaign_id, ward_id, position, name, weight, max_score)
	SELECT c.id, c.ward_id, k.position, k.name, k.weight, 10 FROM campaigns c,
	(VALUES (1, 'Tính sáng tạo', 40), (2, 'Tính khả thi', 35), (3, 'Khả năng áp dụng tại cộng đồng', 25))
		AS k (position, name, weight);
UPDATE campaigns SET state = 'appraisal', config_digest = encode(sha256(convert_to(campaign_config_text(id), 'UTF8')), 'hex');
SELECT w.id, c.id FROM wards w JOIN campaigns c ON c.ward_id = w.id;
SQL
)" || die "seeding the call failed (has the schema changed?)"
[[ -n $CAMPAIGN_ID ]] || die "seeding the call returned no id"
q <<SQL || die "seeding proposals and panelists with SQL failed (has the schema changed?)"
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-author-%s@example.vn', i), 'email', format('Tác giả %s', i) FROM generate_series(1, $NPROPOSALS) i;
INSERT INTO role_grants (account_id, ward_id, role, group_id)
	SELECT a.id, $WARD_ID, 'resident', g.id FROM accounts a
	JOIN residential_groups g ON g.ward_id = $WARD_ID AND g.name = format('Tổ dân phố %s', 1 + a.id % 12)
	WHERE a.login LIKE 'bench-author-%';
INSERT INTO proposals (ward_id, campaign_id, author_id, group_id, status, tracking_code, title, summary, problem,
	model, beneficiaries, households, resources, cost_vnd, tags, search_text, created_at, updated_at, submitted_at)
	SELECT $WARD_ID, $CAMPAIGN_ID, a.id, r.group_id, 'submitted', format('BENCH-2026-%s', lpad(a.id::text, greatest(4, length(a.id::text)), '0')),
		format('Mô hình "tổ dân phố số" %s: thông báo, phản ánh và thanh toán trực tuyến cho người dân', a.id),
		'Tóm tắt mô hình: nhóm thông tin và dịch vụ công trực tuyến.',
		'Người dân nhận thông báo chậm, phản ánh phải đến trụ sở.', 'Kênh thông tin chính thức của tổ dân phố.',
		'Khoảng 400 hộ dân.', 400, 'Điện thoại sẵn có, tình nguyện viên.', 15000000, '{chuyển đổi số}',
		'mo hinh to dan pho so', now() - interval '20 days', now() - interval '20 days', now() - interval '20 days'
	FROM accounts a JOIN role_grants r ON r.account_id = a.id WHERE a.login LIKE 'bench-author-%';
INSERT INTO accounts (login, login_kind, display_name)
	SELECT format('bench-panelist-%s@example.vn', i), 'email', format('Thẩm định viên %s', i)
	FROM generate_series(1, $NPANELISTS) i;
INSERT INTO role_grants (account_id, ward_id, role)
	SELECT id, $WARD_ID, 'panelist' FROM accounts WHERE login LIKE 'bench-panelist-%';
SQL
LEADER_LOGIN=bench-leader-$$@example.vn
LEADER_ID=$(api_account "$LEADER_LOGIN" "Trưởng ban")
[[ -n $LEADER_ID ]] || die "no account id in the registration reply"
q -c "INSERT INTO role_grants (account_id, ward_id, role) VALUES ($LEADER_ID, $WARD_ID, 'leader')" >/dev/null
read -r LEADER_TOKEN LEADER_CSRF <<<"$(api_login "$LEADER_LOGIN")"
PANEL_IDS=$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM accounts WHERE login LIKE 'bench-panelist-%'")
status=$(leader_api PUT "/api/v1/campaigns/$CAMPAIGN_ID/panel" "{\"panelist_ids\":[$PANEL_IDS]}")
[[ $status == 200 ]] || die "PUT panel answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/assignments" "{\"mode\":\"k\",\"k\":$REVIEWS_PER_PROPOSAL,\"seed\":1}")
[[ $status == 200 || $status == 201 ]] || die "POST assignments answered $status: $(cat "$WORK/leader.json")"
# Every assigned review, submitted through the server's own function (score record included).
# Scores: the proposal's quality, the panelist's leniency and a little noise, 0..10.
q <<SQL >/dev/null || die "seeding reviews with review_save() failed (has the schema changed?)"
SELECT review_save(a.proposal_id, a.panelist_id, now() - interval '3 days', 0,
	(SELECT jsonb_agg(jsonb_build_object('criterion_id', k.id,
		'score', greatest(0, least(10, 2 + (a.proposal_id * 7919 % 7) + (a.panelist_id * 31 % 3) - 1
			+ ((a.proposal_id * 13 + a.panelist_id * 17 + k.position * 5) % 3) - 1)),
		'comment', 'Nhận xét theo tiêu chí ' || k.position) ORDER BY k.position)
	 FROM criteria k WHERE k.campaign_id = $CAMPAIGN_ID),
	'Đề xuất thiết thực, cần làm rõ kinh phí duy trì.', true, NULL, '127.0.0.1')
FROM assignments a WHERE a.campaign_id = $CAMPAIGN_ID ORDER BY a.proposal_id, a.panelist_id;
SQL
NREVIEWS=$(q -c "SELECT count(*) FROM reviews WHERE campaign_id = $CAMPAIGN_ID AND status = 'submitted'")
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/panel/lock" '{}')
[[ $status == 200 ]] || die "POST panel/lock answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api PUT "/api/v1/campaigns/$CAMPAIGN_ID/awards" \
	'{"awards":[{"name":"Giải Nhất","count":1},{"name":"Giải Nhì","count":2},{"name":"Giải Ba","count":3},{"name":"Giải Khuyến khích","count":10}]}')
[[ $status == 200 ]] || die "PUT awards answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/decision" '{}')
[[ $status == 201 ]] || die "POST decision answered $status: $(cat "$WORK/leader.json")"
status=$(leader_api POST "/api/v1/campaigns/$CAMPAIGN_ID/publish" "{\"password\":\"$PASSWORD\"}")
[[ $status == 204 ]] || die "POST publish answered $status: $(cat "$WORK/leader.json")"
RESULTS_PATH=/api/v1/campaigns/$CAMPAIGN_ID/results
status=$(curl -s -m 60 -o "$WORK/results.json" -D "$WORK/results.headers" -w '%{http_code}' "$SERVER$RESULTS_PATH")
[[ $status == 200 ]] || die "GET $RESULTS_PATH answered $status"
ETAG=$(sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$WORK/results.headers" | head -n 1)
[[ -n $ETAG ]] || die "no ETag on the results"
RESULTS_BYTES=$(wc -c <"$WORK/results.json")
RESULTS_GZIP=$(gzip -6 -c "$WORK/results.json" | wc -c)
curl -s -m 60 -o "$WORK/results.wire" -D "$WORK/results.wire.headers" -H 'Accept-Encoding: gzip' "$SERVER$RESULTS_PATH"
WIRE_ENCODING=$(sed -n 's/^[Cc]ontent-[Ee]ncoding: *\([^[:space:]]*\).*/\1/p' "$WORK/results.wire.headers" | head -n 1)
WIRE_ETAG=$(sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$WORK/results.wire.headers" | head -n 1)
WIRE_BYTES=$(wc -c <"$WORK/results.wire")
if [[ $WIRE_ENCODING == gzip ]]; then
	gzip -dc "$WORK/results.wire" | cmp -s - "$WORK/results.json" ||
		die "the gzip reply does not inflate to the identity document"
	status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $WIRE_ETAG" "$SERVER$RESULTS_PATH")
	[[ $status == 304 ]] || die "GET $RESULTS_PATH (gzip) with If-None-Match: $WIRE_ETAG answered $status, not 304"
else
	WIRE_ETAG=$ETAG
fi
RANKED=$(grep -o '"tracking_code"' "$WORK/results.json" | wc -l)
[[ $RANKED == "$NPROPOSALS" ]] || die "the published results rank $RANKED proposals, expected $NPROPOSALS"
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$SERVER$RESULTS_PATH")
[[ $status == 304 ]] || die "GET $RESULTS_PATH with If-None-Match answered $status, not 304"
TARGETS=(reference results results304)
PAGE_NOTE="frontend/results.html does not exist: GET /results/$CAMPAIGN_ID not measured"
if [[ -f frontend/results.html ]]; then
	status=$(curl -s -m 60 -o "$WORK/page.html" -w '%{http_code}' "$SERVER/results/$CAMPAIGN_ID")
	if [[ $status == 200 ]]; then
		TARGETS+=(page)
		PAGE_NOTE=
	else
		PAGE_NOTE="GET /results/$CAMPAIGN_ID answered $status: not measured"
	fi
fi
[[ -z $PAGE_NOTE ]] || log "$PAGE_NOTE"
log "seeded and published call $CAMPAIGN_ID: $NPROPOSALS proposals, $NREVIEWS reviews; results $RESULTS_BYTES bytes, ETag $ETAG"

# ---------------------------------------------------------------- measure
declare -A URL=([reference]=$REFERENCE/api/v1/version [results]=$SERVER$RESULTS_PATH [results304]=$SERVER$RESULTS_PATH
	[page]=$SERVER/results/$CAMPAIGN_ID)
# Like a browser, the results requests accept gzip; results304 revalidates the variant it has.
declare -A HDR=([reference]="" [results]="Accept-Encoding: gzip" [results304]="Accept-Encoding: gzip|If-None-Match: $WIRE_ETAG"
	[page]="Accept-Encoding: gzip")
# to_mib VALUE: wrk's Transfer/sec (e.g. 1.20GB, 512.00KB) in MiB/s
to_mib() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "B") n /= 1048576; else if (u == "KB") n /= 1024; else if (u == "GB") n *= 1024
		printf "%.1f", n }'
}
bench_run() { # TARGET SECONDS OUT
	local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2s" --latency) h x rps p50 p99 bad n
	if [[ -n ${HDR[$1]} ]]; then
		IFS='|' read -ra h <<<"${HDR[$1]}"
		for x in "${h[@]}"; do args+=(-H "$x"); done
	fi
	bench_wrk "$([[ $1 == reference ]] && echo reference || echo sangkien)" "$3" "${args[@]}" "${URL[$1]}"
	read -r rps p50 p99 bad n <<<"$(wrk_figures "$3")"
	# 304 replies are what results304 asks for: not errors there.
	[[ $1 != results304 ]] || bad=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$3")
	echo "$rps $p50 $p99 ${bad:-0} $n $(to_mib "$(awk '/^Transfer\/sec:/ {print $2}' "$3")")"
}
bench_measure

# ---------------------------------------------------------------- report
bench_header "sangkien results benchmark (issues 5, 12)"
echo "published call: $NPROPOSALS proposals, $NREVIEWS reviews; results document $RESULTS_BYTES bytes ($RESULTS_GZIP with gzip -6)"
echo "with Accept-Encoding: gzip the server sends $WIRE_BYTES bytes, Content-Encoding: ${WIRE_ENCODING:-none}; the reference reply is 37 bytes"
echo
declare -A LABEL=([reference]="bench-reference (37-byte reply)" [results]="GET /api/v1/campaigns/{id}/results"
	[results304]="  the same, If-None-Match (304)" [page]="GET /results/{id} (page)")
declare -A REF=([results]=reference [results304]=reference [page]=reference)
bench_table LABEL REF
for target in "${TARGETS[@]}"; do printf 'info  %s: %.1f MiB/s\n' "$target" "${MED[$target.x1]}"; done
[[ -z $PAGE_NOTE ]] || echo "$PAGE_NOTE"
echo
bench_check "public results >= 0.8 x bench-reference" "${MED[results.rps]} >= 0.8 * ${MED[reference.rps]} && ${BAD[results]} == 0" \
	"$(printf '%.0f vs %.0f req/s (%sx) at %s connections' "${MED[results.rps]}" "${MED[reference.rps]}" \
		"$(ratio "${MED[results.rps]}" "${MED[reference.rps]}")" "$CONNECTIONS")"
printf 'info  conditional GET (304) vs reference: %.0f vs %.0f (%sx)\n' \
	"${MED[results304.rps]}" "${MED[reference.rps]}" "$(ratio "${MED[results304.rps]}" "${MED[reference.rps]}")"
for target in "${TARGETS[@]}"; do
	[[ ${BAD[$target]} == 0 ]] || echo "      $target: ${BAD[$target]} socket errors or unexpected replies: its figures are not valid"
done
[[ $DISTURBED == 0 ]] ||
	echo "note: $DISTURBED round(s) stayed disturbed (other processes > $MAX_OTHERS% of the CPU): absolute req/s is low; ratios hold"
exit 0
