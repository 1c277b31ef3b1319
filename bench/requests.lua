-- wrk script for the benchmarks: requests come from a file (raw HTTP, separated by three NULs),
-- split between threads; "once" sends each exactly once and stops, "cycle" repeats them.
-- With no file, wrk's own GET is sent. done() prints one JSON line for bench/common.py.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  reqs = {}
  idx = 0
  statuses = 0
  mode = args[3] or "cycle"
  local path = args[1] or ""
  if path ~= "" then
    local f = assert(io.open(path, "rb"))
    local data = f:read("*a")
    f:close()
    local nthreads = tonumber(args[2]) or 1
    local i = 0
    -- "once": the threads share the requests out; "cycle": each thread repeats them all
    for r in string.gmatch(data, "(.-)%z%z%z") do
      if mode == "cycle" or i % nthreads == id then
        table.insert(reqs, r)
      end
      i = i + 1
    end
  end
  -- wrk calls thread 0's request() once before any connection opens, to check the script
  -- (script_verify_request) and drops what it returns: give that call a copy of the first
  -- request, so that every request in the file is still sent.
  if id == 0 and #reqs > 0 then
    table.insert(reqs, 1, reqs[1])
  end
  total = #reqs
end

function request()
  if total == 0 then
    return wrk.format()
  end
  idx = idx + 1
  if idx > total then
    if mode == "once" then
      wrk.thread:stop()
      idx = total
    else
      idx = 1
    end
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, socket_errors))
end
