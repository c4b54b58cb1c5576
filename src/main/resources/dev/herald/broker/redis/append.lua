-- Herald's append of one event to a topic (a fragment: RedisScript puts it before the scripts that use
-- it, publish.lua and the job store's transitions): XADD to the topic's stream with retention by count,
-- age and bytes, the floor moved past what is dropped, then the live publish.
-- herald_append(s, m, c, o, type, data, trace, now) with s the stream, m the meta hash (h = head id,
-- f = floor id, b = bytes of the retained entries, o = an id no newer than the oldest retained entry),
-- c the live channel, trace the traceparent or '', o the options: maxlen, maxage (ms), maxbytes, pub
-- (PUBLISH or SPUBLISH), ttl (stream, ms), metattl (ms), and now the caller's TIME in ms (nil: asked here).
-- Returns the new id and how many entries the byte bound dropped.
-- Every call of redis.call costs about as much as a small command itself, so the common append makes few:
-- the age bound reads the stream only when the meta's 'o' does not show the oldest entry young enough.
-- 'o' stays a lower bound whatever drops entries (trimming here, read.lua's age trim, expiry), since
-- entries only ever leave from the front.
-- An entry's bytes: its field names and values plus what Redis spends per entry besides them
-- (measured on Redis 7.0: 18 to 60 bytes for up to 100 bytes of data; allocator size classes add up
-- to a third more for larger entries). The same in read.lua.
local function herald_cost(fields)
  local n = 40
  for i = 1, #fields do
    n = n + #fields[i]
  end
  return n
end
local function herald_ms(id)
  return tonumber(string.match(id, '^(%d+)'))
end
local function herald_append(s, m, c, o, etype, data, trace, now)
  local maxlen = tonumber(o.maxlen)
  local maxbytes = tonumber(o.maxbytes)
  local len = redis.call('XLEN', s)
  local meta = redis.call('HMGET', m, 'h', 'b', 'o')
  local bytes = tonumber(meta[2])
  local oldest = meta[3]
  if len == 0 then
    -- A topic whose stream expired (idle) but whose meta survives: everything up to the old head is
    -- gone, so the old head becomes the floor and a cursor into it gets a reset, not a silent gap.
    if meta[1] then
      redis.call('HSET', m, 'f', meta[1])
    end
    bytes = 0
  elseif not bytes then
    -- A stream whose bytes were never counted (written by an older Herald, or its meta was lost).
    bytes = 0
    local from = '-'
    repeat
      local batch = redis.call('XRANGE', s, from, '+', 'COUNT', 100)
      for _, e in ipairs(batch) do
        bytes = bytes + herald_cost(e[2])
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
    local batch = redis.call('XRANGE', s, from, before, 'COUNT', count)
    for _, e in ipairs(batch) do
      bytes = bytes - herald_cost(e[2])
      floor = e[1]
    end
    if #batch > 0 then
      from = '(' .. floor
    end
    dropped = dropped + #batch
    return #batch
  end
  -- Age: entries older than max age, looked for only when the oldest entry may be that old.
  if not now then
    local time = redis.call('TIME')
    now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  end
  local minms = now - tonumber(o.maxage)
  if len > 0 and (not oldest or herald_ms(oldest) < minms) then
    local first = redis.call('XRANGE', s, '-', '+', 'COUNT', 1)
    oldest = first[1] and first[1][1]
    if oldest and herald_ms(oldest) < minms then
      repeat until drop(100, '(' .. tostring(minms) .. '-0') < 100
      oldest = floor -- the entries left are newer than the newest dropped; the next append looks again
    end
  end
  -- Count: room for the new entry.
  if len - dropped >= maxlen then
    drop(len - dropped - maxlen + 1, '+')
  end
  -- Bytes: oldest first until the new entry fits; one larger than the whole bound empties the stream.
  local traced = trace ~= nil and trace ~= ''
  local added = 2 + #etype + #data + 40
  if traced then
    added = added + 1 + #trace
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
    redis.call('XTRIM', s, 'MAXLEN', len - dropped)
    redis.call('HSET', m, 'f', floor)
  end
  local id
  if traced then
    id = redis.call('XADD', s, '*', 't', etype, 'd', data, 'p', trace)
  else
    id = redis.call('XADD', s, '*', 't', etype, 'd', data)
  end
  bytes = bytes + added
  if added > maxbytes then
    -- Delivered live below, but not retained: the floor moves past it.
    redis.call('XTRIM', s, 'MAXLEN', 0)
    redis.call('HSET', m, 'f', id)
    bytes = 0
    byBytes = byBytes + 1
  end
  if len - dropped == 0 or not oldest then
    oldest = id -- the new entry is the oldest (or, dropped by the byte bound, older than any to come)
  end
  redis.call('HSET', m, 'h', id, 'b', bytes, 'o', oldest)
  -- The meta hash outlives the stream (metattl) so that an expired topic still knows its old head.
  redis.call('PEXPIRE', s, o.ttl)
  redis.call('PEXPIRE', m, o.metattl)
  -- The live payload LivePayload reads: <id>\n<type>\n<data>, traced ^<traceparent>\n<id>\n<type>\n<data>.
  if traced then
    redis.call(o.pub, c, '^' .. trace .. '\n' .. id .. '\n' .. etype .. '\n' .. data)
  else
    redis.call(o.pub, c, id .. '\n' .. etype .. '\n' .. data)
  end
  return id, byBytes
end
