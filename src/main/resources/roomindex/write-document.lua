-- Writes one document of a room atomically: its old chunks go, its new chunks, its hash, the room's doc set
-- and counters are set (and, in the vectorset layout, its vectors replaced in the room's vector set), all in
-- one step, so readers never see half a document. Every key it touches is in KEYS, all in the room's slot.
-- The caller read the room first (meta `version`, this document's chunk count, the documents to evict); a
-- `version` that moved since then means that reading is stale: nothing is written and {-3} asks for a retry.
-- KEYS: 1 doc hash, 2 room doc set, 3 room meta hash, 4 room vector set,
--       then the doc's `old` chunk keys, then its `n` new chunk keys,
--       then per evicted document: its doc hash and its chunk keys
-- ARGV: 1 room version read, 2 sha256, 3 model, 4 dims, 5 now (ms), 6 doc id, 7 file, 8 bytes, 9 total chunks,
--       10 sampled (0/1), 11 run, 12 layout (scan | search | vectorset), 13 quantization (vectorset: Q8 | NOQUANT |
--       BIN), 14 M (vectorset: links per node), 15 old, 16 n, 17 evicted documents e, then per evicted document:
--       its id and chunk count,
--       then per new chunk i (0-based): content, embedding (FLOAT32 little-endian)
-- Returns {1, old, n} when written, {0, old, old} when unchanged, {-3} when the room changed since it was read
local metaModel = redis.call('HGET', KEYS[3], 'model')
if metaModel and (metaModel ~= ARGV[3] or redis.call('HGET', KEYS[3], 'dims') ~= ARGV[4]) then
  return redis.error_reply('MODEL_MISMATCH ' .. metaModel .. ' ' .. tostring(redis.call('HGET', KEYS[3], 'dims')))
end
local vectorset = ARGV[12] == 'vectorset'
local metaLayout = redis.call('HGET', KEYS[3], 'layout') or 'scan'
if metaModel and ((metaLayout == 'vectorset') ~= vectorset) then
  return redis.error_reply('LAYOUT_MISMATCH ' .. metaLayout)
end
local old = tonumber(ARGV[15])
if redis.call('HGET', KEYS[1], 'sha256') == ARGV[2] and redis.call('HGET', KEYS[1], 'model') == ARGV[3] then
  return {0, old, old}
end
if (redis.call('HGET', KEYS[3], 'version') or '0') ~= ARGV[1] then
  return {-3}
end
local existed = redis.call('EXISTS', KEYS[1])
local n = tonumber(ARGV[16])
local e = tonumber(ARGV[17])
local k = 5 + old + n
local a = 18
for _ = 1, e do
  local id, count = ARGV[a], tonumber(ARGV[a + 1])
  redis.call('DEL', KEYS[k])
  for i = 0, count - 1 do
    redis.call('DEL', KEYS[k + 1 + i])
    if vectorset then redis.call('VREM', KEYS[4], id .. ':' .. i) end
  end
  redis.call('SREM', KEYS[2], id)
  redis.call('HINCRBY', KEYS[3], 'chunks', -count)
  redis.call('HINCRBY', KEYS[3], 'docs', -1)
  k = k + 1 + count
  a = a + 2
end
for i = 0, old - 1 do
  redis.call('DEL', KEYS[5 + i])
  if vectorset then redis.call('VREM', KEYS[4], ARGV[6] .. ':' .. i) end
end
for i = 0, n - 1 do
  local content, embedding = ARGV[a + 2 * i], ARGV[a + 1 + 2 * i]
  if vectorset then
    redis.call('HSET', KEYS[5 + old + i], 'content', content, 'doc', ARGV[6], 'file', ARGV[7], 'ord', tostring(i))
    redis.call('VADD', KEYS[4], 'FP32', embedding, ARGV[6] .. ':' .. i, ARGV[13], 'M', ARGV[14],
      'SETATTR', '{"doc":"' .. ARGV[6] .. '","ord":' .. i .. '}')
  else
    redis.call('HSET', KEYS[5 + old + i], 'content', content, 'embedding', embedding, 'doc', ARGV[6], 'file', ARGV[7],
      'ord', tostring(i))
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'file', ARGV[7], 'sha256', ARGV[2], 'bytes', ARGV[8], 'chunks', tostring(n),
  'total_chunks', ARGV[9], 'sampled', ARGV[10], 'model', ARGV[3], 'ingested_at', ARGV[5], 'run', ARGV[11])
redis.call('SADD', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[3], 'model', ARGV[3], 'dims', ARGV[4], 'last_active', ARGV[5], 'layout', ARGV[12])
redis.call('HINCRBY', KEYS[3], 'chunks', n - old)
redis.call('HINCRBY', KEYS[3], 'version', 1)
if existed == 0 then
  redis.call('HINCRBY', KEYS[3], 'docs', 1)
end
return {1, old, n}
