-- Herald publish: idempotency check, append to the topic's stream with retention, and live
-- publish, atomically (herald_append, from append.lua before this script). All keys share the {topic}
-- hash tag, so this runs on one cluster shard.
-- KEYS[1] stream, KEYS[2] meta hash (h = head id, f = floor id, b = bytes of the retained entries),
-- KEYS[3] idempotency key
-- ARGV[1] channel, ARGV[2] type, ARGV[3] data, ARGV[4] max events, ARGV[5] max age ms,
-- ARGV[6] idempotency window ms, ARGV[7] '1' when an idempotency key is given,
-- ARGV[8] PUBLISH or SPUBLISH, ARGV[9] idle topic ttl ms (stream), ARGV[10] meta ttl ms,
-- ARGV[11] max bytes per topic, ARGV[12] the publish's traceparent or '' (untraced)
-- Returns {id, 1 when a duplicate else 0, entries dropped by the byte bound}.
if ARGV[7] == '1' then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    return {seen, 1, 0}
  end
end
local options = {maxlen = ARGV[4], maxage = ARGV[5], maxbytes = ARGV[11], pub = ARGV[8], ttl = ARGV[9],
  metattl = ARGV[10]}
local id, byBytes = herald_append(KEYS[1], KEYS[2], ARGV[1], options, ARGV[2], ARGV[3], ARGV[12] or '')
if ARGV[7] == '1' then
  redis.call('SET', KEYS[3], id, 'PX', ARGV[6])
end
return {id, 0, byBytes}
