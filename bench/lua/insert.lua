-- wrk script for the durable-insert reference (bench-reference POST /ref/insert): every
-- request POSTs the same 1 KiB JSON body, which bench-reference stores in one row.
--   wrk -t2 -c64 -d10s -s bench/lua/insert.lua http://127.0.0.1:PORT/ref/insert
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Tham chiếu","text":"' .. string.rep("Nội dung đề xuất mẫu. ", 40) .. '"}'
