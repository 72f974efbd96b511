-- Deletes a room completely and atomically: every document's chunks (found through each document's own
-- chunk count), the document hashes, the doc set, the meta hash and the room's entry in `rooms`.
-- KEYS: 1 room doc set, 2 room meta hash, 3 rooms sorted set
-- ARGV: 1 room key prefix ("room:{r}:"), 2 room id
-- Returns {keys deleted, chunks deleted, documents deleted}
local keys, chunks = 0, 0
local docs = redis.call('SMEMBERS', KEYS[1])
for _, doc in ipairs(docs) do
  local docKey = ARGV[1] .. 'doc:' .. doc
  local n = tonumber(redis.call('HGET', docKey, 'chunks') or '0')
  for i = 0, n - 1 do
    local d = redis.call('DEL', ARGV[1] .. 'chunk:' .. doc .. ':' .. i)
    keys = keys + d
    chunks = chunks + d
  end
  keys = keys + redis.call('DEL', docKey)
end
keys = keys + redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return {keys, chunks, #docs}
