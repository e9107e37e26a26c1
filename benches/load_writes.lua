-- wrk script for benches/load.sh: thread n proposes amounts for application n of the
-- round, one request at a time, sending the version the previous answer gave it, so
-- every write is accepted and changes the amount (1 000 kr and 2 000 kr in turn).
-- load.sh puts the round's application ids in place of @IDS@.
local ids = { @IDS@ }
local threads_made = 0

function setup(thread)
  threads_made = threads_made + 1
  thread:set("application", ids[threads_made])
end

local version = nil
local turn = 0

function request()
  if version == nil then
    return wrk.format("GET", "/api/v1/applications/" .. application)
  end
  turn = turn + 1
  local body = string.format('{"amount":"%d","version":%s}', 1000 * (1 + turn % 2), version)
  -- wrk.format replaces wrk.headers (the session cookie) when given headers of its own.
  local headers = { ["Content-Type"] = "application/json" }
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return wrk.format("PUT", "/api/v1/applications/" .. application .. "/allocation", headers, body)
end

function response(status, headers, body)
  local found = body:match('"version":%s*(%d+)')
  if found then
    version = found
  end
end
