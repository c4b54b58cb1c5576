-- Herald history read: the events after a position, with the topic's head and floor.
-- KEYS[1] stream, KEYS[2] meta hash (h = head id, f = floor id, b = bytes of the retained entries)
-- ARGV[1] start ('-' or '(' .. id, exclusive), ARGV[2] count, ARGV[3] max age ms
-- The age trim is the same as in publish.lua (scripts cannot share code): entries older than max
-- age are dropped, the newest of them becomes the floor, and their bytes leave the topic's count.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minid = tostring(now - tonumber(ARGV[3])) .. '-0'
local from = '-'
local floor = false
local freed = 0
repeat
  local old = redis.call('XRANGE', KEYS[1], from, '(' .. minid, 'COUNT', 100)
  for _, e in ipairs(old) do
    freed = freed + 40
    for i = 1, #e[2] do
      freed = freed + #e[2][i]
    end
    floor = e[1]
  end
  if #old > 0 then
    from = '(' .. floor
  end
until #old < 100
-- A full Redis (maxmemory-policy noeviction) refuses a script's first write with an OOM error: then
-- nothing is trimmed and the floor stays (no gap), and the read still answers instead of failing.
local floorSet = false
if floor then
  local set = redis.pcall('HSET', KEYS[2], 'f', floor)
  floorSet = type(set) ~= 'table' or not set.err
end
if floorSet then
  redis.call('XTRIM', KEYS[1], 'MINID', minid)
  local bytes = tonumber(redis.call('HGET', KEYS[2], 'b'))
  if bytes then
    redis.call('HSET', KEYS[2], 'b', math.max(0, bytes - freed))
  end
end
local meta = redis.call('HMGET', KEYS[2], 'h', 'f')
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
return {meta[1] or '0-0', meta[2] or '0-0', entries}
