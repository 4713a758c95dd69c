-- wrk script for bench/reviews.sh (issue 4): panelists submitting and revising reviews
-- concurrently. Each request PUTs /api/v1/proposals/{id}/review for one (panelist,
-- proposal) pair: the first time a submission (version 0), then revisions with a
-- reason, each carrying the version the previous reply returned.
--
--   wrk -tN -cN -d13s -s bench/lua/reviews.lua URL -- PAIRS CRITERIA WINDOW THREADS
--
-- Run it with as many threads as connections (-tN -cN): a thread then has one
-- connection, one request in flight, so its pairs' versions are always known (wrk
-- does not tell which connection a reply came on).
--   PAIRS     file of "proposal_id token csrf version" lines: one assigned pair each, with
--             the panelist's session and the review's current version (0: none yet);
--             bench/reviews.sh rewrites it from the database before every wrk run
--   CRITERIA  comma-separated criterion ids of the campaign (one score each, 0..10)
--   WINDOW    seconds during which writes are sent; afterwards the connection goes
--             idle (delay()), so when wrk stops (-d WINDOW + 3 s) nothing is in flight
--   THREADS   wrk's -t; thread k takes the pairs k, k + THREADS, k + 2 THREADS, ...
--
-- done() prints one line for the script to parse:
--   RESULT ok=<200 replies> submits= revisions= conflicts=<409 version_conflict>
--   bad=<other non-200> sent= late= elapsed= rate=<200/s> p50_ms= p90_ms= p99_ms=
--   max_ms= statuses=<status:count,...>

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } sk_bench_timespec;
int clock_gettime(int clock, sk_bench_timespec *ts);
]]
local ts = ffi.new("sk_bench_timespec")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local nthreads_seen = 0

function setup(thread)
	nthreads_seen = nthreads_seen + 1
	thread:set("thread_no", nthreads_seen)
	table.insert(threads, thread)
end

local pairs_list = {} -- { path, cookie, csrf, pid, version, dead }
local criteria = {}
local window
local cursor = 0
local current = nil
local stop_at = nil
ok, submits, revisions, conflicts, bad, sent, late = 0, 0, 0, 0, 0, 0, 0
first, last = 0, 0
statuses = {}

function init(args)
	local file, crit, win, nthr = args[1], args[2], args[3], args[4]
	assert(file and crit and win and nthr, "usage: -- PAIRS CRITERIA WINDOW THREADS")
	local n, k = 0, tonumber(nthr)
	for line in io.lines(file) do
		local pid, token, csrf, version = line:match("^(%d+)%s+(%S+)%s+(%S+)%s+(%d+)$")
		if pid then
			n = n + 1
			if (n - 1) % k == thread_no - 1 then
				table.insert(pairs_list, {
					path = "/api/v1/proposals/" .. pid .. "/review",
					cookie = "sk_session=" .. token,
					csrf = csrf,
					pid = tonumber(pid),
					version = tonumber(version),
				})
			end
		end
	end
	for id in crit:gmatch("%d+") do
		table.insert(criteria, id)
	end
	assert(#criteria > 0, "no criterion ids")
	window = tonumber(win)
end

local comments = {
	"Mô hình thiết thực, phù hợp với điều kiện của tổ dân phố.",
	"Cần làm rõ nguồn kinh phí duy trì sau năm đầu.",
	"Có khả năng nhân rộng sang các phường lân cận.",
}

local function body(p)
	local scores = {}
	for i, id in ipairs(criteria) do
		local s = (p.pid * 7 + p.version * 3 + i * 5) % 11
		scores[i] = string.format('{"criterion_id":%s,"score":%d,"comment":"%s"}', id, s, comments[(s + i) % 3 + 1])
	end
	local reason = ""
	if p.version > 0 then
		reason = string.format(',"reason":"Điều chỉnh điểm sau buổi họp tổ thẩm định lần %d."', p.version)
	end
	return string.format('{"scores":[%s],"overall_comment":"Đề xuất có tính khả thi; nhận xét lần %d.",'
		.. '"version":%d,"submit":true%s}', table.concat(scores, ","), p.version + 1, p.version, reason)
end

-- The next pair of this thread that is still writable.
local function next_pair()
	for _ = 1, #pairs_list do
		cursor = cursor % #pairs_list + 1
		local p = pairs_list[cursor]
		if not p.dead then
			return p
		end
	end
	return nil
end

function request()
	local t = now()
	if stop_at == nil then
		stop_at = t + window
		first = t
	end
	current = nil
	local p = t < stop_at and next_pair() or nil
	if p == nil then
		late = late + 1
		return wrk.format("GET", "/api/v1/health")
	end
	current = p
	sent = sent + 1
	return wrk.format("PUT", p.path, {
		["Cookie"] = p.cookie,
		["X-CSRF-Token"] = p.csrf,
		["Content-Type"] = "application/json",
	}, body(p))
end

function delay()
	if stop_at ~= nil and now() >= stop_at then
		return 3600 * 1000
	end
	return 0
end

function response(status, headers, body)
	last = now()
	local p = current
	current = nil
	if p == nil then
		return -- a health check
	end
	if status == 200 then
		ok = ok + 1
		if p.version == 0 then
			submits = submits + 1
		else
			revisions = revisions + 1
		end
		local v = body:match('"version":(%d+)')
		p.version = v and tonumber(v) or p.version + 1
	elseif status == 409 and body:find('"version_conflict"', 1, true) then
		conflicts = conflicts + 1
		p.dead = true -- its version is unknown now: leave the pair alone
	else
		bad = bad + 1
		statuses[status] = (statuses[status] or 0) + 1
		if status < 500 then
			p.dead = true
		end
	end
end

function done(summary, latency, requests)
	local tot = { ok = 0, submits = 0, revisions = 0, conflicts = 0, bad = 0, sent = 0, late = 0 }
	local t0, t1 = nil, 0
	local st = {}
	for _, thread in ipairs(threads) do
		for key in pairs(tot) do
			tot[key] = tot[key] + thread:get(key)
		end
		local f, l = thread:get("first"), thread:get("last")
		if f > 0 and (t0 == nil or f < t0) then t0 = f end
		if l > t1 then t1 = l end
		for k, v in pairs(thread:get("statuses")) do
			st[k] = (st[k] or 0) + v
		end
	end
	local parts = {}
	for k, v in pairs(st) do
		table.insert(parts, tostring(k) .. ":" .. tostring(v))
	end
	local elapsed = (t0 and t1 > t0) and (t1 - t0) or 0
	io.write(string.format("RESULT ok=%d submits=%d revisions=%d conflicts=%d bad=%d sent=%d late=%d elapsed=%.3f "
		.. "rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f statuses=%s\n",
		tot.ok, tot.submits, tot.revisions, tot.conflicts, tot.bad, tot.sent, tot.late, elapsed,
		elapsed > 0 and tot.ok / elapsed or 0,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000, #parts > 0 and table.concat(parts, ",") or "-"))
end
