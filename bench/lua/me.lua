-- wrk script for bench/cluster.sh: GET /api/v1/me with each resident session in turn.
--   wrk -t2 -c32 -d5s -s bench/lua/me.lua URL -- SESSIONS   (lines "token csrf")
local tokens = {}
local n = 0
function init(args)
	for line in io.lines(args[1]) do
		local token = line:match("^(%S+)")
		if token then tokens[#tokens + 1] = token end
	end
	n = math.random(#tokens)
end
function request()
	n = n % #tokens + 1
	return wrk.format("GET", "/api/v1/me", { ["Cookie"] = "sk_session=" .. tokens[n] })
end
