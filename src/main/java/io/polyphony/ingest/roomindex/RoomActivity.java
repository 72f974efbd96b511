package io.polyphony.ingest.roomindex;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * When each room was last active, in a way that works on a Redis Cluster and survives a crash between two
 * commands. The truth is the room's own meta hash ({@code last_active}, written in the same script as the
 * room's data, or by the rooms' app's touch): one key in the room's slot. The {@code rooms} sorted set is a
 * registry over all rooms, kept for ordering (least recently active first) and updated by a separate
 * command after each write ({@code ZADD GT}) and delete ({@code ZREM}); a room's activity is the later of
 * the two. A crash between the script and the registry command leaves the registry short or stale, never
 * the rooms: {@link #reconcile()} rebuilds it from the meta hashes of every master ({@code SCAN}), and
 * readers treat a member without a room as absent.
 */
public final class RoomActivity {

    private static final Logger log = LoggerFactory.getLogger(RoomActivity.class);

    /** What a reconciliation changed in the registry. */
    public record Reconciled(int rooms, int added, int removed) {
    }

    private final UnifiedJedis redis;
    private final RedisTopology topology;

    public RoomActivity(RedisTopology topology) {
        this.redis = topology.client();
        this.topology = topology;
    }

    /**
     * Records activity in the registry; an older time never overwrites a newer one. Best effort: a Redis at its
     * {@code maxmemory} refuses the command, or the registry's master is down for a moment (its room was written
     * already); the registry is caught up by {@link #reconcile()} later.
     */
    public void active(String room, long millis) {
        try {
            redis.zadd(RoomKeys.ROOMS, millis, room, ZAddParams.zAddParams().gt());
        } catch (JedisException e) {
            lagging(room, e);
        }
    }

    /** Removes a room from the registry; best effort, like {@link #active}: readers skip members without a room. */
    public void forget(String room) {
        try {
            redis.zrem(RoomKeys.ROOMS, room);
        } catch (JedisException e) {
            lagging(room, e);
        }
    }

    /** A registry command that Redis refused for want of memory, or that could not reach the registry's master. */
    private static void lagging(String room, JedisException e) {
        if (!String.valueOf(e.getMessage()).startsWith("OOM") && !Retrying.unavailable(e)) {
            throw e;
        }
        log.warn("room registry not updated for {} ({}); it is reconciled from the rooms' meta hashes later", room,
                e.getMessage());
    }

    /** The later of the meta hash's {@code last_active} and the registry's score; empty when there is no room. */
    public Optional<Long> lastActive(String room) {
        List<String> meta = redis.hmget(RoomKeys.meta(room), "dims", "last_active");
        if (meta.get(0) == null) {
            return Optional.empty();
        }
        Double score = redis.zscore(RoomKeys.ROOMS, room);
        long fromMeta = meta.get(1) == null ? 0 : Long.parseLong(meta.get(1));
        return Optional.of(Math.max(fromMeta, score == null ? 0 : score.longValue()));
    }

    /** The registry, least recently active first (scores may lag the meta hashes; see {@link #lastActive}). */
    public List<Tuple> leastRecentFirst() {
        return redis.zrangeWithScores(RoomKeys.ROOMS, 0, -1);
    }

    public List<String> mostRecentFirst(int max) {
        return redis.zrevrange(RoomKeys.ROOMS, 0, max - 1);
    }

    public long count() {
        return redis.zcard(RoomKeys.ROOMS);
    }

    /**
     * Makes the registry agree with the rooms: every room whose meta hash exists on any master is in it with
     * at least its {@code last_active}, and members without a room are removed.
     */
    public Reconciled reconcile() {
        int rooms = 0;
        int added = 0;
        for (RedisTopology.Shard shard : topology.shards()) {
            ScanParams match = new ScanParams().match("room:{*}:meta").count(1000);
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = shard.node().scan(cursor, match);
                cursor = page.getCursor();
                List<String> ids = new ArrayList<>();
                for (String key : page.getResult()) {
                    String id = key.substring("room:{".length(), key.length() - "}:meta".length());
                    if (RoomKeys.isValidRoom(id)) {
                        ids.add(id);
                    }
                }
                for (String id : ids) {
                    Optional<Long> last = lastActive(id);
                    if (last.isPresent()) {
                        rooms++;
                        Double score = redis.zscore(RoomKeys.ROOMS, id);
                        if (score == null) {
                            added++;
                        }
                        if (score == null || score < last.get()) {
                            active(id, last.get());
                        }
                    }
                }
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        int removed = 0;
        for (String m : redis.zrange(RoomKeys.ROOMS, 0, -1)) {
            if (!RoomKeys.isValidRoom(m) || !redis.hexists(RoomKeys.meta(m), "dims")) {
                forget(m);
                removed++;
            }
        }
        return new Reconciled(rooms, added, removed);
    }
}
