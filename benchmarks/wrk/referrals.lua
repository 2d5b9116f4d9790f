-- wrk script for benchmarks/referral_intake.py: POST pre-signed referral webhooks, each once.
--
--   wrk -t2 -c64 -d10s -s benchmarks/wrk/referrals.lua URL -- REQUESTS_FILE
--
-- REQUESTS_FILE (written by the benchmark just before the run, so the signatures' timestamps
-- are fresh) holds, per request, one header line
--   webhook-id <TAB> webhook-timestamp <TAB> webhook-signature <TAB> content-type <TAB>
--   x-imm-platform <TAB> body length
-- followed by that many bytes of body. Thread k of n sends requests k, k+n, k+2n, ... so no
-- request goes twice; every request is formatted once in init, so wrk runs no string work per
-- request. When a thread runs out it sends GET /health (the benchmark counts referrals in the
-- database, not wrk's requests).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = #args > 1 and tonumber(args[2]) or 1
  local file = assert(io.open(args[1], "rb"), "cannot open requests file " .. tostring(args[1]))
  local path = wrk.path
  requests = {}
  local i = 0
  while true do
    local line = file:read("*l")
    if line == nil or line == "" then break end
    local id, ts, sig, ctype, platform, length =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(%d+)$")
    local body = file:read(tonumber(length))
    if i % n == index then
      requests[#requests + 1] = wrk.format("POST", path, {
        ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig,
        ["content-type"] = ctype, ["x-imm-platform"] = platform,
      }, body)
    end
    i = i + 1
  end
  file:close()
  idle = wrk.format("GET", "/health")
  next_request = 1
end

function request()
  local req = requests[next_request]
  if req == nil then return idle end
  next_request = next_request + 1
  return req
end
