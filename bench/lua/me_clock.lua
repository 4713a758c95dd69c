-- wrk script for bench/memory.sh: GET /api/v1/me with the sessions of one simulated hour in
-- turn, at that hour of the test clock (X-Sangkien-Test-Now; the server runs with
-- SANGKIEN_TEST_CLOCK=1).
--   wrk -t2 -c64 -d5s -s bench/lua/me_clock.lua URL -- TOKENS NOW
local tokens = {}
local now
local n = 0
function init(args)
	for line in io.lines(args[1]) do
		tokens[#tokens + 1] = line
	end
	now = args[2]
	n = math.random(#tokens)
end
function request()
	n = n % #tokens + 1
	return wrk.format("GET", "/api/v1/me", { ["Cookie"] = "sk_session=" .. tokens[n], ["X-Sangkien-Test-Now"] = now })
end
