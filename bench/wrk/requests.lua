-- wrk script: sends the requests listed in the file named by BENCH_REQUESTS (a Lua file
-- returning a list of {method, path, headers, body, now}), each connection starting at a
-- different place in the list. "@NOW@" in a body becomes the current UTC time, so every
-- report is the newest. At the end one line "RESULT {json}" gives counts and latencies.
local requests = dofile(os.getenv("BENCH_REQUESTS"))
local count = #requests
local position = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  position = math.random(count)
end

function request()
  position = position % count + 1
  local r = requests[position]
  local body = r.body
  if body ~= nil and r.now then
    body = body:gsub("@NOW@", os.date("!%Y-%m-%dT%H:%M:%SZ"))
  end
  return wrk.format(r.method, r.path, r.headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
