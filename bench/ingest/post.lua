-- wrk script: POSTs one NPS answer per request, scores 0-10 in turn, with the API key
-- from the environment (ADVOCATE_KEY). Every 201 is a durable answer.
local key = os.getenv("ADVOCATE_KEY")
-- ADVOCATE_SCORES="7,8" limits the scores sent (default: 0-10 in turn); ADVOCATE_PATH
-- posts elsewhere (/api/v1/responses, for builds from before the rename).
local scores = {}
for s in string.gmatch(os.getenv("ADVOCATE_SCORES") or "0,1,2,3,4,5,6,7,8,9,10", "%d+") do
  scores[#scores + 1] = tonumber(s)
end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

-- ADVOCATE_BASELINE=1: the same script (a body built per request, every status counted)
-- against the trivial GET /healthz, so the baseline pays the load generator's own costs too.
local baseline = os.getenv("ADVOCATE_BASELINE") == "1"

request = function()
  n = n + 1
  local body = string.format('{"survey":"rel","score":%d,"channel":"api","comment":"load %d"}', scores[(n % #scores) + 1], n)
  if baseline then
    return wrk.format("GET", "/healthz")
  end
  return wrk.format(nil, os.getenv("ADVOCATE_PATH") or "/api/v1/answers", nil, body)
end

-- Counts answers by status so the run can check them against the database.
local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
