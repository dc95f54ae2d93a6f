-- One wrk script for every bench endpoint, driven by the environment:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_PATH    the path, or BENCH_PATHS a file of paths used round-robin (uncached reads)
--   BENCH_BODIES  for POST: a file of JSON bodies used round-robin; each request gets a fresh
--                 Idempotency-Key
--   BENCH_TOKEN   bearer token, optional
-- At the end it prints one line: BENCH_JSON {...} with counts and latency percentiles (us).
local method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN") or ""

local function lines(name)
  local out = {}
  local file = os.getenv(name)
  if file and file ~= "" then
    for line in io.lines(file) do out[#out + 1] = line end
  end
  return out
end

local paths = lines("BENCH_PATHS")
if #paths == 0 then paths = { os.getenv("BENCH_PATH") } end
local bodies = lines("BENCH_BODIES")
local counter = 0
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

request = function()
  counter = counter + 1
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  local path = paths[((counter + (tid or 0) * 7919) % #paths) + 1]
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", nonce, tid or 0, counter)
    return wrk.format("POST", path, headers, bodies[(counter % #bodies) + 1])
  end
  return wrk.format("GET", path, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"non2xx":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
