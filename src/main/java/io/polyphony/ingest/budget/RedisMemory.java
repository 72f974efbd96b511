package io.polyphony.ingest.budget;

import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import redis.clients.jedis.UnifiedJedis;

/**
 * Redis memory as an operator plans with it, per shard (each master of a cluster; the one server otherwise)
 * and in total: what is used, the limit, the rooms held, and how many more rooms of the current average size
 * fit. The average is measured ({@code MEMORY USAGE} of the keys of the most recently active rooms, see
 * {@link RoomFootprint}), not a constant.
 *
 * @param shards   each master's memory
 * @param rooms    rooms held (members of the {@code rooms} registry)
 * @param measured the rooms measured for the average
 */
public record RedisMemory(List<ShardMemory> shards, long rooms, RoomFootprint measured) {

    /** Rooms whose keys are measured for the average room size. */
    public static final int ROOMS_MEASURED = 5;

    /** Utilisation at or above which the health status degrades. */
    public static final double DEGRADED_AT = 0.90;

    /**
     * @param usedBytes     {@code used_memory}
     * @param maxBytes      {@code maxmemory}, or the machine's memory ({@code total_system_memory}) when it is 0
     * @param maxFromConfig true when {@code maxBytes} is Redis's {@code maxmemory}
     * @param rooms         rooms whose keys this shard holds
     */
    public record ShardMemory(String shard, long usedBytes, long maxBytes, boolean maxFromConfig, long rooms) {

        public double utilisation() {
            return maxBytes <= 0 ? 0 : (double) usedBytes / maxBytes;
        }
    }

    /** {@code INFO memory} of one server in numbers: cheap enough to ask before every document. */
    public record Info(long usedBytes, long maxmemory, long systemMemory, String policy, long buffers, long startupBytes) {

        public static Info read(UnifiedJedis server) {
            RedisInfo info = RedisInfo.of(server, "memory");
            return new Info(info.number("used_memory"), info.number("maxmemory"), info.number("total_system_memory"),
                    info.text("maxmemory_policy", ""), info.number("mem_clients_normal") + info.number("mem_aof_buffer"),
                    info.number("used_memory_startup"));
        }

        /** Used memory without client query/output buffers and the AOF buffer, which come and go with traffic. */
        public long storedBytes() {
            return usedBytes - buffers;
        }
    }

    public static RedisMemory read(RoomIndex index) {
        RedisTopology topology = index.topology();
        List<String> registry = index.activity().mostRecentFirst(Integer.MAX_VALUE);
        List<ShardMemory> shards = new ArrayList<>();
        for (RedisTopology.Shard shard : topology.shards()) {
            Info info = Info.read(shard.node());
            boolean configured = info.maxmemory() > 0;
            long rooms = registry.stream().filter(r -> shard.serves(RedisTopology.slotOf(r))).count();
            shards.add(new ShardMemory(shard.name(), info.usedBytes(), configured ? info.maxmemory() : info.systemMemory(),
                    configured, rooms));
        }
        return new RedisMemory(List.copyOf(shards), registry.size(), RoomFootprint.measure(index, ROOMS_MEASURED));
    }

    public long usedBytes() {
        return shards.stream().mapToLong(ShardMemory::usedBytes).sum();
    }

    public long maxBytes() {
        return shards.stream().mapToLong(ShardMemory::maxBytes).sum();
    }

    public boolean maxFromConfig() {
        return shards.stream().allMatch(ShardMemory::maxFromConfig);
    }

    public double utilisation() {
        long max = maxBytes();
        return max <= 0 ? 0 : (double) usedBytes() / max;
    }

    /** Degraded when any shard is at or above {@link #DEGRADED_AT}: a full shard refuses its rooms' writes. */
    public boolean degraded() {
        return shards.stream().anyMatch(s -> s.utilisation() >= DEGRADED_AT);
    }

    /** Measured average bytes of a room held now; empty while there are no rooms to measure. */
    public OptionalLong bytesPerRoom() {
        return measured.rooms() == 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(1, measured.bytesPerRoom()));
    }
}
