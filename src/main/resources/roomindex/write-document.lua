-- Writes one document of a room atomically: its old chunks go, its new chunks, its hash, the room's
-- doc set, counters and activity are set, all in one step, so readers never see half a document.
-- KEYS: 1 doc hash, 2 room doc set, 3 room meta hash, 4 rooms sorted set
-- ARGV: 1 chunk key prefix of this doc ("room:{r}:chunk:<docId>:"), 2 sha256, 3 model, 4 dims,
--       5 now (ms), 6 room id, 7 doc id, 8 file, 9 bytes, 10 total chunks, 11 sampled (0/1),
--       12 n = chunks written, 13 run (the ingest run that wrote it, so a restarted run can tell its own
--       earlier writes from older ones), then per chunk i (0-based): 14+2i content, 15+2i embedding
local metaModel = redis.call('HGET', KEYS[3], 'model')
if metaModel and (metaModel ~= ARGV[3] or redis.call('HGET', KEYS[3], 'dims') ~= ARGV[4]) then
  return redis.error_reply('MODEL_MISMATCH ' .. metaModel .. ' ' .. tostring(redis.call('HGET', KEYS[3], 'dims')))
end
local existed = redis.call('EXISTS', KEYS[1])
local old = tonumber(redis.call('HGET', KEYS[1], 'chunks') or '0')
if existed == 1 and redis.call('HGET', KEYS[1], 'sha256') == ARGV[2] and redis.call('HGET', KEYS[1], 'model') == ARGV[3] then
  return {0, old, old}
end
-- the old chunks are found through the document's own count, never through a search
for i = 0, old - 1 do
  redis.call('DEL', ARGV[1] .. i)
end
local n = tonumber(ARGV[12])
for i = 0, n - 1 do
  redis.call('HSET', ARGV[1] .. i, 'content', ARGV[14 + 2 * i], 'embedding', ARGV[15 + 2 * i],
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
return {1, old, n}
