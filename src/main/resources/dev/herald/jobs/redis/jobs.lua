-- Herald jobs: every transition of a job in one script call, so each is atomic. A queue and its jobs
-- share one hash tag (the queue's tag, which the job id starts with), so all keys below live on one
-- cluster shard; KEYS[1] names one of them for routing, the others are built from ARGV[1].
--   <base>qs:<queue>  stream of queued jobs (field j = job id), consumer group 'w', consumer 'c';
--                     its pending entries are the active jobs
--   <base>qz:<queue>  sorted set of delayed and failed jobs by the time they are due
--   <base>qm:<queue>  hash: q queued, d delayed, f failed (counts), ac XAUTOCLAIM cursor, fs finish sequence
--   <base>qd:<queue>  sorted set of dead jobs by the time they died
--   <base>qf:<queue>  sorted set of succeeded jobs by the time they succeeded
--   <base>qn:<queue>  channel: a job became available
--   <base>j:<id>      hash per job: q queue, t type, d data, s status, a attempt, ma max attempts,
--                     to timeout ms, o owner, c created, u updated, n next run, p progress, pm, pd,
--                     r result, er error, e stream entry id, l lease, lu lease until, v visibility,
--                     sa when the current attempt's lease began,
--                     sl/so the lease that settled it and how (ack|nack), tp the enqueue span's traceparent,
--                     qt '1' when its queue is quiet (its transitions announce nothing)
-- Leases: a job's pending entry is given the idle time MAXVIS - visibility whenever it is leased or its
-- lease extended (XCLAIM ... IDLE), so XAUTOCLAIM with min-idle MAXVIS returns exactly the entries whose
-- lease has expired, whatever each lease's visibility.
-- ARGV[1] key base '<prefix>{jobs.<tag>}:', ARGV[2] op, ARGV[3] retention ms, then the op's arguments;
-- the last ARGV of a transition (enqueue, lease and the ops on one job) is its lifecycle options for
-- herald_lifecycle (lifecycle.lua, before this script), which also writes every event a transition
-- announces (herald_announce) and adds what it appended to the answer (herald_report).
-- Each redis.call costs Redis about as much again as the command itself (arguments and reply converted
-- between Lua and Redis): a transition reads a job's hash once, writes it once, and builds its answer and
-- its event from the table it keeps in step (set), rather than reading the hash back.
local base = ARGV[1]
local op = ARGV[2]
local retention = tonumber(ARGV[3])
local MAXVIS = 43200000
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if op ~= 'status' and op ~= 'dead' and op ~= 'counts' then
  herald_lifecycle(ARGV[#ARGV])
end

local function qk(kind, q) return base .. kind .. ':' .. q end
local function jk(id) return base .. 'j:' .. id end

-- A hash as a table (field = value) from HGETALL's field, value, ... ; and back, for an answer.
local function fields(flat)
  local t = {}
  for i = 1, #flat, 2 do
    t[flat[i]] = flat[i + 1]
  end
  return t
end
local function flat(t)
  local out = {}
  for k, v in pairs(t) do
    out[#out + 1] = k
    out[#out + 1] = v
  end
  return out
end

-- HSET of field, value, ... on the job's hash j, kept in step in its table hv (values as Redis stores them).
local function set(j, hv, ...)
  local kv = {...}
  for i = 2, #kv, 2 do
    kv[i] = tostring(kv[i])
    hv[kv[i - 1]] = kv[i]
  end
  redis.call('HSET', j, unpack(kv))
end

-- Adds the values after t to the end of list t.
local function append(t, ...)
  for _, v in ipairs({...}) do
    t[#t + 1] = v
  end
end

local function ensureGroup(s)
  if redis.call('EXISTS', s) == 0 then
    redis.call('XGROUP', 'CREATE', s, 'w', '0', 'MKSTREAM')
  end
end

local function trimFinished(q)
  redis.call('ZREMRANGEBYSCORE', qk('qd', q), '-inf', now - retention)
  redis.call('ZREMRANGEBYSCORE', qk('qf', q), '-inf', now - retention)
end

-- Puts job id on its queue's stream; returns the entry id for the job's 'e'.
local function push(q, id)
  local s = qk('qs', q)
  ensureGroup(s)
  local e = redis.call('XADD', s, '*', 'j', id)
  redis.call('HINCRBY', qk('qm', q), 'q', 1)
  redis.call('PUBLISH', qk('qn', q), q)
  return e
end

-- Queues job id again, with further fields of the same transition (field, value, ...).
local function ready(q, id, j, hv, ...)
  local e = push(q, id)
  set(j, hv, 's', 'queued', 'e', e, 'n', 0, 'u', now, ...)
end

-- A finished job (succeeded or dead) goes into its finished set and expires after the retention.
-- The sets are trimmed of jobs older than the retention every 64th finish (and before counts and the dead
-- list are read), not at every one: two commands a job saved, a few dozen stale members at most.
local function finish(q, j, id, which)
  -- Jobs finishing in the same millisecond keep their order (the dead list is newest first): a per-queue
  -- sequence adds thousandths to the time, which a double holds exactly enough at epoch milliseconds.
  local seq = redis.call('HINCRBY', qk('qm', q), 'fs', 1)
  redis.call('ZADD', qk(which, q), now + (seq % 1000) / 1000, id)
  redis.call('PEXPIRE', j, retention)
  if seq % 64 == 0 then
    trimFinished(q)
  end
end

-- A job that dies, with further fields of the same transition (field, value, ...).
local function kill(q, j, id, hv, err, ...)
  set(j, hv, 's', 'dead', 'er', err, 'l', '', 'lu', 0, 'n', 0, 'u', now, ...)
  finish(q, j, id, 'qd')
end

local function unpend(q, e)
  local s = qk('qs', q)
  redis.call('XACK', s, 'w', e)
  redis.call('XDEL', s, e)
end

if op == 'enqueue' then
  -- One or more jobs of one queue's hash tag, stored in order as separate enqueues would be (a key seen
  -- earlier in the same call is a duplicate, as it would be in a later call). Each job is 11 arguments
  -- from ARGV[4]: queue, type, data, its idempotency key's name ('' without a key), delay ms, max
  -- attempts, timeout ms (0: none), owner, new job id, traceparent or '', '1' when the queue is quiet.
  -- KEYS[1] the first job's hash (for routing). The answer: the time stored, then per job {0, id} when
  -- stored (its hash is what the request says, which the caller has) or {1, id, hash} for a duplicate.
  -- A queue's stream is checked and its count raised once per call. Its channel gets a notice per job,
  -- as from separate enqueues: each notice wakes one waiting lease on each node, so k jobs wake k leases
  -- at once (one notice would wake one, which would wake the next only once it had its jobs).
  local out, added, order = {}, {}, {}
  local function queueNew(q, id)
    local s = qk('qs', q)
    if not added[q] then
      ensureGroup(s)
      added[q] = 0
      order[#order + 1] = q
    end
    added[q] = added[q] + 1
    return redis.call('XADD', s, '*', 'j', id)
  end
  for i = 4, #ARGV - 1, 11 do
    local q, key, id = ARGV[i], ARGV[i + 3], ARGV[i + 8]
    local seen = nil
    if key ~= '' then
      seen = redis.call('GET', key)
    end
    local h = nil
    if seen then
      h = redis.call('HGETALL', jk(seen))
      if #h == 0 then h = nil end
    end
    local j = jk(id)
    if not h and redis.call('EXISTS', j) == 1 then
      seen, h = id, redis.call('HGETALL', j) -- the same request again
    end
    if h then
      out[#out + 1] = {1, seen, h}
    else
      local kv = {'q', q, 't', ARGV[i + 1], 'd', ARGV[i + 2], 'a', 0, 'ma', ARGV[i + 5], 'to', ARGV[i + 6],
        'o', ARGV[i + 7], 'c', now, 'u', now, 'p', 0}
      local delay = tonumber(ARGV[i + 4])
      if delay > 0 then
        append(kv, 's', 'delayed', 'n', now + delay)
        redis.call('ZADD', qk('qz', q), now + delay, id)
        redis.call('HINCRBY', qk('qm', q), 'd', 1)
      else
        append(kv, 's', 'queued', 'e', queueNew(q, id), 'n', 0)
      end
      if ARGV[i + 9] ~= '' then
        append(kv, 'tp', ARGV[i + 9])
      end
      if ARGV[i + 10] == '1' then
        append(kv, 'qt', '1')
      end
      local hv = {}
      set(j, hv, unpack(kv))
      if key ~= '' then
        redis.call('SET', key, id, 'PX', retention)
      end
      herald_announce('job.queued', id, hv, now)
      out[#out + 1] = {0, id}
    end
  end
  for _, q in ipairs(order) do
    redis.call('HINCRBY', qk('qm', q), 'q', added[q])
    for _ = 1, added[q] do
      redis.call('PUBLISH', qk('qn', q), q)
    end
  end
  return herald_report({now, out})
end

if op == 'lease' then
  -- KEYS[1] the stream; ARGV[4] queue, [5] max, [6] visibility ms, [7..] one new lease token per job
  local q = ARGV[4]
  local max = tonumber(ARGV[5])
  local vis = tonumber(ARGV[6])
  local s, z, m = qk('qs', q), qk('qz', q), qk('qm', q)
  ensureGroup(s)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 100)) do
    redis.call('ZREM', z, id)
    local j = jk(id)
    local st = redis.call('HGET', j, 's')
    if st == 'delayed' then
      redis.call('HINCRBY', m, 'd', -1)
      ready(q, id, j, {})
    elseif st == 'failed' then
      redis.call('HINCRBY', m, 'f', -1)
      ready(q, id, j, {})
    end
  end
  local leased, expired = {}, {}
  local redelivered = 0
  local token = 7
  -- Leases job id (its hash j as the table hv, its stream entry e), with further fields (field, value, ...).
  local function grant(id, j, e, hv, ...)
    local to = tonumber(hv.to or '0')
    local v = vis
    if to > 0 then v = to end
    if v > MAXVIS then v = MAXVIS end
    local lease = ARGV[token]
    token = token + 1
    redis.call('XCLAIM', s, 'w', 'c', 0, e, 'IDLE', MAXVIS - v, 'JUSTID')
    -- each attempt reports its own progress
    set(j, hv, 'a', tonumber(hv.a or '0') + 1, 's', 'active', 'l', lease, 'lu', now + v, 'v', v, 'u', now,
      'sa', now, 'p', 0, 'pm', '', 'pd', '', ...)
    herald_announce('job.active', id, hv, now)
    leased[#leased + 1] = {id, lease, now + v, flat(hv)}
  end
  -- Expired leases first. Redis 7 answers {cursor, entries, deleted ids} and has already dropped deleted
  -- entries (XDEL, trimming) from the pending list. Redis 6.2 answers {cursor, entries}, lists a deleted
  -- entry as nil (without its id) and keeps it pending: the range it scanned is searched for pending
  -- entries that no longer exist, which are acknowledged so that they stop coming back.
  local from = redis.call('HGET', m, 'ac') or '0-0'
  local claimed = redis.call('XAUTOCLAIM', s, 'w', 'c', MAXVIS, from, 'COUNT', max)
  redis.call('HSET', m, 'ac', claimed[1])
  local deleted = false
  for _, entry in ipairs(claimed[2]) do
    if not entry or not entry[2] then
      deleted = true
    else
      local e = entry[1]
      local id = entry[2][2]
      local j = jk(id)
      local hv = fields(redis.call('HGETALL', j))
      if hv.s ~= 'active' or hv.e ~= e then
        unpend(q, e)
      elseif tonumber(hv.a) >= tonumber(hv.ma) then
        unpend(q, e)
        kill(q, j, id, hv, 'lease expired')
        herald_announce('job.dead', id, hv, now)
        expired[#expired + 1] = {id, flat(hv)}
      else
        grant(id, j, e, hv, 'er', 'lease expired')
        redelivered = redelivered + 1
      end
    end
  end
  if deleted then
    local to = '+'
    if claimed[1] ~= '0-0' then to = '(' .. claimed[1] end
    for _, p in ipairs(redis.call('XPENDING', s, 'w', from, to, 1000)) do
      if #redis.call('XRANGE', s, p[1], p[1]) == 0 then
        redis.call('XACK', s, 'w', p[1])
      end
    end
  end
  if #leased < max then
    local read = redis.call('XREADGROUP', 'GROUP', 'w', 'c', 'COUNT', max - #leased, 'STREAMS', s, '>')
    if read then
      local entries = read[1][2]
      redis.call('HINCRBY', m, 'q', -#entries)
      for _, entry in ipairs(entries) do
        local e = entry[1]
        local id = entry[2][2]
        local j = jk(id)
        local hv = fields(redis.call('HGETALL', j))
        if hv.s == 'queued' and hv.e == e then
          grant(id, j, e, hv)
        else
          unpend(q, e) -- a job forgotten or moved on since it was queued
        end
      end
    end
  end
  local nextDue = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  return herald_report({leased, expired, redelivered, tonumber(nextDue[2] or '0')})
end

if op == 'status' then
  return redis.call('HGETALL', KEYS[1])
end

if op == 'dead' then
  -- KEYS[1] the dead set; ARGV[4] queue, [5] limit
  local q = ARGV[4]
  trimFinished(q)
  local out = {}
  for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[5]) - 1)) do
    local h = redis.call('HGETALL', jk(id))
    if #h > 0 then
      out[#out + 1] = {id, h}
    end
  end
  return out
end

if op == 'counts' then
  -- KEYS[1] the stream; ARGV[4] queue
  local q = ARGV[4]
  trimFinished(q)
  local s = KEYS[1]
  local meta = redis.call('HMGET', qk('qm', q), 'q', 'd', 'f')
  local active, oldest = 0, 0
  if redis.call('EXISTS', s) == 1 then
    active = redis.call('XPENDING', s, 'w')[1]
    for _, group in ipairs(redis.call('XINFO', 'GROUPS', s)) do
      local g = {}
      for i = 1, #group, 2 do g[group[i]] = group[i + 1] end
      if g['name'] == 'w' then
        local first = redis.call('XRANGE', s, '(' .. g['last-delivered-id'], '+', 'COUNT', 1)
        if #first > 0 then
          oldest = now - tonumber(string.match(first[1][1], '^(%d+)'))
        end
      end
    end
  end
  return {tonumber(meta[1] or '0'), tonumber(meta[2] or '0'), active, redis.call('ZCARD', qk('qf', q)),
    tonumber(meta[3] or '0'), redis.call('ZCARD', qk('qd', q)), oldest}
end

-- The ops below act on one job: onJob(j, id, op, a) with j its hash, a the op's arguments (ARGV[5] on, for
-- a single op); its answer: {'missing'}, or the outcome and the job's hash after it.
local function onJob(j, id, op, a)
  local hv = fields(redis.call('HGETALL', j))
  if not hv.s then
    return {'missing'}
  end
  local q = hv.q

  local function refused(outcome)
    return {outcome, flat(hv)}
  end

  -- The transition applied: its event, then the answer.
  local function applied(etype)
    herald_announce(etype, id, hv, now)
    return {'ok', flat(hv)}
  end

  if op == 'retry' then
    if hv.s ~= 'dead' then
      return refused('conflict')
    end
    redis.call('ZREM', qk('qd', q), id)
    redis.call('PERSIST', j)
    ready(q, id, j, hv, 'a', 0)
    return applied('job.queued')
  end

  -- progress, release, ack, nack: a[1] the lease
  local lease = a[1]
  if hv.s ~= 'active' or hv.l ~= lease then
    if (op == 'ack' or op == 'nack') and hv.sl == lease and hv.so == op then
      return refused('repeat')
    end
    return refused('conflict')
  end

  if op == 'progress' then
    -- a[2] progress, [3] message, [4] data ('' for none)
    local v = tonumber(hv.v)
    redis.call('XCLAIM', qk('qs', q), 'w', 'c', 0, hv.e, 'IDLE', MAXVIS - v, 'JUSTID')
    set(j, hv, 'p', a[2], 'pm', a[3], 'pd', a[4], 'lu', now + v, 'u', now)
    return applied('job.progress')
  end

  unpend(q, hv.e)
  -- the lease that settled it and how, in the same HSET as the rest of the transition
  local settled = {'sl', lease, 'so', op, 'l', '', 'lu', 0}
  if op == 'release' then
    -- given back unworked: the attempt it was leased for does not count
    ready(q, id, j, hv, 'a', tonumber(hv.a) - 1, unpack(settled))
    return applied('job.queued')
  end
  if op == 'ack' then
    -- a[2] result ('' for none)
    set(j, hv, 's', 'succeeded', 'r', a[2], 'p', 100, 'u', now, unpack(settled))
    finish(q, j, id, 'qf')
    return applied('job.succeeded')
  end

  -- nack: a[2] error, [3] '1' to retry, [4] delay ms (-1: backoff), [5] jitter in [0, 1),
  -- [6] backoff base ms, [7] backoff max ms
  local attempt, maxAttempts = tonumber(hv.a), tonumber(hv.ma)
  if a[3] ~= '1' or attempt >= maxAttempts then
    kill(q, j, id, hv, a[2], unpack(settled))
    return applied('job.dead')
  end
  local delay = tonumber(a[4])
  if delay < 0 then
    local b, cap = tonumber(a[6]), tonumber(a[7])
    local exp = cap
    if attempt < 40 then exp = math.min(cap, b * 2 ^ math.max(0, attempt - 1)) end
    delay = math.floor(exp / 2) + math.floor(exp / 2 * tonumber(a[5]))
  end
  set(j, hv, 's', 'failed', 'er', a[2], 'n', now + delay, 'u', now, unpack(settled))
  redis.call('ZADD', qk('qz', q), now + delay, id)
  redis.call('HINCRBY', qk('qm', q), 'f', 1)
  return applied('job.failed')
end

if op == 'acks' then
  -- Several acks of one queue's jobs (one hash tag) in one call, each as its own ack would be, in order:
  -- ARGV[4..] each ack's job id, lease and result ('' for none); KEYS[1] the first job's hash.
  local out = {}
  for i = 4, #ARGV - 1, 3 do
    out[#out + 1] = onJob(jk(ARGV[i]), ARGV[i], 'ack', {ARGV[i + 1], ARGV[i + 2]})
  end
  return herald_report(out)
end

-- KEYS[1] the job's hash, ARGV[4] its id
return herald_report(onJob(KEYS[1], ARGV[4], op, {unpack(ARGV, 5)}))
