-- S2: list the first page, then follow next_cursor up to 20 pages, then start again.
-- wrk keeps Lua state per thread, not per connection: the 32 connections of one thread share the
-- walk, so each request follows the cursor of the latest answer (pages of every depth from 1 to
-- 20 are read, as 32 clients paging concurrently would). Both servers are driven the same way.
local first, path, pages = nil, nil, 0

init = function(args)
  first = wrk.path
  path = first
end

request = function()
  return wrk.format("GET", path)
end

response = function(status, headers, body)
  local cursor = body:match('"next_cursor":"([^"]+)"')
  pages = pages + 1
  if cursor ~= nil and pages < 20 then
    path = first .. "&cursor=" .. cursor
  else
    path = first
    pages = 0
  end
end
