package io.polyphony.ingest.budget;

import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * What rooms really take in Redis, from {@code MEMORY USAGE} of their keys (exact for hashes of this
 * size: {@code SAMPLES 0}), the vector set included in that layout. Measures a few recently active rooms,
 * not the whole keyspace.
 *
 * @param rooms  rooms measured
 * @param chunks chunks in them
 * @param bytes  bytes of every key of those rooms (chunks, documents, doc set, meta, vector set)
 */
public record RoomFootprint(int rooms, long chunks, long bytes) {

    public static RoomFootprint measure(RoomIndex index, int maxRooms) {
        return measure(index.topology().client(), index.activity().mostRecentFirst(maxRooms));
    }

    /** One room's keys. */
    public static RoomFootprint measureRoom(UnifiedJedis redis, String room) {
        return measure(redis, List.of(room));
    }

    private static RoomFootprint measure(UnifiedJedis redis, List<String> ids) {
        int rooms = 0;
        long chunks = 0;
        long bytes = 0;
        for (String room : ids) {
            if (!RoomKeys.isValidRoom(room)) {
                continue;
            }
            List<String> keys = new ArrayList<>(List.of(RoomKeys.meta(room), RoomKeys.docs(room), RoomKeys.vectors(room)));
            for (String doc : redis.smembers(RoomKeys.docs(room))) {
                keys.add(RoomKeys.doc(room, doc));
                Map<String, String> d = redis.hgetAll(RoomKeys.doc(room, doc));
                int n = d.get("chunks") == null ? 0 : Integer.parseInt(d.get("chunks"));
                for (int i = 0; i < n; i++) {
                    keys.add(RoomKeys.chunk(room, doc, i));
                }
                chunks += n;
            }
            bytes += usage(redis, keys);
            rooms++;
        }
        return new RoomFootprint(rooms, chunks, bytes);
    }

    /** {@code MEMORY USAGE} of the keys, summed; a key that does not exist counts 0. */
    public static long usage(UnifiedJedis redis, List<String> keys) {
        List<Response<Long>> sizes = new ArrayList<>(keys.size());
        try (AbstractPipeline p = redis.pipelined()) {
            for (String k : keys) {
                sizes.add(p.memoryUsage(k, 0));
            }
            p.sync();
        }
        long total = 0;
        for (Response<Long> r : sizes) {
            Long v = r.get();
            total += v == null ? 0 : v;
        }
        return total;
    }

    public long bytesPerRoom() {
        return rooms == 0 ? 0 : bytes / rooms;
    }

    public long bytesPerChunk() {
        return chunks == 0 ? 0 : bytes / chunks;
    }
}
