package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.polyphony.ingest.roomindex.RoomIndex.Hit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.ProtocolCommand;

/**
 * One Redis 8 vector set per room ({@code room:{id}:vec}): an HNSW graph of the room's chunk vectors,
 * quantized ({@code Q8} by default), elements {@code <docId>:<n>} with attributes {@code doc} and {@code ord}
 * for {@code FILTER}. Chunk hashes keep the text and no vector. Search is {@code VSIM … WITHSCORES}.
 */
public final class VectorSetLayout implements IndexLayout {

    /** Quantizations {@code VADD} accepts. */
    static final List<String> QUANTIZATIONS = List.of("Q8", "NOQUANT", "BIN");

    private static final ProtocolCommand VSIM = () -> "VSIM".getBytes(UTF_8);

    /**
     * How the room's vector sets are built.
     *
     * @param quantization {@code q8} (int8, the default), {@code noquant} (FLOAT32) or {@code bin} (one bit a dimension)
     * @param m            links per node of the HNSW graph ({@code VADD … M}); Redis's default is 16, ours 8: the same
     *                     recall@10 on 1,000-chunk rooms (bench-index: 0.9885 vs 0.9890) for 150 bytes less a chunk
     */
    public record Options(String quantization, int m) {

        public static final Options DEFAULTS = new Options("q8", 8);

        public Options {
            quantization = quantization.toUpperCase(Locale.ROOT);
            if (!QUANTIZATIONS.contains(quantization)) {
                throw new IllegalArgumentException("polyphony.vector-quantization must be one of q8, noquant, bin, not '"
                        + quantization.toLowerCase(Locale.ROOT) + "'");
            }
            if (m < 4 || m > 512) {
                throw new IllegalArgumentException("polyphony.vector-m must be between 4 and 512, not " + m);
            }
        }
    }

    private final UnifiedJedis redis;
    private final Options options;

    VectorSetLayout(UnifiedJedis redis, Options options) {
        this.redis = redis;
        this.options = options;
    }

    @Override
    public String name() {
        return "vectorset";
    }

    @Override
    public String searchMethod() {
        return "VSIM";
    }

    @Override
    public boolean vectorSet() {
        return true;
    }

    @Override
    public String quantization() {
        return options.quantization();
    }

    @Override
    public int links() {
        return options.m();
    }

    /** {@code VSIM} arguments: the query as FP32, scores, k results, a search breadth of at least 100. */
    static byte[][] vsimArgs(String room, float[] query, int k) {
        return new byte[][] {RoomKeys.vectors(room).getBytes(UTF_8), "FP32".getBytes(UTF_8), RoomIndex.toBytes(query),
            "WITHSCORES".getBytes(UTF_8), "COUNT".getBytes(UTF_8), Integer.toString(k).getBytes(UTF_8),
            "EF".getBytes(UTF_8), Integer.toString(Math.max(100, 10 * k)).getBytes(UTF_8)};
    }

    /** A {@code VSIM … WITHSCORES} reply, RESP2 (element, score, …) or RESP3 (a map: element → score), best first. */
    static void parseScores(Object reply, List<String> elements, List<Double> scores) {
        List<?> items = reply instanceof List<?> l ? l : List.of();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) instanceof Map.Entry<?, ?> e) { // RESP3
                elements.add(text(e.getKey()));
                scores.add(number(e.getValue()));
            } else if (i + 1 < items.size()) {
                elements.add(text(items.get(i)));
                scores.add(number(items.get(++i)));
            }
        }
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, UTF_8) : String.valueOf(o);
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.parseDouble(text(o));
    }

    @Override
    public List<Hit> search(String room, float[] query, int k) {
        byte[] key = RoomKeys.vectors(room).getBytes(UTF_8);
        Object reply = redis.sendCommand(key, VSIM, vsimArgs(room, query, k));
        List<String> elements = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        parseScores(reply, elements, scores);
        List<Response<List<String>>> rows = new ArrayList<>(elements.size());
        try (AbstractPipeline p = redis.pipelined()) {
            for (String e : elements) {
                int colon = e.lastIndexOf(':');
                rows.add(p.hmget(RoomKeys.chunk(room, e.substring(0, colon), Integer.parseInt(e.substring(colon + 1))),
                        "content", "file"));
            }
            p.sync();
        }
        List<Hit> out = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            String e = elements.get(i);
            int colon = e.lastIndexOf(':');
            List<String> row = rows.get(i).get();
            // VSIM's score is 1 - cosine distance / 2 (1 identical, 0 opposite): back to cosine similarity
            out.add(new Hit(e.substring(0, colon), row.get(1), Integer.parseInt(e.substring(colon + 1)), row.get(0),
                    2 * scores.get(i) - 1));
        }
        return out;
    }
}
