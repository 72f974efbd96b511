package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

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
 * check, search through the {@link IndexLayout} in use, room listing, touch and delete. Works the same on a
 * standalone Redis and on a cluster: every script touches the keys of one room, all declared.
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
    private static final String TOUCH_SCRIPT = new String(resource("roomindex/touch-room.lua"), UTF_8);
    /** Attempts of a write or delete whose reading of the room went stale (another writer got there first). */
    private static final int ATTEMPTS = 20;

    /** What deleting a room removed. */
    public record Deleted(long keys, long chunks, long documents) {
    }

    /** A room as listed: from its meta hash and its activity. */
    public record RoomSummary(String room, String model, int dims, long docs, long chunks, long lastActive) {
    }

    /** A document of a room, from its hash. */
    public record DocumentSummary(String doc, String file, long bytes, int chunks, int totalChunks, boolean sampled,
                                  String model, long ingestedAt, String sha256) {
    }

    private final UnifiedJedis redis;
    private final RedisTopology topology;
    private final IndexLayout layout;
    private final RoomActivity activity;
    private final Clock clock;

    public RoomIndex(RedisTopology topology, IndexLayout layout, Clock clock) {
        this.redis = topology.client();
        this.topology = topology;
        this.layout = layout;
        this.activity = new RoomActivity(topology);
        this.clock = clock;
    }

    /** The layout the server's capabilities give ({@code polyphony.index=auto}, Q8 vector sets). */
    public RoomIndex(RedisTopology topology, Clock clock) {
        this(topology, IndexLayouts.choose(topology.client(), topology.shards().get(0).node(), "auto", VectorSetLayout.Options.DEFAULTS), clock);
    }

    public RedisTopology topology() {
        return topology;
    }

    public IndexLayout layout() {
        return layout;
    }

    public RoomActivity activity() {
        return activity;
    }

    /** How {@link #search} finds neighbours on this server, for rooms written in its layout. */
    public String searchMethod() {
        return layout.searchMethod();
    }

    /** How {@link #search} finds the room's neighbours (a room written in another layout is read in its own). */
    public String searchMethod(String room) {
        return layoutOf(room).searchMethod();
    }

    private IndexLayout layoutOf(String room) {
        return IndexLayouts.forRoom(redis.hget(RoomKeys.meta(room), "layout"), layout, redis);
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

    public WriteResult write(DocumentWrite w) {
        return write(w, RoomLimit.NONE);
    }

    /** The room as read before a write: its version and counters, and what it holds of the document. */
    private record Snapshot(String version, long roomChunks, String model, String dims, String layout,
                            int docChunks, String docSha, String docModel) {
    }

    private Snapshot snapshot(String room, String docId) {
        Response<List<String>> meta;
        Response<List<String>> doc;
        try (AbstractPipeline p = redis.pipelined()) {
            // the version first: whatever changes after it is read makes the write script refuse the snapshot
            meta = p.hmget(RoomKeys.meta(room), "version", "chunks", "model", "dims", "layout");
            doc = p.hmget(RoomKeys.doc(room, docId), "chunks", "sha256", "model");
            p.sync();
        }
        List<String> m = meta.get();
        List<String> d = doc.get();
        return new Snapshot(m.get(0) == null ? "0" : m.get(0), parseLong(m.get(1)), m.get(2), m.get(3), m.get(4),
                parse(d.get(0)), d.get(1), d.get(2));
    }

    /** Writes the document atomically, within the room's limit: refused, or written after evicting, never half. */
    public WriteResult write(DocumentWrite w, RoomLimit limit) {
        for (ChunkRecord c : w.chunks()) {
            if (c.embedding().length != w.model().dimensions()) {
                throw new IllegalArgumentException("chunk vector has " + c.embedding().length + " dims, model "
                        + w.model().name() + " has " + w.model().dimensions());
            }
        }
        String room = w.room();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Snapshot s = snapshot(room, w.docId());
            if (s.model() != null) {
                w.model().requireCompatible("room " + room, s.model(), s.dims() == null ? -1 : Integer.parseInt(s.dims()));
                requireLayout(room, s.layout());
            }
            int old = s.docChunks();
            int n = w.chunks().size();
            if (w.sha256().equals(s.docSha()) && w.model().name().equals(s.docModel())) {
                return new WriteResult(false, old, old);
            }
            int roomChunks = (int) s.roomChunks();
            int toFree = limit.toFree(roomChunks, old, n);
            if (toFree < 0) {
                return new WriteResult(false, roomChunks, roomChunks - old + n, true, List.of());
            }
            List<Victim> victims = toFree > 0 ? oldestDocuments(room, w.docId(), toFree) : List.of();
            List<?> r = (List<?>) evalWrite(w, s, victims);
            long code = (Long) r.get(0);
            if (code == -3L) {
                continue; // the room changed after it was read: read it again
            }
            if (code == 1L) {
                activity.active(room, clock.millis());
                layout.written(room, w.model().dimensions());
            }
            return new WriteResult(code == 1L, ((Long) r.get(1)).intValue(), ((Long) r.get(2)).intValue(), false,
                    victims.stream().map(Victim::docId).toList());
        }
        throw new IllegalStateException("room " + room + " kept changing while " + w.file() + " was written ("
                + ATTEMPTS + " attempts); try again");
    }

    private void requireLayout(String room, String recorded) {
        boolean inVectorSet = "vectorset".equals(recorded);
        if (inVectorSet != layout.vectorSet()) {
            throw new IllegalStateException("room " + room + " holds its vectors in the " + (recorded == null ? "scan"
                    : recorded) + " layout, but this server writes the " + layout.name() + " layout (polyphony.index);"
                    + " set polyphony.index=" + (inVectorSet ? "vectorset" : "scan") + ", or delete the room and"
                    + " ingest its files again");
        }
    }

    /** A document to evict for room: its id and chunk count. */
    private record Victim(String docId, int chunks) {
    }

    /** The room's oldest documents (by {@code ingested_at}, then id), other than {@code except}, that free {@code need} chunks. */
    private List<Victim> oldestDocuments(String room, String except, int need) {
        List<String> ids = new ArrayList<>(redis.smembers(RoomKeys.docs(room)));
        ids.remove(except);
        List<Response<List<String>>> rows = new ArrayList<>(ids.size());
        try (AbstractPipeline p = redis.pipelined()) {
            for (String d : ids) {
                rows.add(p.hmget(RoomKeys.doc(room, d), "ingested_at", "chunks"));
            }
            p.sync();
        }
        List<long[]> order = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            List<String> row = rows.get(i).get();
            order.add(new long[] {parseLong(row.get(0)), parse(row.get(1)), i});
        }
        order.sort(Comparator.<long[]>comparingLong(o -> o[0]).thenComparing(o -> ids.get((int) o[2])));
        List<Victim> out = new ArrayList<>();
        int freed = 0;
        for (long[] o : order) {
            if (freed >= need) {
                break;
            }
            out.add(new Victim(ids.get((int) o[2]), (int) o[1]));
            freed += (int) o[1];
        }
        return out;
    }

    private Object evalWrite(DocumentWrite w, Snapshot s, List<Victim> victims) {
        String room = w.room();
        int old = s.docChunks();
        int n = w.chunks().size();
        List<byte[]> keys = new ArrayList<>(4 + old + n);
        keys.add(b(RoomKeys.doc(room, w.docId())));
        keys.add(b(RoomKeys.docs(room)));
        keys.add(b(RoomKeys.meta(room)));
        keys.add(b(RoomKeys.vectors(room)));
        for (int i = 0; i < old; i++) {
            keys.add(b(RoomKeys.chunk(room, w.docId(), i)));
        }
        for (int i = 0; i < n; i++) {
            keys.add(b(RoomKeys.chunk(room, w.docId(), i)));
        }
        for (Victim v : victims) {
            keys.add(b(RoomKeys.doc(room, v.docId())));
            for (int i = 0; i < v.chunks(); i++) {
                keys.add(b(RoomKeys.chunk(room, v.docId(), i)));
            }
        }
        List<byte[]> args = new ArrayList<>(17 + 2 * victims.size() + 2 * n);
        args.add(b(s.version()));
        args.add(b(w.sha256()));
        args.add(b(w.model().name()));
        args.add(b(Integer.toString(w.model().dimensions())));
        args.add(b(Long.toString(clock.millis())));
        args.add(b(w.docId()));
        args.add(b(w.file()));
        args.add(b(Long.toString(w.bytes())));
        args.add(b(Integer.toString(w.totalChunks())));
        args.add(b(w.sampled() ? "1" : "0"));
        args.add(b(w.run() == null ? "" : w.run()));
        args.add(b(layout.name()));
        args.add(b(layout.quantization()));
        args.add(b(Integer.toString(layout.links())));
        args.add(b(Integer.toString(old)));
        args.add(b(Integer.toString(n)));
        args.add(b(Integer.toString(victims.size())));
        for (Victim v : victims) {
            args.add(b(v.docId()));
            args.add(b(Integer.toString(v.chunks())));
        }
        for (ChunkRecord c : w.chunks()) {
            args.add(b(c.content()));
            args.add(toBytes(c.embedding()));
        }
        try {
            return redis.eval(WRITE_SCRIPT, keys, args);
        } catch (JedisDataException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("MODEL_MISMATCH")) {
                // another writer set the room's model between our reading and the script: say so clearly
                requireCompatible(room, w.model());
            }
            if (m.contains("LAYOUT_MISMATCH")) {
                requireLayout(room, redis.hget(RoomKeys.meta(room), "layout"));
            }
            throw e;
        }
    }

    /** Top-k chunks of the room by cosine similarity, through the layout the room was written in. */
    public List<Hit> search(String room, float[] query, int k) {
        return layoutOf(room).search(room, query, k);
    }

    /** Marks an existing room active now (the rooms' app's touch script, then the registry); empty when there is no such room. */
    public Optional<Long> touch(String room) {
        long now = clock.millis();
        Object touched = redis.eval(TOUCH_SCRIPT, List.of(RoomKeys.meta(room)), List.of(Long.toString(now)));
        if (!Long.valueOf(1).equals(touched)) {
            return Optional.empty();
        }
        activity.active(room, now);
        return Optional.of(now);
    }

    /** Rooms by last activity, most recent first (the registry's order; see {@link RoomActivity}). */
    public List<RoomSummary> rooms() {
        List<RoomSummary> out = new ArrayList<>();
        for (String id : activity.mostRecentFirst(Integer.MAX_VALUE)) {
            if (RoomKeys.isValidRoom(id)) {
                room(id).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparingLong(RoomSummary::lastActive).reversed());
        return out;
    }

    public Optional<RoomSummary> room(String room) {
        Map<String, String> m = redis.hgetAll(RoomKeys.meta(room));
        if (m.get("dims") == null) {
            return Optional.empty();
        }
        Double score = redis.zscore(RoomKeys.ROOMS, room);
        long last = Math.max(parseLong(m.get("last_active")), score == null ? 0 : score.longValue());
        return Optional.of(new RoomSummary(room, m.get("model"), parse(m.get("dims")), redis.scard(RoomKeys.docs(room)),
                parseLong(m.get("chunks")), last));
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
                        parseLong(h.get("ingested_at")), h.get("sha256")));
            }
        }
        out.sort(Comparator.comparing(DocumentSummary::file));
        return out;
    }

    /** Removes every key of the room in one script, then its search index and its registry entry. Other rooms are untouched. */
    public Deleted deleteRoom(String room) {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            String version = redis.hget(RoomKeys.meta(room), "version");
            List<String> docs = new ArrayList<>(redis.smembers(RoomKeys.docs(room)));
            List<Response<String>> counts = new ArrayList<>(docs.size());
            try (AbstractPipeline p = redis.pipelined()) {
                for (String d : docs) {
                    counts.add(p.hget(RoomKeys.doc(room, d), "chunks"));
                }
                p.sync();
            }
            List<byte[]> keys = new ArrayList<>();
            keys.add(b(RoomKeys.docs(room)));
            keys.add(b(RoomKeys.meta(room)));
            keys.add(b(RoomKeys.vectors(room)));
            List<byte[]> args = new ArrayList<>();
            args.add(b(version == null ? "0" : version));
            args.add(b(Integer.toString(docs.size())));
            for (int j = 0; j < docs.size(); j++) {
                int n = parse(counts.get(j).get());
                keys.add(b(RoomKeys.doc(room, docs.get(j))));
                for (int i = 0; i < n; i++) {
                    keys.add(b(RoomKeys.chunk(room, docs.get(j), i)));
                }
                args.add(b(Integer.toString(n)));
            }
            List<?> r = (List<?>) redis.eval(DELETE_ROOM_SCRIPT, keys, args);
            if ((Long) r.get(0) == -3L) {
                continue;
            }
            layout.deleted(room);
            activity.forget(room);
            return new Deleted((Long) r.get(0), (Long) r.get(1), (Long) r.get(2));
        }
        throw new IllegalStateException("room " + room + " kept changing while it was deleted (" + ATTEMPTS
                + " attempts); try again");
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
