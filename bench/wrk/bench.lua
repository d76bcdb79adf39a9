-- wrk script for the ajaxkit benchmark.
--
-- With BENCH_BODY set, every request is a POST of that JSON body (the echo
-- endpoints); otherwise wrk's default GET is sent.  BENCH_HEADERS adds
-- headers, one "Name: value" a line (a browser's fetch() headers, a CSRF
-- token and its cookie).  BENCH_KEYS=N sends each request from one of N
-- client addresses in turn, in X-Forwarded-For (the rate-limited cells:
-- every request is counted against its client's limit, and no client
-- reaches it).  Every answer's status is
-- checked: wrk itself counts a 404 or a 500 as a request like any other (and
-- a 3xx not even as an error), so bench/run.py refuses a run with any
-- non-2xx answer.  At the end, one line starting with "BENCH_JSON " carries
-- the numbers bench/run.py reads, so it never has to parse wrk's
-- human-readable summary.

local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^:\n]+): ([^\n]*)") do
  wrk.headers[name] = value
end

local keys = tonumber(os.getenv("BENCH_KEYS") or "0") or 0
local requests, next_request = {}, 0

if keys > 0 then
  -- Formatted once per thread, so rotating the address costs wrk (on its
  -- own CPU) a table lookup per request.
  function init(args)
    for i = 0, keys - 1 do
      local address = string.format("10.%d.%d.%d", math.floor(i / 65536) % 256,
                                    math.floor(i / 256) % 256, i % 256)
      wrk.headers["X-Forwarded-For"] = address
      requests[i] = wrk.format()
    end
  end

  function request()
    next_request = (next_request + 1) % keys
    return requests[next_request]
  end
end

-- Each wrk thread runs its own copy of this script: these globals are per
-- thread, and done() (in the main one) collects them through setup().
non_2xx = 0
last_bad_status = 0

function response(status, headers, response_body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    last_bad_status = status
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local bad, last = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
    if thread:get("last_bad_status") ~= 0 then
      last = thread:get("last_bad_status")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"non_2xx":%d,"last_bad_status":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad, last,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
