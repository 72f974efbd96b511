package io.polyphony.ingest.budget;

import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.embed.bench.SyntheticChunks;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import redis.clients.jedis.UnifiedJedis;

/**
 * Capacity from measurements: what a chunk really takes in this Redis, and how many rooms of each size
 * fit in instances of 256 MB to 4 GB (the design notes' table, with measured numbers instead of estimates).
 */
public final class Capacity {

    /** A room size of the notes' table. */
    public record Scenario(String name, double chunksPerRoom, String description) {
    }

    public static final List<Scenario> SCENARIOS = List.of(
            new Scenario("small", 50, "50 chunks"),
            new Scenario("medium", 200, "200 chunks"),
            new Scenario("large", 500, "500 chunks"),
            new Scenario("huge", 1000, "1,000 chunks"),
            new Scenario("mixed", 0.70 * 50 + 0.25 * 200 + 0.05 * 500, "70 % small, 25 % medium, 5 % large"));

    public static final List<Long> INSTANCE_SIZES = List.of(256L << 20, 512L << 20, 1L << 30, 2L << 30, 4L << 30);

    /**
     * What a chunk takes, measured by writing a probe room of {@code chunks} chunks (~500 characters of
     * text, a random unit vector of {@code dims} FLOAT32) through the real write path, then deleting it.
     *
     * @param bytesPerChunk       {@code MEMORY USAGE} of the probe's chunk keys, per chunk
     * @param infoDeltaPerChunk   growth of {@code used_memory} (INFO memory, without client and AOF buffers) per
     *                            chunk, the room's other keys and the keyspace's own table included
     * @param roomOverheadBytes   the probe room's doc hash, doc set and meta hash
     * @param vectorBytes         the embedding field's bytes (dims × 4)
     * @param contentBytes        average content bytes (UTF-8)
     * @param baselineBytes       Redis's own memory with no data ({@code used_memory_startup})
     * @param layout              the index layout the probe was written in ({@code vectorset}, {@code search}, {@code scan})
     */
    public record Measurement(long bytesPerChunk, long infoDeltaPerChunk, long roomOverheadBytes, int vectorBytes,
                              long contentBytes, long baselineBytes, int chunks, int dims, String encoding, String layout) {
    }

    private Capacity() {
    }

    public static Measurement measure(RoomIndex rooms, int dims, int chunks) {
        String room = "capacity-probe-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> texts = SyntheticChunks.generate(chunks, 500, 42);
        Random random = new Random(42);
        List<ChunkRecord> records = new ArrayList<>(chunks);
        long content = 0;
        for (String t : texts) {
            float[] v = new float[dims];
            double norm = 0;
            for (int i = 0; i < dims; i++) {
                v[i] = (float) random.nextGaussian();
                norm += v[i] * v[i];
            }
            for (int i = 0; i < dims; i++) {
                v[i] /= (float) Math.sqrt(norm);
            }
            records.add(new ChunkRecord(t, v));
            content += t.getBytes(StandardCharsets.UTF_8).length;
        }
        ModelInfo probeModel = new ModelInfo("capacity-probe", dims, 512);
        UnifiedJedis redis = rooms.topology().client();
        UnifiedJedis server = rooms.topology().shardOf(room).node();
        long before = RedisMemory.Info.read(server).storedBytes();
        String docId = RoomKeys.docId(room, "probe.txt");
        try {
            rooms.write(new DocumentWrite(room, docId, "probe.txt", "probe", content, records, chunks, false,
                    probeModel, "capacity"));
            RedisMemory.Info after = RedisMemory.Info.read(server);
            List<String> chunkKeys = new ArrayList<>(chunks + 1);
            for (int i = 0; i < chunks; i++) {
                chunkKeys.add(RoomKeys.chunk(room, docId, i));
            }
            chunkKeys.add(RoomKeys.vectors(room)); // the vector set, in that layout (absent otherwise: 0)
            long chunkBytes = RoomFootprint.usage(redis, chunkKeys);
            long roomBytes = RoomFootprint.usage(redis, List.of(RoomKeys.doc(room, docId), RoomKeys.docs(room), RoomKeys.meta(room)));
            String encoding = String.valueOf(redis.objectEncoding(chunkKeys.get(0)));
            return new Measurement(chunkBytes / chunks, Math.max(0, after.storedBytes() - before) / chunks, roomBytes,
                    dims * 4, content / chunks, after.startupBytes(), chunks, dims, encoding, rooms.layout().name());
        } finally {
            rooms.deleteRoom(room);
        }
    }

    /** Rooms of a scenario that fit in {@code memory} bytes, of which {@code fraction} may be filled. */
    public static long rooms(Measurement m, Scenario s, long memory, double fraction) {
        double perRoom = s.chunksPerRoom() * m.bytesPerChunk() + m.roomOverheadBytes();
        double usable = memory * fraction - m.baselineBytes();
        return usable <= 0 ? 0 : (long) Math.floor(usable / perRoom);
    }

    /** Scenario name → size label → rooms. */
    public static Map<String, Map<String, Long>> table(Measurement m, List<Long> sizes, double fraction) {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        for (Scenario s : SCENARIOS) {
            Map<String, Long> row = new LinkedHashMap<>();
            for (long size : sizes) {
                row.put(label(size), rooms(m, s, size, fraction));
            }
            out.put(s.name(), row);
        }
        return out;
    }

    public static String label(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MB";
        }
        return bytes + " B";
    }
}
