-- wrk script for benchmarks/side_by_side.sh: POST one JSON body file, with optional auth.
--
--   WRK_AUTHORIZATION="Bearer …" wrk -t1 -c8 -d10s --latency -s benchmarks/wrk/post.lua URL -- BODY
--
-- The Authorization header comes from the environment (so a key is not shown by `ps`); none is
-- sent when WRK_AUTHORIZATION is unset or empty. The request is built once per thread and
-- reused for every request, so wrk runs no Lua per request: the cores go to the servers.
function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot open body file " .. tostring(args[1]))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  local auth = os.getenv("WRK_AUTHORIZATION")
  if auth ~= nil and auth ~= "" then
    wrk.headers["Authorization"] = auth
  end
  local req = wrk.format()
  request = function() return req end
end
