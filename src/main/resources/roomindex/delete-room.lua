-- Deletes a room completely and atomically: every document's chunks, the document hashes, the doc set, the
-- meta hash and the vector set. Every key it touches is in KEYS, all in the room's slot. The caller read
-- the room first; a meta `version` that moved since then means that reading is stale: {-3} asks for a retry.
-- (The room's entry in the `rooms` registry is removed by the caller after this script; see RoomActivity.)
-- KEYS: 1 room doc set, 2 room meta hash, 3 room vector set, then per document: its hash and its chunk keys
-- ARGV: 1 room version read, 2 documents d, then per document its chunk count
-- Returns {keys deleted, chunks deleted, documents deleted}, or {-3}
if (redis.call('HGET', KEYS[2], 'version') or '0') ~= ARGV[1] then
  return {-3}
end
local keys, chunks = 0, 0
local k = 4
for j = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[2 + j])
  keys = keys + redis.call('DEL', KEYS[k])
  for i = 1, n do
    local d = redis.call('DEL', KEYS[k + i])
    keys = keys + d
    chunks = chunks + d
  end
  k = k + 1 + n
end
keys = keys + redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {keys, chunks, tonumber(ARGV[2])}
