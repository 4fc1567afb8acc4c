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

-- ADVOCATE_COMMENTS=1: every answer carries a real-sounding comment with its language,
-- in turn from the seven analysed languages (en nb sv da fi de nl), ten each: the first
-- comments of the labelled evaluation set (crates/core/src/themes/eval/test, CC0) that
-- a person tagged with price, billing, delivery, support_wait or app_website. The theme
-- tagger analyses each as the answer is written. ADVOCATE_COMMENT_LANGUAGE=und sends the
-- same comments with a language Advocate does not analyse (so nothing is tagged): the
-- same bytes stored and indexed for search, only the tagging left out (the A/B of
-- bench/ingest/themes-ab).
local comments = {}
if os.getenv("ADVOCATE_COMMENTS") == "1" then
  local override = os.getenv("ADVOCATE_COMMENT_LANGUAGE")
  local wanted = { price = true, billing = true, delivery = true, support_wait = true, app_website = true }
  for _, lang in ipairs({ "en", "nb", "sv", "da", "fi", "de", "nl" }) do
    local f = assert(io.open("crates/core/src/themes/eval/test/" .. lang .. ".txt"))
    local taken = 0
    for line in f:lines() do
      local themes, text = line:match("^%s*%a+%s*|([^|]*)|%s*(.-)%s*$")
      local hit = false
      for key in string.gmatch(themes or "", "[%w_]+") do
        hit = hit or wanted[key] ~= nil
      end
      if hit and taken < 10 then
        taken = taken + 1
        local escaped = text:gsub('\\', '\\\\'):gsub('"', '\\"')
        comments[#comments + 1] = string.format(',"language":"%s","comment":"%s"', override or lang, escaped)
      end
    end
    f:close()
    assert(taken == 10, "fewer than ten comments for " .. lang)
  end
end

request = function()
  n = n + 1
  local body
  if #comments > 0 then
    body = string.format('{"survey":"rel","score":%d,"channel":"api"%s}', scores[(n % #scores) + 1], comments[(n % #comments) + 1])
  else
    body = string.format('{"survey":"rel","score":%d,"channel":"api","comment":"load %d"}', scores[(n % #scores) + 1], n)
  end
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
