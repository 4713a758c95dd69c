-- wrk script for the durable-insert reference (POST /ref/insert) in bench/reviews.sh, shaped
-- like bench/lua/reviews.lua so that both sides pay the same client cost: run with the same
-- -tN -cN (one connection per wrk thread), each request's JSON body built in Lua with
-- string.format (about the size of a review write), each reply matched for a field in
-- response(). Without it the reference ran with -t2 and a fixed body while the review writes'
-- Lua cost 140-270 us of wrk CPU per request, counted against sangkien on a saturated machine.
--
--   wrk -tN -cN -d10s -s bench/lua/insert_as_reviews.lua http://127.0.0.1:PORT/ref/insert

local comments = {
	"Mô hình thiết thực, phù hợp với điều kiện của tổ dân phố.",
	"Cần làm rõ nguồn kinh phí duy trì sau năm đầu.",
	"Có khả năng nhân rộng sang các phường lân cận.",
}
local n = 0
ok, bad = 0, 0

local function body(k)
	local scores = {}
	for i = 1, 3 do
		local s = (k * 7 + i * 5) % 11
		scores[i] = string.format('{"criterion_id":%d,"score":%d,"comment":"%s"}', i, s, comments[(s + i) % 3 + 1])
	end
	return string.format('{"scores":[%s],"overall_comment":"Đề xuất có tính khả thi; nhận xét lần %d.",'
		.. '"version":%d,"submit":true,"reason":"Điều chỉnh điểm sau buổi họp tổ thẩm định lần %d."}',
		table.concat(scores, ","), k + 1, k, k)
end

function request()
	n = n + 1
	return wrk.format("POST", nil, {
		["Cookie"] = "sk_session=reference",
		["X-CSRF-Token"] = "reference",
		["Content-Type"] = "application/json",
	}, body(n))
end

function response(status, headers, reply)
	if status >= 200 and status < 300 then
		ok = ok + 1
		local _ = reply:match('"id":(%d+)')
	else
		bad = bad + 1
	end
end
