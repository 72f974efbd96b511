-- Writes one document of a room atomically: its old chunks go, its new chunks, its hash, the room's
-- doc set, counters and activity are set, all in one step, so readers never see half a document.
-- KEYS: 1 doc hash, 2 room doc set, 3 room meta hash, 4 rooms sorted set
-- ARGV: 1 chunk key prefix of this doc ("room:{r}:chunk:<docId>:"), 2 sha256, 3 model, 4 dims,
--       5 now (ms), 6 room id, 7 doc id, 8 file, 9 bytes, 10 total chunks, 11 sampled (0/1),
--       12 n = chunks written, 13 run (the ingest run that wrote it, so a restarted run can tell its own
--       earlier writes from older ones), 14 the room's chunk budget (0: none), 15 what to do over it
--       ("reject" or "evict-oldest"), then per chunk i (0-based): 16+2i content, 17+2i embedding
-- Returns {1, old, n, evicted doc ids...} when written, {0, old, old} when unchanged,
--         {-1, room chunks now, room chunks after} when the room's budget refuses it (nothing written)
local metaModel = redis.call('HGET', KEYS[3], 'model')
if metaModel and (metaModel ~= ARGV[3] or redis.call('HGET', KEYS[3], 'dims') ~= ARGV[4]) then
  return redis.error_reply('MODEL_MISMATCH ' .. metaModel .. ' ' .. tostring(redis.call('HGET', KEYS[3], 'dims')))
end
local existed = redis.call('EXISTS', KEYS[1])
local old = tonumber(redis.call('HGET', KEYS[1], 'chunks') or '0')
if existed == 1 and redis.call('HGET', KEYS[1], 'sha256') == ARGV[2] and redis.call('HGET', KEYS[1], 'model') == ARGV[3] then
  return {0, old, old}
end
local n = tonumber(ARGV[12])
local budget = tonumber(ARGV[14])
local evicted = {}
if budget > 0 then
  local roomChunks = tonumber(redis.call('HGET', KEYS[3], 'chunks') or '0')
  local after = roomChunks - old + n
  if after > budget then
    if ARGV[15] ~= 'evict-oldest' or n > budget then
      return {-1, roomChunks, after}
    end
    -- the room's other documents, oldest first, go until the new one fits
    local others = {}
    for _, d in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      if d ~= ARGV[7] then
        local key = 'room:{' .. ARGV[6] .. '}:doc:' .. d
        table.insert(others, {d, tonumber(redis.call('HGET', key, 'ingested_at') or '0'),
          tonumber(redis.call('HGET', key, 'chunks') or '0')})
      end
    end
    table.sort(others, function(a, b) if a[2] == b[2] then return a[1] < b[1] end return a[2] < b[2] end)
    for _, o in ipairs(others) do
      if after <= budget then break end
      for i = 0, o[3] - 1 do
        redis.call('DEL', 'room:{' .. ARGV[6] .. '}:chunk:' .. o[1] .. ':' .. i)
      end
      redis.call('DEL', 'room:{' .. ARGV[6] .. '}:doc:' .. o[1])
      redis.call('SREM', KEYS[2], o[1])
      redis.call('HINCRBY', KEYS[3], 'chunks', -o[3])
      redis.call('HINCRBY', KEYS[3], 'docs', -1)
      after = after - o[3]
      table.insert(evicted, o[1])
    end
  end
end
-- the old chunks are found through the document's own count, never through a search
for i = 0, old - 1 do
  redis.call('DEL', ARGV[1] .. i)
end
for i = 0, n - 1 do
  redis.call('HSET', ARGV[1] .. i, 'content', ARGV[16 + 2 * i], 'embedding', ARGV[17 + 2 * i],
    'doc', ARGV[7], 'file', ARGV[8], 'ord', tostring(i))
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'file', ARGV[8], 'sha256', ARGV[2], 'bytes', ARGV[9], 'chunks', tostring(n),
  'total_chunks', ARGV[10], 'sampled', ARGV[11], 'model', ARGV[3], 'ingested_at', ARGV[5], 'run', ARGV[13])
redis.call('SADD', KEYS[2], ARGV[7])
redis.call('HSET', KEYS[3], 'model', ARGV[3], 'dims', ARGV[4], 'last_active', ARGV[5])
redis.call('HINCRBY', KEYS[3], 'chunks', n - old)
if existed == 0 then
  redis.call('HINCRBY', KEYS[3], 'docs', 1)
end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
local out = {1, old, n}
for _, d in ipairs(evicted) do
  table.insert(out, d)
end
return out
