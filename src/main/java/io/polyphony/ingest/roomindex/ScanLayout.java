package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.polyphony.ingest.roomindex.RoomIndex.Hit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/** Vectors inside the chunk hashes, searched by reading every chunk of the room: exact, for any Redis. */
final class ScanLayout implements IndexLayout {

    private final UnifiedJedis redis;

    ScanLayout(UnifiedJedis redis) {
        this.redis = redis;
    }

    @Override
    public String name() {
        return "scan";
    }

    @Override
    public String searchMethod() {
        return "exact";
    }

    /** Every chunk of the room, scored by dot product with the unit query vector. */
    @Override
    public List<Hit> search(String room, float[] query, int k) {
        List<String> docIds = new ArrayList<>(redis.smembers(RoomKeys.docs(room)));
        docIds.sort(null);
        List<Response<List<String>>> docInfo = new ArrayList<>();
        try (AbstractPipeline p = redis.pipelined()) {
            for (String d : docIds) {
                docInfo.add(p.hmget(RoomKeys.doc(room, d), "chunks", "file"));
            }
            p.sync();
        }
        PriorityQueue<Hit> best = new PriorityQueue<>(Comparator.comparingDouble(Hit::score));
        byte[][] fields = {"content".getBytes(UTF_8), "embedding".getBytes(UTF_8)};
        for (int i = 0; i < docIds.size(); i++) {
            List<String> info = docInfo.get(i).get();
            int chunks = info.get(0) == null ? 0 : Integer.parseInt(info.get(0));
            List<Response<List<byte[]>>> rows = new ArrayList<>(chunks);
            try (AbstractPipeline p = redis.pipelined()) {
                for (int n = 0; n < chunks; n++) {
                    rows.add(p.hmget(RoomKeys.chunk(room, docIds.get(i), n).getBytes(UTF_8), fields));
                }
                p.sync();
            }
            for (int n = 0; n < chunks; n++) {
                List<byte[]> row = rows.get(n).get();
                if (row.get(1) == null) {
                    continue;
                }
                float[] v = RoomIndex.fromBytes(row.get(1));
                if (v.length != query.length) {
                    throw new IllegalStateException("room " + room + " holds " + v.length + "-dim vectors, query has " + query.length);
                }
                double score = 0;
                for (int j = 0; j < v.length; j++) {
                    score += v[j] * query[j];
                }
                if (best.size() < k || score > best.peek().score()) {
                    best.add(new Hit(docIds.get(i), info.get(1), n, new String(row.get(0), UTF_8), score));
                    if (best.size() > k) {
                        best.poll();
                    }
                }
            }
        }
        List<Hit> out = new ArrayList<>(best);
        out.sort(Comparator.comparingDouble(Hit::score).reversed());
        return out;
    }
}
