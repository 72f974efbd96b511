package io.polyphony.ingest.budget;

import io.polyphony.ingest.roomindex.RoomKeys;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import redis.clients.jedis.UnifiedJedis;

/**
 * Redis memory as an operator plans with it: what is used, the limit, the rooms held, and how many more
 * rooms of the current average size fit. The average is measured ({@code MEMORY USAGE} of the keys of
 * the most recently active rooms, see {@link RoomFootprint}), not a constant.
 *
 * @param usedBytes      {@code used_memory}
 * @param maxBytes       {@code maxmemory}, or the machine's memory ({@code total_system_memory}) when it is 0
 * @param maxFromConfig  true when {@code maxBytes} is Redis's {@code maxmemory}
 * @param rooms          rooms held (members of {@code rooms})
 * @param measured       the rooms measured for the average
 */
public record RedisMemory(long usedBytes, long maxBytes, boolean maxFromConfig, long rooms, RoomFootprint measured) {

    /** Rooms whose keys are measured for the average room size. */
    public static final int ROOMS_MEASURED = 5;

    /** Utilisation at or above which the health status degrades. */
    public static final double DEGRADED_AT = 0.90;

    /** {@code INFO memory} in numbers: cheap enough to ask before every document. */
    public record Info(long usedBytes, long maxmemory, long systemMemory, String policy, long buffers) {

        public static Info read(UnifiedJedis redis) {
            Map<String, String> info = parse(redis.info("memory"));
            return new Info(number(info, "used_memory"), number(info, "maxmemory"), number(info, "total_system_memory"),
                    info.getOrDefault("maxmemory_policy", ""),
                    number(info, "mem_clients_normal") + number(info, "mem_aof_buffer"));
        }

        /** Used memory without client query/output buffers and the AOF buffer, which come and go with traffic. */
        public long storedBytes() {
            return usedBytes - buffers;
        }
    }

    public static RedisMemory read(UnifiedJedis redis) {
        Map<String, String> info = parse(redis.info("memory"));
        long max = number(info, "maxmemory");
        boolean configured = max > 0;
        if (!configured) {
            max = number(info, "total_system_memory");
        }
        return new RedisMemory(number(info, "used_memory"), max, configured, redis.zcard(RoomKeys.ROOMS),
                RoomFootprint.measure(redis, ROOMS_MEASURED));
    }

    static Map<String, String> parse(String info) {
        Map<String, String> out = new HashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return out;
    }

    private static long number(Map<String, String> info, String key) {
        String v = info.get(key);
        return v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }

    public double utilisation() {
        return maxBytes <= 0 ? 0 : (double) usedBytes / maxBytes;
    }

    public boolean degraded() {
        return utilisation() >= DEGRADED_AT;
    }

    /** Measured average bytes of a room held now; empty while there are no rooms to measure. */
    public OptionalLong bytesPerRoom() {
        return measured.rooms() == 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(1, measured.bytesPerRoom()));
    }
}
