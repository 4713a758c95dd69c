-- wrk script for bench/submissions.sh (issue 3): many residents submitting at once
-- just before the deadline. Every request is one complete proposal, submitted
-- (submit: true), POSTed by the next resident session in turn (cookie + CSRF token).
--
--   wrk -t2 -c64 -d13s -s bench/lua/submissions.lua URL -- SESSIONS CAMPAIGN GROUPS WINDOW THREADS
--
--   SESSIONS  file of "token csrf" lines, one resident session each
--   CAMPAIGN  campaign id (the path is /api/v1/campaigns/CAMPAIGN/proposals)
--   GROUPS    comma-separated residential group ids of the ward (each proposal names one)
--   WINDOW    seconds during which submissions are sent; afterwards every connection
--             goes idle (delay()), so when wrk stops (give it -d WINDOW + 3 s) no
--             submission is in flight and every one sent has been answered
--   THREADS   wrk's -t (spreads the threads over the sessions)
--
-- done() prints one line for the script to parse:
--   RESULT ok=<201 replies> bad=<other replies> sent=<requests> late=<health checks sent
--   after the window on reconnects> elapsed=<s, first request to last reply> rate=<201/s>
--   p50_ms= p90_ms= p99_ms= max_ms= body_bytes=<size of one request body> statuses=<status:count,...>
-- wrk's latency histogram holds only submissions (none are sent after the window).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } sk_bench_timespec;
int clock_gettime(int clock, sk_bench_timespec *ts);
]]
local ts = ffi.new("sk_bench_timespec")
local function now()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC: the same clock in every thread
	return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- ---------------------------------------------------------------- main state
local threads = {}
local nthreads_seen = 0

function setup(thread)
	nthreads_seen = nthreads_seen + 1
	thread:set("thread_no", nthreads_seen)
	table.insert(threads, thread)
end

-- ---------------------------------------------------------------- thread state
local sessions = {}
local groups = {}
local path, window, nthreads
local next_session, seq = 1, 0
local stop_at = nil
ok, bad, sent, late = 0, 0, 0, 0
body_bytes = 0
first, last = 0, 0
statuses = {}

-- A complete proposal in Vietnamese (NFC), about 3 KB of text like a real one.
local summary = "Xây dựng nhóm Zalo và trang thông tin điện tử của tổ dân phố để người dân nhận thông báo, "
	.. "phản ánh sự cố hạ tầng, đăng ký lịch tiêm chủng và thanh toán phí vệ sinh không dùng tiền mặt. "
	.. "Mô hình do tổ công nghệ số cộng đồng hướng dẫn, người cao tuổi được hỗ trợ tận nhà."
local problem = string.rep("Hiện nay thông báo của phường đến người dân chậm, chủ yếu qua loa phát thanh và giấy mời; "
	.. "nhiều hộ không nắm được lịch họp, lịch thu phí, lịch tiêm chủng. Phản ánh về đèn đường hỏng, "
	.. "rác thải, ngập nước phải đến trực tiếp trụ sở, mất thời gian và khó theo dõi kết quả xử lý. ", 3)
local model = string.rep("Tổ dân phố lập một kênh thông tin chính thức, mỗi hộ có ít nhất một người tham gia; "
	.. "tổ công nghệ số cộng đồng hướng dẫn cài đặt ứng dụng, tạo tài khoản định danh điện tử mức 2 "
	.. "và sử dụng dịch vụ công trực tuyến. Các phản ánh được ghi nhận kèm ảnh, vị trí và được trả lời công khai. ", 3)
local beneficiaries = "Khoảng 450 hộ dân của tổ dân phố, trong đó có 120 người cao tuổi, "
	.. "các hộ kinh doanh nhỏ lẻ và học sinh, sinh viên."
local resources = "Điện thoại thông minh sẵn có của người dân, 2 máy tính bảng dùng chung tại nhà văn hoá, "
	.. "10 tình nguyện viên tổ công nghệ số cộng đồng, kinh phí in tài liệu hướng dẫn."

local function body(n, group)
	return string.format('{"title":"Mô hình tổ dân phố số %d","summary":"%s","problem":"%s","model":"%s",'
		.. '"beneficiaries":"%s","households":450,"resources":"%s","cost_vnd":%d,"group_id":%s,'
		.. '"tags":["chuyển đổi số","dịch vụ công","cộng đồng"],"submit":true}',
		n, summary, problem, model, beneficiaries, resources, 15000000 + (n % 100) * 100000, group)
end

function init(args)
	local file, campaign, group_list, win, nthr = args[1], args[2], args[3], args[4], args[5]
	assert(file and campaign and group_list and win and nthr, "usage: -- SESSIONS CAMPAIGN GROUPS WINDOW THREADS")
	for line in io.lines(file) do
		local token, csrf = line:match("^(%S+)%s+(%S+)$")
		if token then
			table.insert(sessions, { cookie = "sk_session=" .. token, csrf = csrf })
		end
	end
	assert(#sessions > 0, "no sessions in " .. file)
	for g in group_list:gmatch("%d+") do
		table.insert(groups, g)
	end
	assert(#groups > 0, "no group ids")
	path = "/api/v1/campaigns/" .. campaign .. "/proposals"
	window = tonumber(win)
	nthreads = tonumber(nthr)
	body_bytes = #body(1, groups[1])
	-- Each thread starts at its own place in the list of sessions.
	next_session = math.floor((thread_no - 1) * #sessions / nthreads) % #sessions + 1
end

function request()
	local t = now()
	if stop_at == nil then
		stop_at = t + window
		first = t
	end
	if t >= stop_at then
		-- Only a reconnecting connection gets here after the window: send nothing that writes.
		late = late + 1
		return wrk.format("GET", "/api/v1/health")
	end
	local s = sessions[next_session]
	next_session = next_session % #sessions + 1
	seq = seq + 1
	sent = sent + 1
	return wrk.format("POST", path, {
		["Cookie"] = s.cookie,
		["X-CSRF-Token"] = s.csrf,
		["Content-Type"] = "application/json",
	}, body(thread_no * 1000000 + seq, groups[seq % #groups + 1]))
end

function delay()
	if stop_at ~= nil and now() >= stop_at then
		return 3600 * 1000 -- idle until wrk stops
	end
	return 0
end

function response(status, headers, body)
	last = now()
	if status == 201 then
		ok = ok + 1
	else
		bad = bad + 1
		statuses[status] = (statuses[status] or 0) + 1
	end
end

-- ---------------------------------------------------------------- main state again
function done(summary, latency, requests)
	local tok, tbad, tsent, tlate, t0, t1 = 0, 0, 0, 0, nil, 0
	local bytes = threads[1] and threads[1]:get("body_bytes") or 0
	local st = {}
	for _, thread in ipairs(threads) do
		tok = tok + thread:get("ok")
		tbad = tbad + thread:get("bad")
		tsent = tsent + thread:get("sent")
		tlate = tlate + thread:get("late")
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
	io.write(string.format("RESULT ok=%d bad=%d sent=%d late=%d elapsed=%.3f rate=%.1f p50_ms=%.3f p90_ms=%.3f "
		.. "p99_ms=%.3f max_ms=%.3f body_bytes=%d statuses=%s\n",
		tok, tbad, tsent, tlate, elapsed, elapsed > 0 and tok / elapsed or 0,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000, bytes, #parts > 0 and table.concat(parts, ",") or "-"))
end
