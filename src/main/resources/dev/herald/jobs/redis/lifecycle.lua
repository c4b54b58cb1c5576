-- Herald jobs: lifecycle events folded into the transitions (a fragment: RedisScript puts it after
-- append.lua and before jobs.lua). On a single Redis a transition appends its job's event to the topic
-- job:<id> (JobIds.topic) itself, in the same script call, with herald_append as a publish would. The
-- event's data is the job's status document after the transition, written as JobStatus.toJson writes it;
-- a traced job's events carry its traceparent. On a Redis Cluster the topic's keys are on another slot:
-- the options are '0' and nothing is appended here (the node publishes the events itself).
local herald_options = nil
-- events appended, entries the byte bound dropped, events whose append failed
local herald_folded = {0, 0, 0}

-- packed: '0', or what RedisBroker.appendOptions gives (fields separated by line breaks)
local function herald_lifecycle(packed)
  if packed == nil or packed == '0' then
    return
  end
  local v = {}
  for part in string.gmatch(packed .. '\n', '([^\n]*)\n') do
    v[#v + 1] = part
  end
  herald_options = {prefix = v[1], maxlen = v[2], maxage = v[3], maxbytes = v[4], pub = v[5], ttl = v[6],
    metattl = v[7]}
end

-- A JSON string as dev.herald.event.Json.quote writes it: ", \, \n, \r, \t escaped as such, other
-- controls below 0x20 and U+2028/U+2029 as \u00xx (lowercase hex); DEL and the rest as they are.
local HERALD_ESCAPES = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function herald_quote(s)
  s = string.gsub(s, '[%z\1-\31"\\]', function(c)
    return HERALD_ESCAPES[c] or string.format('\\u%04x', string.byte(c))
  end)
  s = string.gsub(s, '\226\128\168', '\\u2028')
  s = string.gsub(s, '\226\128\169', '\\u2029')
  return '"' .. s .. '"'
end

-- A number field as RedisJobStore reads it: (long) Double.parseDouble, 0 when absent or empty.
local function herald_num(v)
  local x = tonumber(v)
  if not x then
    return 0
  end
  if x < 0 then
    return math.ceil(x)
  end
  return math.floor(x)
end

-- The status document of job id from its hash (a table of field = value), and its traceparent or ''.
local function herald_status(id, f)
  local function n(k)
    return string.format('%d', herald_num(f[k]))
  end
  local function orNull(k)
    local x = herald_num(f[k])
    if x == 0 then
      return 'null'
    end
    return string.format('%d', x)
  end
  local b = {'{"id":"', id, '","queue":"', f.q, '","type":"', f.t, '","status":"', f.s, '","attempt":', n('a'),
    ',"maxAttempts":', n('ma'), ',"progress":', n('p')}
  if f.pm and f.pm ~= '' then
    b[#b + 1] = ',"progressMessage":' .. herald_quote(f.pm)
  end
  if f.pd and f.pd ~= '' then
    b[#b + 1] = ',"progressData":' .. f.pd
  end
  local result, err = 'null', 'null'
  if f.r and f.r ~= '' then result = f.r end
  if f.er and f.er ~= '' then err = herald_quote(f.er) end
  b[#b + 1] = ',"result":' .. result .. ',"error":' .. err .. ',"createdAt":' .. n('c') .. ',"updatedAt":' .. n('u')
    .. ',"nextRunAt":' .. orNull('n') .. ',"startedAt":' .. orNull('sa') .. '}'
  return table.concat(b), f.tp or ''
end

-- Appends event etype of job id, whose hash after the transition is h (field = value), at time now (ms);
-- nothing for a job of a quiet queue (qt). An append that fails is counted, not raised: the transition
-- stands (as when a node's own publish of the event fails).
local function herald_announce(etype, id, h, now)
  if not herald_options or h.qt == '1' then
    return
  end
  local doc, trace = herald_status(id, h)
  local base = herald_options.prefix .. '{job:' .. id .. '}:'
  local ok, _, byBytes = pcall(herald_append, base .. 's', base .. 'm', base .. 'c', herald_options, etype, doc,
    trace, now)
  if ok then
    herald_folded[1] = herald_folded[1] + 1
    herald_folded[2] = herald_folded[2] + byBytes
  else
    herald_folded[3] = herald_folded[3] + 1
  end
end

-- A transition's answer, with what it appended as its last element when events are folded.
local function herald_report(t)
  if herald_options then
    t[#t + 1] = herald_folded
  end
  return t
end
