package io.polyphony.ingest.budget;

import io.polyphony.ingest.Sizes;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    public static Map<String, Object> build(RoomIndex rooms, MemoryGuard guard, int dims, long memory, double fraction) {
        Capacity.Measurement m = Capacity.measure(rooms, dims, PROBE_CHUNKS);
        List<Long> sizes = new ArrayList<>(Capacity.INSTANCE_SIZES);
        List<RedisTopology.Shard> shards = rooms.topology().shards();
        long maxmemory = shards.stream().mapToLong(s -> RedisMemory.Info.read(s.node()).maxmemory()).max().orElse(0);
        for (long extra : new long[] {memory, maxmemory}) {
            if (extra > 0 && !sizes.contains(extra)) {
                sizes.add(extra);
            }
        }
        sizes.sort(null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("layout", m.layout());
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
        out.put("shards", shards(rooms, guard, m, shards));
        return out;
    }

    /** Per shard (and in total): memory used, its budget, and rooms of each size that still fit in what is left. */
    private static Map<String, Object> shards(RoomIndex rooms, MemoryGuard guard, Capacity.Measurement m,
                                              List<RedisTopology.Shard> shards) {
        List<Map<String, Object>> list = new ArrayList<>();
        Map<String, Long> total = new LinkedHashMap<>();
        long used = 0;
        long budgets = 0;
        for (RedisTopology.Shard shard : shards) {
            RedisMemory.Info info = RedisMemory.Info.read(shard.node());
            MemoryGuard.Budget budget = guard.budget(shard);
            long limit = budget.bytes() > 0 ? budget.bytes() : info.systemMemory();
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("shard", shard.name());
            s.put("usedBytes", info.usedBytes());
            s.put("maxmemory", info.maxmemory());
            s.put("budgetBytes", budget.bytes());
            s.put("budgetSource", budget.bytes() > 0 ? budget.source() : "no budget: the machine's memory");
            Map<String, Long> fit = new LinkedHashMap<>();
            for (Capacity.Scenario sc : Capacity.SCENARIOS) {
                double perRoom = sc.chunksPerRoom() * m.bytesPerChunk() + m.roomOverheadBytes();
                long n = Math.max(0, (long) Math.floor((limit - info.usedBytes()) / perRoom));
                fit.put(sc.name(), n);
                total.merge(sc.name(), n, Long::sum);
            }
            s.put("roomsThatStillFit", fit);
            list.add(s);
            used += info.usedBytes();
            budgets += budget.bytes();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", rooms.topology().cluster());
        out.put("perShard", list);
        out.put("usedBytes", used);
        out.put("budgetBytes", budgets);
        out.put("roomsThatStillFit", total);
        return out;
    }

    @SuppressWarnings("unchecked")
    public static String text(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "index layout: %s%n", r.get("layout")));
        sb.append(String.format(Locale.ROOT, "measured: %,d bytes per chunk (MEMORY USAGE; used_memory grew %,d per chunk)"
                        + " for %d-dim vectors (%,d bytes as FLOAT32) and %,d bytes of content, encoding %s; %,d bytes per room"
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
        Map<String, Object> sh = (Map<String, Object>) r.get("shards");
        sb.append(String.format("%nrooms that still fit in what is left of each %s's budget (the machine's memory where"
                        + " there is none):%n%n",
                Boolean.TRUE.equals(sh.get("cluster")) ? "shard (master)" : "server"));
        sb.append(String.format("%-24s %12s %12s", "shard", "used", "budget"));
        scenarios.keySet().forEach(k -> sb.append(String.format("%10s", k)));
        sb.append('\n');
        for (Map<String, Object> s : (List<Map<String, Object>>) sh.get("perShard")) {
            sb.append(String.format("%-24s %12s %12s", s.get("shard"), Sizes.human((Long) s.get("usedBytes")),
                    (Long) s.get("budgetBytes") > 0 ? Sizes.human((Long) s.get("budgetBytes")) : "none"));
            ((Map<String, Long>) s.get("roomsThatStillFit")).values().forEach(v -> sb.append(String.format(Locale.ROOT, "%,10d", v)));
            sb.append('\n');
        }
        sb.append(String.format("%-24s %12s %12s", "total", Sizes.human((Long) sh.get("usedBytes")),
                (Long) sh.get("budgetBytes") > 0 ? Sizes.human((Long) sh.get("budgetBytes")) : "none"));
        ((Map<String, Long>) sh.get("roomsThatStillFit")).values().forEach(v -> sb.append(String.format(Locale.ROOT, "%,10d", v)));
        sb.append('\n');
        return sb.toString();
    }
}
