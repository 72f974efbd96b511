package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The search module's layout (RediSearch: Redis Stack, Redis 8 builds with the query engine, managed vector
 * search): the vector inside each chunk hash as FLOAT32 and a per-room index {@code idx:room:{<roomId>}} over
 * the room's chunk hashes, created on the room's first write; search is {@code FT.SEARCH … KNN}. Commands
 * are routed by the index name, whose hash tag is the room's.
 */
final class SearchLayout implements IndexLayout {

    private enum Command implements ProtocolCommand {
        FT_CREATE("FT.CREATE"), FT_SEARCH("FT.SEARCH"), FT_DROPINDEX("FT.DROPINDEX");

        private final byte[] raw;

        Command(String name) {
            this.raw = name.getBytes(UTF_8);
        }

        @Override
        public byte[] getRaw() {
            return raw;
        }
    }

    private final UnifiedJedis redis;
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();

    SearchLayout(UnifiedJedis redis) {
        this.redis = redis;
    }

    @Override
    public String name() {
        return "search";
    }

    @Override
    public String searchMethod() {
        return "FT.SEARCH KNN";
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, UTF_8) : o == null ? null : o.toString();
    }

    @Override
    public void written(String room, int dims) {
        ensureIndex(room, dims);
    }

    /** Creates the room's index on its first write; later calls and an index that already exists are fine. */
    void ensureIndex(String room, int dims) {
        if (indexed.contains(room)) {
            return;
        }
        try {
            redis.sendCommand(RoomKeys.index(room), Command.FT_CREATE, createArgs(room, dims));
        } catch (JedisDataException e) {
            if (!String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("already exists")) {
                throw e;
            }
        }
        indexed.add(room);
    }
    /** {@code FT.CREATE} arguments: the chunk hashes of one room, a FLOAT32 cosine vector field of the model's size. */
    static String[] createArgs(String room, int dims) {
        return new String[] {RoomKeys.index(room), "ON", "HASH", "PREFIX", "1", RoomKeys.chunkPrefix(room),
            "SCHEMA", "content", "TEXT", "doc", "TAG", "file", "TAG", "ord", "NUMERIC",
            "embedding", "VECTOR", "HNSW", "6", "TYPE", "FLOAT32", "DIM", Integer.toString(dims),
            "DISTANCE_METRIC", "COSINE"};
    }

    /** Drops the room's index (not its keys: the room index deletes those through its own key sets). */
    @Override
    public void deleted(String room) {
        indexed.remove(room);
        try {
            redis.sendCommand(RoomKeys.index(room), Command.FT_DROPINDEX, RoomKeys.index(room));
        } catch (JedisDataException e) {
            String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (!m.contains("unknown index") && !m.contains("no such index")) {
                throw e;
            }
        }
    }

    /** One KNN hit as the module returns it: the chunk key and its fields. */
    record KnnHit(String key, String doc, String file, int ord, String content, double score) {
    }

    @Override
    public List<RoomIndex.Hit> search(String room, float[] query, int k) {
        String dims = redis.hget(RoomKeys.meta(room), "dims");
        if (dims == null) {
            return List.of();
        }
        ensureIndex(room, Integer.parseInt(dims)); // rooms written before the module was loaded
        return knn(room, query, k).stream()
                .map(h -> new RoomIndex.Hit(h.doc(), h.file(), h.ord(), h.content(), h.score())).toList();
    }

    /** Top-k chunks by cosine similarity, best first; empty when the room's index is absent. */
    List<KnnHit> knn(String room, float[] query, int k) {
        Object reply;
        try {
            reply = redis.sendCommand(RoomKeys.index(room).getBytes(UTF_8), Command.FT_SEARCH, searchArgs(room, query, k));
        } catch (JedisDataException e) {
            if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("no such index")
                    || String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("unknown index")) {
                return List.of();
            }
            throw e;
        }
        return parseSearch(reply);
    }

    static byte[][] searchArgs(String room, float[] query, int k) {
        String[] words = {RoomKeys.index(room), "*=>[KNN " + k + " @embedding $vec AS __score]", "PARAMS", "2", "vec",
            null, "SORTBY", "__score", "RETURN", "5", "content", "doc", "file", "ord", "__score",
            "LIMIT", "0", Integer.toString(k), "DIALECT", "2"};
        byte[][] args = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            args[i] = words[i] == null ? RoomIndex.toBytes(query) : words[i].getBytes(UTF_8);
        }
        return args;
    }

    /** Parses a RESP2 {@code FT.SEARCH} reply: total, then key and field list pairs. Cosine distance → similarity. */
    static List<KnnHit> parseSearch(Object reply) {
        if (!(reply instanceof List<?> rows) || rows.isEmpty()) {
            return List.of();
        }
        List<KnnHit> hits = new ArrayList<>();
        for (int i = 1; i + 1 < rows.size(); i += 2) {
            String key = text(rows.get(i));
            String doc = null;
            String file = null;
            String content = null;
            int ord = -1;
            double distance = Double.NaN;
            List<?> fields = rows.get(i + 1) instanceof List<?> l ? l : Collections.emptyList();
            for (int f = 0; f + 1 < fields.size(); f += 2) {
                String value = text(fields.get(f + 1));
                switch (String.valueOf(text(fields.get(f)))) {
                    case "doc" -> doc = value;
                    case "file" -> file = value;
                    case "content" -> content = value;
                    case "ord" -> ord = Integer.parseInt(value);
                    case "__score" -> distance = Double.parseDouble(value);
                    default -> { }
                }
            }
            hits.add(new KnnHit(key, doc, file, ord, content, 1 - distance));
        }
        return hits;
    }
}
