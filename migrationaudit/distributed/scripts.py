"""The Lua scripts that change a job's keys in Redis atomically (see
:mod:`migrationaudit.distributed.store` for the keys). Each takes the job's key prefix as its
first argument; times are Redis's own (``TIME``)."""

# The Frontier's rule (spiders/frontier.py) in Lua: a URL is queued once, and a recorded URL
# reached at a lower depth passes the new depth on to its target.
_REACH = """
local function reach(P, url, depth, maxhops, front)
  local stack = {{url, depth}}
  local steps = 0
  while #stack > 0 and steps < 100000 do
    steps = steps + 1
    local item = table.remove(stack)
    local u, d = item[1], item[2]
    if d <= maxhops then
      local old = redis.call('HGET', P .. 'depth', u)
      if (not old) or tonumber(old) > d then
        redis.call('HSET', P .. 'depth', u, d)
        if not old then
          if front then
            redis.call('LPUSH', P .. 'frontier', u)
          else
            redis.call('RPUSH', P .. 'frontier', u)
          end
        else
          local t = redis.call('HGET', P .. 'onward', u)
          if t then table.insert(stack, {t, d + 1}) end
        end
      end
    end
  end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# KEYS: none (one job's prefix in ARGV[1]). ARGV: prefix, max_hops, then URLs (depth 0).
SEED = (
    _REACH
    + """
local P, maxhops = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do reach(P, ARGV[i], 0, maxhops, false) end
return redis.call('LLEN', P .. 'frontier')
"""
)

# ARGV: prefix, how many, visibility (ms). Returns URL, depth, URL, depth, ...
CLAIM = (
    _REACH
    + """
local P, n, vis = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local out = {}
local tries = 0
while #out < 2 * n and tries < 4 * n do
  tries = tries + 1
  local u = redis.call('LPOP', P .. 'frontier')
  if not u then break end
  if redis.call('SISMEMBER', P .. 'done', u) == 0 and not redis.call('ZSCORE', P .. 'lease', u) then
    redis.call('ZADD', P .. 'lease', now + vis, u)
    out[#out + 1] = u
    out[#out + 1] = redis.call('HGET', P .. 'depth', u) or '0'
  end
end
return out
"""
)

# ARGV: prefix, URL, hop record (JSON), redirect target or '', max_hops. 1: accepted; 0: the
# URL was recorded already (a lease that expired and was fetched again elsewhere).
RECORD = (
    _REACH
    + """
local P, url, rec, target, maxhops = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
redis.call('ZREM', P .. 'lease', url)
if redis.call('SADD', P .. 'done', url) == 0 then return 0 end
redis.call('XADD', P .. 'hops', '*', 'h', rec)
if target ~= '' then
  redis.call('HSET', P .. 'onward', url, target)
  local d = tonumber(redis.call('HGET', P .. 'depth', url) or '0')
  reach(P, target, d + 1, maxhops, true)
end
return 1
"""
)

# ARGV: prefix, visibility (ms), URLs still held. Extends their leases (only if still leased).
RENEW = (
    _REACH
    + """
local P, vis = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
for i = 3, #ARGV do redis.call('ZADD', P .. 'lease', 'XX', now + vis, ARGV[i]) end
return 1
"""
)

# ARGV: prefix. Leases past their expiry go back to the front of the frontier.
RECLAIM = (
    _REACH
    + """
local P = ARGV[1]
local expired = redis.call('ZRANGEBYSCORE', P .. 'lease', '-inf', now_ms(), 'LIMIT', 0, 1000)
for _, u in ipairs(expired) do
  redis.call('ZREM', P .. 'lease', u)
  if redis.call('SISMEMBER', P .. 'done', u) == 0 then redis.call('LPUSH', P .. 'frontier', u) end
end
return #expired
"""
)

# ARGV: prefix, host, token, concurrency, per-host concurrency, delay (ms), hold (ms).
# 0: go (a slot of each kind is held); > 0: wait that many ms (the host's next start);
# -1: every slot is taken (look again soon).
ACQUIRE = (
    _REACH
    + """
local P, host, token = ARGV[1], ARGV[2], ARGV[3]
local conc, perhost = tonumber(ARGV[4]), tonumber(ARGV[5])
local delay, hold = tonumber(ARGV[6]), tonumber(ARGV[7])
local now = now_ms()
local hk = P .. 'host:' .. host
local nb = tonumber(redis.call('HGET', P .. 'next', host) or '0')
if nb > now then return nb - now end
-- Slots past their hold time (a dead worker's) are dropped only when a set looks full.
local function full(key, limit)
  if redis.call('ZCARD', key) < limit then return false end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key) >= limit
end
if full(P .. 'slots', conc) or full(hk, perhost) then return -1 end
redis.call('ZADD', P .. 'slots', now + hold, token)
redis.call('ZADD', hk, now + hold, token)
redis.call('PEXPIRE', hk, 2 * hold + 60000)
if delay > 0 then redis.call('HSET', P .. 'next', host, now + delay) end
return 0
"""
)

# ARGV: prefix, host, token, delay (ms). With a delay, the host's next request waits that long
# after this answer too (the next one cannot reach the host sooner than --delay after it).
RELEASE = (
    _REACH
    + """
local P, host, token, delay = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZREM', P .. 'slots', token)
redis.call('ZREM', P .. 'host:' .. host, token)
if delay > 0 then
  local until_ms = now_ms() + delay
  local nb = tonumber(redis.call('HGET', P .. 'next', host) or '0')
  if until_ms > nb then redis.call('HSET', P .. 'next', host, until_ms) end
end
return 1
"""
)

# ARGV: prefix, host, pause (ms): no request to host starts before now + pause.
PAUSE = (
    _REACH
    + """
local P, host, pause = ARGV[1], ARGV[2], tonumber(ARGV[3])
local until_ms = now_ms() + pause
local nb = tonumber(redis.call('HGET', P .. 'next', host) or '0')
if until_ms > nb then redis.call('HSET', P .. 'next', host, until_ms) end
return 1
"""
)

# ARGV: prefix, URL, max pages, take (1/0). --crawl --max-pages across workers: whether the
# links of URL's page may be collected (1: it holds a place already, or fewer than max pages
# do), and with take (a healthy new-site page, as the local crawl counts it) it takes one.
LINK_PAGE = (
    _REACH
    + """
local P, url, most, take = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
if redis.call('SISMEMBER', P .. 'links', url) == 1 then return 1 end
if redis.call('SCARD', P .. 'links') >= most then return 0 end
if take then redis.call('SADD', P .. 'links', url) end
return 1
"""
)
