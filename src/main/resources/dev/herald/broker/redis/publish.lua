-- Herald publish: idempotency check, append to the topic's stream with retention, and live
-- publish, atomically. All keys share the {topic} hash tag, so this runs on one cluster shard.
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
-- An entry's bytes: its field names and values plus what Redis spends per entry besides them
-- (measured on Redis 7.0: 18 to 60 bytes for up to 100 bytes of data; allocator size classes add up
-- to a third more for larger entries). The same in read.lua.
local function cost(fields)
  local n = 40
  for i = 1, #fields do
    n = n + #fields[i]
  end
  return n
end
local maxlen = tonumber(ARGV[4])
local maxbytes = tonumber(ARGV[11])
local len = redis.call('XLEN', KEYS[1])
local meta = redis.call('HMGET', KEYS[2], 'h', 'b')
local bytes = tonumber(meta[2])
if len == 0 then
  -- A topic whose stream expired (idle) but whose meta survives: everything up to the old head is
  -- gone, so the old head becomes the floor and a cursor into it gets a reset, not a silent gap.
  if meta[1] then
    redis.call('HSET', KEYS[2], 'f', meta[1])
  end
  bytes = 0
elseif not bytes then
  -- A stream whose bytes were never counted (written by an older Herald, or its meta was lost).
  bytes = 0
  local from = '-'
  repeat
    local batch = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 100)
    for _, e in ipairs(batch) do
      bytes = bytes + cost(e[2])
    end
    if #batch > 0 then
      from = '(' .. batch[#batch][1]
    end
  until #batch < 100
end
-- Trimming drops the oldest entries, reading only those it drops (to subtract their bytes); the
-- newest dropped id becomes the floor, so a cursor before it is known to have lost events (this
-- works on Redis 6.2, which lacks max-deleted-entry-id).
local from = '-'
local dropped = 0
local floor = false
local function drop(count, before)
  local batch = redis.call('XRANGE', KEYS[1], from, before, 'COUNT', count)
  for _, e in ipairs(batch) do
    bytes = bytes - cost(e[2])
    floor = e[1]
  end
  if #batch > 0 then
    from = '(' .. floor
  end
  dropped = dropped + #batch
  return #batch
end
-- Age: entries older than max age.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minid = tostring(now - tonumber(ARGV[5])) .. '-0'
repeat until drop(100, '(' .. minid) < 100
-- Count: room for the new entry.
if len - dropped >= maxlen then
  drop(len - dropped - maxlen + 1, '+')
end
-- Bytes: oldest first until the new entry fits; one larger than the whole bound empties the stream.
local traced = ARGV[12] ~= nil and ARGV[12] ~= ''
local added = 2 + #ARGV[2] + #ARGV[3] + 40
if traced then
  added = added + 1 + #ARGV[12]
end
local byBytes = 0
while bytes + added > maxbytes and len - dropped > 0 do
  local n = drop(1, '+')
  if n == 0 then
    break -- XLEN and XRANGE disagree (cannot happen inside a script); never loop forever
  end
  byBytes = byBytes + n
end
if len - dropped == 0 then
  bytes = 0
end
if dropped > 0 then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', len - dropped)
  redis.call('HSET', KEYS[2], 'f', floor)
end
local id
if traced then
  id = redis.call('XADD', KEYS[1], '*', 't', ARGV[2], 'd', ARGV[3], 'p', ARGV[12])
else
  id = redis.call('XADD', KEYS[1], '*', 't', ARGV[2], 'd', ARGV[3])
end
bytes = bytes + added
if added > maxbytes then
  -- Delivered live below, but not retained: the floor moves past it.
  redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
  redis.call('HSET', KEYS[2], 'f', id)
  bytes = 0
  byBytes = byBytes + 1
end
redis.call('HSET', KEYS[2], 'h', id, 'b', bytes)
-- The meta hash outlives the stream (ARGV[10]) so that an expired topic still knows its old head.
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.call('PEXPIRE', KEYS[2], ARGV[10])
if ARGV[7] == '1' then
  redis.call('SET', KEYS[3], id, 'PX', ARGV[6])
end
if traced then
  redis.call(ARGV[8], ARGV[1], '^' .. ARGV[12] .. '\n' .. id .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
else
  redis.call(ARGV[8], ARGV[1], id .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
end
return {id, 0, byBytes}
