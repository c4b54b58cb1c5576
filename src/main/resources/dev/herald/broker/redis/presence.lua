-- Herald presence: members of a topic (one per connection) and their users, with expiry.
-- KEYS[1] members hash (member -> "<expires at ms>|<user>"), KEYS[2] users hash (user -> members)
-- ARGV[1] op: join | refresh | leave | members, ARGV[2] channel, ARGV[3] PUBLISH or SPUBLISH,
-- ARGV[4] member ttl ms, then per op: join and refresh: member, user [, member, user ...]; leave: member.
-- refresh = join (extend this node's members) + sweep (remove every expired member, announcing leaves).
-- Join and leave notices go out on the topic's live channel as "~\n<type>\n<data>" (no event id:
-- presence is not history), after the change, so every node sees them in order with the events.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local op = ARGV[1]
local ttl = tonumber(ARGV[4])

local function announce(kind, user)
  redis.call(ARGV[3], ARGV[2], '~\n' .. kind .. '\n' .. cjson.encode({user = user}))
end

local function remove(member, value)
  redis.call('HDEL', KEYS[1], member)
  local user = string.sub(value, string.find(value, '|', 1, true) + 1)
  if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
    redis.call('HDEL', KEYS[2], user)
    announce('herald.leave', user)
  end
end

if op == 'join' or op == 'refresh' then
  for i = 5, #ARGV, 2 do
    local member, user = ARGV[i], ARGV[i + 1]
    local known = redis.call('HGET', KEYS[1], member)
    redis.call('HSET', KEYS[1], member, tostring(now + ttl) .. '|' .. user)
    if not known and redis.call('HINCRBY', KEYS[2], user, 1) == 1 then
      announce('herald.join', user)
    end
  end
  -- The hashes outlive their members a little; a topic nobody refreshes disappears by itself.
  if op == 'refresh' then
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      local value = all[i + 1]
      if tonumber(string.sub(value, 1, string.find(value, '|', 1, true) - 1)) < now then
        remove(all[i], value)
      end
    end
  end
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('PEXPIRE', KEYS[1], ttl * 3)
    redis.call('PEXPIRE', KEYS[2], ttl * 3)
  end
  return 0
elseif op == 'leave' then
  local value = redis.call('HGET', KEYS[1], ARGV[5])
  if value then
    remove(ARGV[5], value)
  end
  return 0
else -- members: the users of the members that have not expired
  local all = redis.call('HGETALL', KEYS[1])
  local users = {}
  for i = 1, #all, 2 do
    local value = all[i + 1]
    local bar = string.find(value, '|', 1, true)
    if tonumber(string.sub(value, 1, bar - 1)) >= now then
      users[#users + 1] = string.sub(value, bar + 1)
    end
  end
  return users
end
