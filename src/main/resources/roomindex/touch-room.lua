-- Marks a room active: sets `last_active` in its meta hash, only if the room exists (a meta hash with `dims`),
-- so touching a deleted or evicted room never leaves a stray key behind. One key, the room's own slot: the
-- same on a standalone Redis and on a cluster. This is the command the rooms' app sends (README).
-- KEYS: 1 room meta hash   ARGV: 1 now (epoch ms)
-- Returns 1 when the room exists, 0 when it does not
if redis.call('HEXISTS', KEYS[1], 'dims') == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'last_active', ARGV[1])
return 1
