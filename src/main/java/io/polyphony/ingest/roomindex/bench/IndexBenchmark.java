package io.polyphony.ingest.roomindex.bench;

import io.polyphony.ingest.budget.RoomFootprint;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.roomindex.IndexLayout;
import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One index layout measured on a real room: what a chunk takes in Redis, how well search agrees with exact
 * cosine top-k, and how long a search takes. Plain Java over a {@link RoomIndex}; the command builds the
 * corpus (real documents, embedded by the model) and the queries.
 */
public final class IndexBenchmark {

    /** A document of the benchmark room: its file name and its chunks with their vectors. */
    public record Doc(String file, List<ChunkRecord> chunks) {
    }

    /**
     * @param bytesPerChunk     {@code MEMORY USAGE} of the room's chunk hashes and vector set, per chunk
     * @param roomBytesPerChunk every key of the room (doc hashes, doc set, meta too), per chunk
     * @param usedMemoryPerChunk growth of {@code used_memory} while the room was written, per chunk
     * @param recall            mean recall@k against exact cosine top-k over the fp32 vectors
     * @param p50Micros         median search latency (µs), {@code RoomIndex.search} end to end
     */
    public record Result(String layout, String quantization, int chunks, int queries, int k, long bytesPerChunk,
                         long roomBytesPerChunk, long usedMemoryPerChunk, double recall, double minRecall,
                         long p50Micros, long p99Micros, long contentBytesPerChunk) {
    }

    private IndexBenchmark() {
    }

    public static Result run(RedisTopology topology, IndexLayout layout, String room, List<Doc> docs, ModelInfo model,
                             List<float[]> queries, int k) {
        RoomIndex index = new RoomIndex(topology, layout, Clock.systemUTC());
        index.deleteRoom(room);
        RedisTopology.Shard shard = topology.shardOf(room);
        long before = stored(shard);
        List<float[]> all = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        long content = 0;
        for (Doc d : docs) {
            String docId = RoomKeys.docId(room, d.file());
            index.write(new DocumentWrite(room, docId, d.file(), "bench-" + d.file(), 0, d.chunks(), d.chunks().size(), false,
                    model, "bench"));
            for (int i = 0; i < d.chunks().size(); i++) {
                all.add(d.chunks().get(i).embedding());
                ids.add(docId + ":" + i);
                content += d.chunks().get(i).content().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        long after = stored(shard);
        int n = all.size();
        List<String> chunkKeys = new ArrayList<>(n + 1);
        for (String id : ids) {
            int colon = id.lastIndexOf(':');
            chunkKeys.add(RoomKeys.chunk(room, id.substring(0, colon), Integer.parseInt(id.substring(colon + 1))));
        }
        chunkKeys.add(RoomKeys.vectors(room));
        long chunkBytes = RoomFootprint.usage(topology.client(), chunkKeys);
        long roomBytes = RoomFootprint.measureRoom(topology.client(), room).bytes();

        double recallSum = 0;
        double minRecall = 1;
        long[] micros = new long[queries.size()];
        for (int q = 0; q < queries.size(); q++) {
            float[] query = queries.get(q);
            long t0 = System.nanoTime();
            List<RoomIndex.Hit> hits = index.search(room, query, k);
            micros[q] = (System.nanoTime() - t0) / 1000;
            Set<String> exact = exactTop(all, ids, query, k);
            int found = 0;
            for (RoomIndex.Hit h : hits) {
                if (exact.contains(h.docId() + ":" + h.ord())) {
                    found++;
                }
            }
            double recall = (double) found / Math.min(k, n);
            recallSum += recall;
            minRecall = Math.min(minRecall, recall);
        }
        Arrays.sort(micros);
        index.deleteRoom(room);
        return new Result(layout.name(), layout.quantization(), n, queries.size(), k, chunkBytes / n, roomBytes / n,
                Math.max(0, after - before) / n, recallSum / queries.size(), minRecall, percentile(micros, 0.50),
                percentile(micros, 0.99), content / n);
    }

    private static long stored(RedisTopology.Shard shard) {
        RedisInfo info = RedisInfo.of(shard.node(), "memory");
        return info.number("used_memory") - info.number("mem_clients_normal") - info.number("mem_aof_buffer");
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Ids of the k vectors with the highest dot product with the query (all vectors are unit length). */
    static Set<String> exactTop(List<float[]> all, List<String> ids, float[] query, int k) {
        Integer[] order = new Integer[all.size()];
        double[] score = new double[all.size()];
        for (int i = 0; i < all.size(); i++) {
            order[i] = i;
            float[] v = all.get(i);
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += v[j] * query[j];
            }
            score[i] = s;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        Set<String> out = new HashSet<>();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            out.add(ids.get(order[i]));
        }
        return out;
    }
}
