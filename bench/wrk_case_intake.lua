-- wrk script for bench/bench_case_intake.py: POST one JSON case report per request, each at a
-- different point of the grid and with its own Idempotency-Key, so that every request makes a
-- new case (a repeated key would only replay the first one).
--
-- Environment (set by the benchmark):
--   BENCH_TOKEN     the bearer token of the reporting grid worker
--   BENCH_POINTS    a file of "lng lat" lines, all inside that worker's grid
--   BENCH_CATEGORY  the category code
--   BENCH_SOURCE    the source ("grid_worker")
--   BENCH_RUN       a run label, so that keys never repeat across runs against one database

local token = os.getenv("BENCH_TOKEN") or ""
local category = os.getenv("BENCH_CATEGORY") or ""
local source = os.getenv("BENCH_SOURCE") or "grid_worker"
local run = os.getenv("BENCH_RUN") or "run"

local points = {}
for line in io.lines(os.getenv("BENCH_POINTS")) do
  local lng, lat = line:match("^(%S+)%s+(%S+)$")
  if lng then
    points[#points + 1] = { lng, lat }
  end
end

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local counter = 0
local offset = 0

function init(args)
  -- thread_number was set by setup() in this thread's own Lua state.
  offset = (thread_number or 1) * 7919
end

function request()
  counter = counter + 1
  local point = points[(offset + counter) % #points + 1]
  local body = string.format(
    '{"category":"%s","source":"%s","title":"bench report %d","description":"bench",'
      .. '"lng":%s,"lat":%s}',
    category, source, counter, point[1], point[2]
  )
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("%s-%d-%d", run, thread_number or 1, counter),
  }
  return wrk.format("POST", nil, headers, body)
end
