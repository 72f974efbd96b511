package io.polyphony.ingest.budget;

import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;

/** The capacity table for the connected Redis (and optionally a given memory size), as text or as a JSON-ready map. */
public final class CapacityReport {

    /** Chunks written to the probe room for the measurement. */
    public static final int PROBE_CHUNKS = 1000;

    private CapacityReport() {
    }

    /**
     * @param memory   an extra instance size to include (0: none); Redis's own {@code maxmemory} is included when set
     * @param fraction share of an instance the rooms may fill (the memory budget)
     */
    public static Map<String, Object> build(UnifiedJedis redis, RoomIndex rooms, int dims, long memory, double fraction) {
        Capacity.Measurement m = Capacity.measure(redis, rooms, dims, PROBE_CHUNKS);
        List<Long> sizes = new ArrayList<>(Capacity.INSTANCE_SIZES);
        long maxmemory = RedisMemory.Info.read(redis).maxmemory();
        for (long extra : new long[] {memory, maxmemory}) {
            if (extra > 0 && !sizes.contains(extra)) {
                sizes.add(extra);
            }
        }
        sizes.sort(null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bytesPerChunk", m.bytesPerChunk());
        out.put("infoDeltaBytesPerChunk", m.infoDeltaPerChunk());
        out.put("vectorBytes", m.vectorBytes());
        out.put("contentBytes", m.contentBytes());
        out.put("chunkEncoding", m.encoding());
        out.put("roomOverheadBytes", m.roomOverheadBytes());
        out.put("redisBaselineBytes", m.baselineBytes());
        out.put("budgetFraction", fraction);
        out.put("dims", m.dims());
        out.put("probeChunks", m.chunks());
        if (maxmemory > 0) {
            out.put("connectedMaxmemory", Capacity.label(maxmemory));
        }
        if (memory > 0) {
            out.put("memory", Capacity.label(memory));
        }
        Map<String, Object> scenarios = new LinkedHashMap<>();
        Map<String, Map<String, Long>> table = Capacity.table(m, sizes, fraction);
        for (Capacity.Scenario s : Capacity.SCENARIOS) {
            Map<String, Object> sc = new LinkedHashMap<>();
            sc.put("chunksPerRoom", s.chunksPerRoom());
            sc.put("description", s.description());
            sc.put("rooms", table.get(s.name()));
            scenarios.put(s.name(), sc);
        }
        out.put("scenarios", scenarios);
        return out;
    }

    @SuppressWarnings("unchecked")
    public static String text(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "measured: %,d bytes per chunk (MEMORY USAGE; used_memory grew %,d per chunk)"
                        + " for %d-dim FLOAT32 vectors (%,d bytes) and %,d bytes of content, encoding %s; %,d bytes per room"
                        + " for its doc hash, doc set and meta%n",
                r.get("bytesPerChunk"), r.get("infoDeltaBytesPerChunk"), r.get("dims"), r.get("vectorBytes"),
                r.get("contentBytes"), r.get("chunkEncoding"), r.get("roomOverheadBytes")));
        sb.append(String.format(Locale.ROOT, "rooms that fit when %.0f %% of the instance holds rooms (Redis's own %,d bytes set aside):%n%n",
                100 * (double) r.get("budgetFraction"), r.get("redisBaselineBytes")));
        Map<String, Object> scenarios = (Map<String, Object>) r.get("scenarios");
        Map<String, Long> first = (Map<String, Long>) ((Map<String, Object>) scenarios.values().iterator().next()).get("rooms");
        sb.append(String.format("%-10s %-36s", "room size", ""));
        first.keySet().forEach(k -> sb.append(String.format("%10s", k)));
        sb.append('\n');
        for (Map.Entry<String, Object> e : scenarios.entrySet()) {
            Map<String, Object> sc = (Map<String, Object>) e.getValue();
            sb.append(String.format("%-10s %-36s", e.getKey(), sc.get("description")));
            ((Map<String, Long>) sc.get("rooms")).values().forEach(v -> sb.append(String.format(Locale.ROOT, "%,10d", v)));
            sb.append('\n');
        }
        return sb.toString();
    }
}
