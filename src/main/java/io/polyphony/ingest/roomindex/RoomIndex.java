package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.embed.ModelInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A room's vectors in Redis, in the layout of {@link RoomKeys}: atomic document writes, the unchanged
 * check, and exact top-k search over the room's chunks (cosine; vectors are unit length).
 */
public final class RoomIndex {

    public record ChunkRecord(String content, float[] embedding) {
    }

    /**
     * @param chunks      what is written (all chunks, or the sampled ones)
     * @param totalChunks how many chunks the document had before sampling
     */
    public record DocumentWrite(String room, String docId, String file, String sha256, long bytes,
                                List<ChunkRecord> chunks, int totalChunks, boolean sampled, ModelInfo model, String run) {
    }

    /** What the room holds of one document. */
    public record StoredDocument(String sha256, String model, String run, int chunks, int totalChunks, boolean sampled) {
    }

    /** {@code written} is false when the room already held this content. */
    /**
     * @param written    the document was written (false: unchanged, or refused by the room's budget)
     * @param refused    the room's chunk budget refused it; {@code oldChunks} is then the room's chunks now and
     *                   {@code newChunks} what they would have become
     * @param evicted    doc ids of the room's oldest documents removed to make it fit ({@code evict-oldest})
     */
    public record WriteResult(boolean written, int oldChunks, int newChunks, boolean refused, List<String> evicted) {

        WriteResult(boolean written, int oldChunks, int newChunks) {
            this(written, oldChunks, newChunks, false, List.of());
        }
    }

    public record Hit(String docId, String file, int ord, String content, double score) {
    }

    private static final byte[] WRITE_SCRIPT = resource("roomindex/write-document.lua");
    private static final byte[] DELETE_ROOM_SCRIPT = resource("roomindex/delete-room.lua");

    /** What deleting a room removed. */
    public record Deleted(long keys, long chunks, long documents) {
    }

    /** A room as listed: from its meta hash and its score in {@code rooms}. */
    public record RoomSummary(String room, String model, int dims, long docs, long chunks, long lastActive) {
    }

    /** A document of a room, from its hash. */
    public record DocumentSummary(String doc, String file, long bytes, int chunks, int totalChunks, boolean sampled,
                                  String model, long ingestedAt) {
    }

    private final UnifiedJedis redis;
    private final Clock clock;
    private final SearchModule searchModule;

    public RoomIndex(UnifiedJedis redis, Clock clock) {
        this.redis = redis;
        this.clock = clock;
        this.searchModule = new SearchModule(redis);
    }

    /** How {@link #search} finds neighbours on this server: the search module's KNN, or an exact scan. */
    public String searchMethod() {
        return searchModule.present() ? "FT.SEARCH KNN" : "exact";
    }

    /** True when the room holds this document with the same content and model: nothing to do. */
    public boolean unchanged(String room, String docId, String sha256, ModelInfo model) {
        return document(room, docId).map(d -> d.sha256().equals(sha256) && d.model().equals(model.name())).orElse(false);
    }

    public Optional<StoredDocument> document(String room, String docId) {
        List<String> v = redis.hmget(RoomKeys.doc(room, docId), "sha256", "model", "run", "chunks", "total_chunks", "sampled");
        if (v.get(0) == null) {
            return Optional.empty();
        }
        return Optional.of(new StoredDocument(v.get(0), v.get(1), v.get(2), parse(v.get(3)), parse(v.get(4)),
                "1".equals(v.get(5))));
    }

    private static int parse(String s) {
        return s == null ? 0 : Integer.parseInt(s);
    }

    /** Refuses a model whose vectors cannot live beside the room's existing ones. */
    public void requireCompatible(String room, ModelInfo model) {
        List<String> v = redis.hmget(RoomKeys.meta(room), "model", "dims");
        if (v.get(0) != null) {
            model.requireCompatible("room " + room, v.get(0), v.get(1) == null ? -1 : Integer.parseInt(v.get(1)));
        }
    }

    /** What a room may hold: its chunk budget (0: none), and whether to make room by evicting its oldest documents. */
    public record RoomBudget(int maxChunks, boolean evictOldest) {
        public static final RoomBudget NONE = new RoomBudget(0, false);

        /** Would a document of {@code adding} chunks, replacing {@code replacing}, be refused in a room of {@code roomChunks}? */
        public boolean refuses(int roomChunks, int replacing, int adding) {
            int after = roomChunks - replacing + adding;
            return maxChunks > 0 && after > maxChunks && (!evictOldest || adding > maxChunks);
        }

        public Problem refusal(String room, int roomChunks, int adding, int after) {
            return new Problem(Reason.ROOM_FULL, String.format(
                    "room %s holds %,d chunks; this document's %,d would make it %,d > %,d-chunk room budget",
                    room, roomChunks, adding, after, maxChunks));
        }
    }

    public WriteResult write(DocumentWrite w) {
        return write(w, RoomBudget.NONE);
    }

    /** Writes the document atomically, within the room's budget: refused, or written after evicting, never half. */
    public WriteResult write(DocumentWrite w, RoomBudget budget) {
        requireCompatible(w.room(), w.model());
        for (ChunkRecord c : w.chunks()) {
            if (c.embedding().length != w.model().dimensions()) {
                throw new IllegalArgumentException("chunk vector has " + c.embedding().length + " dims, model "
                        + w.model().name() + " has " + w.model().dimensions());
            }
        }
        List<byte[]> keys = List.of(b(RoomKeys.doc(w.room(), w.docId())), b(RoomKeys.docs(w.room())),
                b(RoomKeys.meta(w.room())), b(RoomKeys.ROOMS));
        List<byte[]> args = new ArrayList<>(15 + 2 * w.chunks().size());
        args.add(b(RoomKeys.chunkPrefix(w.room()) + w.docId() + ":"));
        args.add(b(w.sha256()));
        args.add(b(w.model().name()));
        args.add(b(Integer.toString(w.model().dimensions())));
        args.add(b(Long.toString(clock.millis())));
        args.add(b(w.room()));
        args.add(b(w.docId()));
        args.add(b(w.file()));
        args.add(b(Long.toString(w.bytes())));
        args.add(b(Integer.toString(w.totalChunks())));
        args.add(b(w.sampled() ? "1" : "0"));
        args.add(b(Integer.toString(w.chunks().size())));
        args.add(b(w.run() == null ? "" : w.run()));
        args.add(b(Integer.toString(budget.maxChunks())));
        args.add(b(budget.evictOldest() ? "evict-oldest" : "reject"));
        for (ChunkRecord c : w.chunks()) {
            args.add(b(c.content()));
            args.add(toBytes(c.embedding()));
        }
        Object result;
        try {
            result = redis.eval(WRITE_SCRIPT, keys, args);
        } catch (JedisDataException e) {
            if (String.valueOf(e.getMessage()).contains("MODEL_MISMATCH")) {
                // another writer set the room's model between our check and the script: say so clearly
                requireCompatible(w.room(), w.model());
            }
            throw e;
        }
        List<?> r = (List<?>) result;
        long code = (Long) r.get(0);
        if (code == -1L) {
            return new WriteResult(false, ((Long) r.get(1)).intValue(), ((Long) r.get(2)).intValue(), true, List.of());
        }
        searchModule.ensureIndex(w.room(), w.model().dimensions());
        List<String> evicted = r.subList(3, r.size()).stream().map(o -> new String((byte[]) o, UTF_8)).toList();
        return new WriteResult(code == 1L, ((Long) r.get(1)).intValue(), ((Long) r.get(2)).intValue(), false, evicted);
    }

    /**
     * Top-k chunks of the room by cosine similarity: the search module's KNN where the server has it,
     * else an exact scan of every chunk (dot product with the unit query vector).
     */
    public List<Hit> search(String room, float[] query, int k) {
        if (searchModule.present()) {
            String dims = redis.hget(RoomKeys.meta(room), "dims");
            if (dims == null) {
                return List.of();
            }
            searchModule.ensureIndex(room, Integer.parseInt(dims)); // rooms written before the module was loaded
            return searchModule.knn(room, query, k).stream()
                    .map(h -> new Hit(h.doc(), h.file(), h.ord(), h.content(), h.score())).toList();
        }
        return exactSearch(room, query, k);
    }

    /** Every chunk of the room, scored by dot product with the unit query vector. */
    public List<Hit> exactSearch(String room, float[] query, int k) {
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
        byte[][] fields = {b("content"), b("embedding")};
        for (int i = 0; i < docIds.size(); i++) {
            List<String> info = docInfo.get(i).get();
            int chunks = info.get(0) == null ? 0 : Integer.parseInt(info.get(0));
            List<Response<List<byte[]>>> rows = new ArrayList<>(chunks);
            try (AbstractPipeline p = redis.pipelined()) {
                for (int n = 0; n < chunks; n++) {
                    rows.add(p.hmget(b(RoomKeys.chunk(room, docIds.get(i), n)), fields));
                }
                p.sync();
            }
            for (int n = 0; n < chunks; n++) {
                List<byte[]> row = rows.get(n).get();
                if (row.get(1) == null) {
                    continue;
                }
                float[] v = fromBytes(row.get(1));
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

    /** Marks an existing room active now; empty when there is no such room. */
    public Optional<Long> touch(String room) {
        if (!redis.exists(RoomKeys.meta(room))) {
            return Optional.empty();
        }
        long now = clock.millis();
        redis.zadd(RoomKeys.ROOMS, now, room);
        redis.hset(RoomKeys.meta(room), "last_active", Long.toString(now));
        return Optional.of(now);
    }

    /** Rooms by last activity, most recent first. */
    public List<RoomSummary> rooms() {
        List<String> ids = new ArrayList<>(redis.zrevrange(RoomKeys.ROOMS, 0, -1));
        List<RoomSummary> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            if (RoomKeys.isValidRoom(id)) {
                room(id).ifPresent(out::add);
            }
        }
        return out;
    }

    public Optional<RoomSummary> room(String room) {
        Map<String, String> m = redis.hgetAll(RoomKeys.meta(room));
        if (m.isEmpty()) {
            return Optional.empty();
        }
        Double score = redis.zscore(RoomKeys.ROOMS, room);
        return Optional.of(new RoomSummary(room, m.get("model"), parse(m.get("dims")), redis.scard(RoomKeys.docs(room)),
                parseLong(m.get("chunks")), score != null ? score.longValue() : parseLong(m.get("last_active"))));
    }

    /** The room's documents, by file name. */
    public List<DocumentSummary> documents(String room) {
        List<String> ids = new ArrayList<>(redis.smembers(RoomKeys.docs(room)));
        List<DocumentSummary> out = new ArrayList<>(ids.size());
        for (String d : ids) {
            Map<String, String> h = redis.hgetAll(RoomKeys.doc(room, d));
            if (!h.isEmpty()) {
                out.add(new DocumentSummary(d, h.get("file"), parseLong(h.get("bytes")), parse(h.get("chunks")),
                        parse(h.get("total_chunks")), "1".equals(h.get("sampled")), h.get("model"),
                        parseLong(h.get("ingested_at"))));
            }
        }
        out.sort(Comparator.comparing(DocumentSummary::file));
        return out;
    }

    /** Removes every key of the room in one script, and its search index. Other rooms are untouched. */
    public Deleted deleteRoom(String room) {
        List<byte[]> keys = List.of(b(RoomKeys.docs(room)), b(RoomKeys.meta(room)), b(RoomKeys.ROOMS));
        List<byte[]> args = List.of(b(RoomKeys.chunkPrefix(room).replaceFirst("chunk:$", "")), b(room));
        List<?> r = (List<?>) redis.eval(DELETE_ROOM_SCRIPT, keys, args);
        searchModule.dropIndex(room);
        return new Deleted((Long) r.get(0), (Long) r.get(1), (Long) r.get(2));
    }

    private static long parseLong(String s) {
        return s == null ? 0 : Long.parseLong(s);
    }

    /** The room's meta hash (model, dims, chunks, docs, last_active); empty when the room does not exist. */
    public Map<String, String> meta(String room) {
        return redis.hgetAll(RoomKeys.meta(room));
    }

    /** FLOAT32 little-endian: the layout Redis Stack's vector indexes read. */
    public static byte[] toBytes(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            bb.putFloat(f);
        }
        return bb.array();
    }

    public static float[] fromBytes(byte[] b) {
        float[] v = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = RoomIndex.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
