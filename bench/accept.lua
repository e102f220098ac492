-- S3: accept each requested referral of a pool once, in order. Arguments: the file of the pool's
-- part ("<id> <receiver's number>" a line), the request path with %s for the id, then (for the
-- API) one bearer token per receiving agency, in the receivers' order. wrk keeps Lua state per
-- thread (-t1): the 32 connections share one counter, so no id is sent twice.
local ids, owners, tokens, next_id, template = {}, {}, {}, 1, nil

init = function(args)
  for line in io.lines(args[1]) do
    local id, owner = line:match("^(%S+)%s+(%d+)$")
    ids[#ids + 1] = id
    owners[#owners + 1] = tonumber(owner)
  end
  template = args[2]
  for i = 3, #args do
    tokens[#tokens + 1] = args[i]
  end
end

request = function()
  local id, owner = ids[next_id], owners[next_id]
  next_id = next_id + 1
  if id == nil then
    id, owner = "00000000-0000-4000-8000-000000000000", 1 -- the pool ran out: counted as failed
  end
  local headers = { ["Content-Type"] = "application/json" }
  if tokens[owner] ~= nil then
    headers["Authorization"] = "Bearer " .. tokens[owner]
  end
  return wrk.format("POST", string.format(template, id), headers, "{}")
end
