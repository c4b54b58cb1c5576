-- Herald publish: idempotency check, append to the topic's stream with retention, and live
-- publish, atomically. All keys share the {topic} hash tag, so this runs on one cluster shard.
-- KEYS[1] stream, KEYS[2] meta hash (h = head id, f = floor id), KEYS[3] idempotency key
-- ARGV[1] channel, ARGV[2] type, ARGV[3] data, ARGV[4] max events, ARGV[5] max age ms,
-- ARGV[6] idempotency window ms, ARGV[7] '1' when an idempotency key is given,
-- ARGV[8] PUBLISH or SPUBLISH, ARGV[9] idle topic ttl ms (stream), ARGV[10] meta ttl ms
if ARGV[7] == '1' then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    return {seen, 1}
  end
end
local maxlen = tonumber(ARGV[4])
local len = redis.call('XLEN', KEYS[1])
-- A topic whose stream expired (idle) but whose meta survives: everything up to the old head is
-- gone, so the old head becomes the floor and a cursor into it gets a reset, not a silent gap.
if len == 0 then
  local head = redis.call('HGET', KEYS[2], 'h')
  if head then
    redis.call('HSET', KEYS[2], 'f', head)
  end
end
-- Trimming by count drops the oldest entries; the newest dropped id becomes the floor, so a
-- cursor before it is known to have lost events (works on Redis 6.2, which lacks max-deleted-entry-id).
if len >= maxlen then
  local dropped = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - maxlen + 1)
  redis.call('HSET', KEYS[2], 'f', dropped[#dropped][1])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', maxlen, '*', 't', ARGV[2], 'd', ARGV[3])
-- Age: drop entries older than max age, remembering the newest dropped one as the floor.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minid = tostring(now - tonumber(ARGV[5])) .. '-0'
local old = redis.call('XREVRANGE', KEYS[1], '(' .. minid, '-', 'COUNT', 1)
if #old > 0 then
  redis.call('HSET', KEYS[2], 'f', old[1][1])
  redis.call('XTRIM', KEYS[1], 'MINID', minid)
end
redis.call('HSET', KEYS[2], 'h', id)
-- The meta hash outlives the stream (ARGV[10]) so that an expired topic still knows its old head.
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.call('PEXPIRE', KEYS[2], ARGV[10])
if ARGV[7] == '1' then
  redis.call('SET', KEYS[3], id, 'PX', ARGV[6])
end
redis.call(ARGV[8], ARGV[1], id .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
return {id, 0}
