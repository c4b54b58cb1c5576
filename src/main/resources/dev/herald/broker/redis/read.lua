-- Herald history read: the events after a position, with the topic's head and floor.
-- KEYS[1] stream, KEYS[2] meta hash (h = head id, f = floor id)
-- ARGV[1] start ('-' or '(' .. id, exclusive), ARGV[2] count, ARGV[3] max age ms
-- The age trim is the same as in publish.lua (scripts cannot share code).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minid = tostring(now - tonumber(ARGV[3])) .. '-0'
local old = redis.call('XREVRANGE', KEYS[1], '(' .. minid, '-', 'COUNT', 1)
if #old > 0 then
  redis.call('HSET', KEYS[2], 'f', old[1][1])
  redis.call('XTRIM', KEYS[1], 'MINID', minid)
end
local meta = redis.call('HMGET', KEYS[2], 'h', 'f')
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
return {meta[1] or '0-0', meta[2] or '0-0', entries}
