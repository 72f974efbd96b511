package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.CapacityReport;
import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RedisTopology.Shard;
import io.polyphony.ingest.roomindex.RoomActivity;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisClusterTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.test.context.SpringBatchTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The whole job against a real three-master Redis Cluster (the bundled redis-server 7.0.15 with
 * {@code cluster-enabled yes}), real H2, Tika and the model; {@code REDIS_URL} names one node only.
 */
@SpringBatchTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "spring.datasource.url=jdbc:h2:mem:rediscluster;DB_CLOSE_DELAY=-1", "polyphony.data-dir=target/test-data/rediscluster",
        "polyphony.ingest.files-per-chunk=4"})
class RedisClusterTests {

    static final RedisClusterTestServer cluster = RedisClusterTestServer.shared();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", cluster::url);
    }

    @Autowired
    IngestRuns runs;
    @Autowired
    RoomIndex rooms;
    @Autowired
    RedisTopology topology;
    @Autowired
    Embedder embedder;
    @Autowired
    MemoryGuard guard;
    @Autowired
    Evictions evictions;
    @Autowired
    IngestProgress progress;
    @Autowired
    PolyphonyProperties props;

    @TempDir
    Path uploads;

    final String tag = UUID.randomUUID().toString().substring(0, 6);

    @AfterEach
    void noHook() {
        progress.afterWrites(null);
    }

    static final String[] TOPICS = {"the Berlin office lease", "hiring two engineers", "the quarterly revenue",
        "the data centre migration", "customer churn in retail", "the security audit", "holiday rota", "the logo redesign"};

    /** Room folders, each with one Markdown file about its own subject. */
    List<String> roomFolders(String prefix, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String room = prefix + i + "-" + tag;
            Path dir = Files.createDirectories(uploads.resolve(room));
            TestDocuments.text(dir, "notes-" + i + ".md", "# Room " + i + "\n\n" + IngestJobTests.paragraphs(
                    TOPICS[i % TOPICS.length] + " (room " + i + ")", 2 + i % 3), UTF_8);
            ids.add(room);
        }
        return ids;
    }

    /** Every key of a room on the master that holds it, with its fields (hashes) or members (sets). */
    Map<String, Object> keysOf(String room) {
        UnifiedJedis node = topology.shardOf(room).node();
        Map<String, Object> out = new TreeMap<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = node.scan(cursor, new ScanParams().match("room:{" + room + "}:*").count(1000));
            for (String k : page.getResult()) {
                if (node.type(k).equals("hash")) {
                    Map<String, String> h = new TreeMap<>();
                    node.hgetAll(k.getBytes(UTF_8)).forEach((f, v) -> h.put(new String(f, UTF_8),
                            f.length == 9 && new String(f, UTF_8).equals("embedding") ? java.util.HexFormat.of().formatHex(v)
                                    : new String(v, UTF_8)));
                    out.put(k, h);
                } else {
                    out.put(k, new java.util.TreeSet<>(node.smembers(k)));
                }
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return out;
    }

    static Map<String, Object> withoutTimes(Map<String, Object> keys) {
        Map<String, Object> out = new TreeMap<>();
        keys.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                Map<Object, Object> copy = new TreeMap<>(m);
                copy.keySet().removeAll(Set.of("ingested_at", "run", "last_active", "version"));
                out.put(k, copy);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    void roomsSpreadOverEveryShardAreIngestedSearchedUnchangedDeletedAndRehydrated() throws Exception {
        assertThat(topology.cluster()).isTrue();
        List<Shard> shards = topology.shards();
        assertThat(shards).hasSize(3);
        List<String> ids = roomFolders("c", 32);
        JobExecution first = runs.run(uploads, null);
        assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        List<FileResult> results = runs.results(first);
        assertThat(results).hasSize(32).extracting(FileResult::outcome).containsOnly(Outcome.INGESTED);
        Map<String, Integer> chunks = results.stream().collect(Collectors.toMap(FileResult::room, FileResult::chunks));

        // every shard holds rooms, and each room lives whole on the master that serves its slot
        Set<String> used = new HashSet<>();
        for (String room : ids) {
            Shard shard = topology.shardOf(room);
            used.add(shard.name());
            assertThat(shard.node().hget(RoomKeys.meta(room), "chunks")).isEqualTo(chunks.get(room).toString());
            long chunkKeys = keysOf(room).keySet().stream().filter(k -> k.contains("}:chunk:")).count();
            assertThat(chunkKeys).isEqualTo(chunks.get(room).longValue());
        }
        assertThat(used).hasSize(3);

        // search finds a room's own document first
        String r5 = ids.get(5);
        List<RoomIndex.Hit> hits = rooms.search(r5, embedder.embed(List.of("who reviewed the security audit")).get(0), 3);
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).file()).isEqualTo("notes-5.md");
        assertThat(rooms.searchMethod(r5)).isEqualTo("exact");

        // the registry knows every room, through its own slot
        assertThat(rooms.activity().mostRecentFirst(Integer.MAX_VALUE)).containsAll(ids);

        // a second run changes nothing
        JobExecution second = runs.run(uploads, null);
        assertThat(runs.results(second)).hasSize(32).extracting(FileResult::outcome).containsOnly(Outcome.UNCHANGED);

        // a room is deleted whole, on its own master; the others stay
        String gone = ids.get(0);
        RoomIndex.Deleted d = rooms.deleteRoom(gone);
        assertThat(d.chunks()).isEqualTo(chunks.get(gone).longValue());
        assertThat(keysOf(gone)).isEmpty();
        assertThat(rooms.activity().lastActive(gone)).isEmpty();
        assertThat(rooms.room(ids.get(1))).isPresent();

        // a room rebuilt from the archive has exactly its previous keys, fields and vectors
        String again = ids.get(7);
        Map<String, Object> before = withoutTimes(keysOf(again));
        rooms.deleteRoom(again);
        JobExecution rebuilt = runs.rehydrate(again, props.uploadsDir());
        assertThat(rebuilt.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(withoutTimes(keysOf(again))).isEqualTo(before);

        // capacity measures the cluster per shard and in total
        Map<String, Object> capacity = CapacityReport.build(rooms, guard, 768, 0, 0.8);
        assertThat(capacity.get("layout")).isEqualTo("scan");
        @SuppressWarnings("unchecked")
        Map<String, Object> perShard = (Map<String, Object>) capacity.get("shards");
        assertThat(perShard.get("cluster")).isEqualTo(true);
        assertThat((List<?>) perShard.get("perShard")).hasSize(3);
        assertThat(CapacityReport.text(capacity)).contains("shard (master)").contains("total");
    }

    @Test
    void theRegistryIsRebuiltFromTheRoomsAfterACrashBetweenTheScriptAndItsUpdate() throws Exception {
        List<String> ids = roomFolders("reg", 3);
        assertThat(runs.run(uploads, null).getStatus()).isEqualTo(BatchStatus.COMPLETED);
        RoomActivity activity = rooms.activity();
        UnifiedJedis redis = topology.client();
        long last = Long.parseLong(redis.hget(RoomKeys.meta(ids.get(0)), "last_active"));
        // as if the process died after the write script and before ZADD, and after a delete script and before ZREM
        redis.zrem(RoomKeys.ROOMS, ids.get(0));
        redis.zadd(RoomKeys.ROOMS, 1, "ghost-" + tag);
        assertThat(rooms.rooms()).extracting(RoomIndex.RoomSummary::room).doesNotContain(ids.get(0), "ghost-" + tag);
        RoomActivity.Reconciled r = activity.reconcile();
        assertThat(r.added()).isGreaterThanOrEqualTo(1);
        assertThat(r.removed()).isGreaterThanOrEqualTo(1);
        assertThat(redis.zscore(RoomKeys.ROOMS, ids.get(0))).isEqualTo((double) last);
        assertThat(redis.zscore(RoomKeys.ROOMS, "ghost-" + tag)).isNull();
        // the rooms' app marks a room active through its meta hash alone: one key, one slot
        redis.hset(RoomKeys.meta(ids.get(1)), "last_active", Long.toString(last + 60_000));
        assertThat(activity.lastActive(ids.get(1))).contains(last + 60_000);
        assertThat(rooms.touch(ids.get(2))).isPresent();
        assertThat(rooms.touch("never-" + tag)).isEmpty();
        assertThat(redis.exists(RoomKeys.meta("never-" + tag))).isFalse();
    }

    @Test
    void aMasterRestartedMidRunLosesNothingAndDuplicatesNothing() throws Exception {
        List<String> ids = roomFolders("m", 12);
        // after the first transaction (4 files), the master holding most of the remaining rooms goes down
        // and comes back 1.5 s later, while the run retries
        Map<String, Long> remaining = ids.subList(4, 12).stream()
                .collect(Collectors.groupingBy(r -> topology.shardOf(r).name(), Collectors.counting()));
        String victim = remaining.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        int master = cluster.indexOf(victim);
        AtomicBoolean fired = new AtomicBoolean();
        progress.afterWrites(done -> {
            if (fired.compareAndSet(false, true)) {
                cluster.stop(master);
                Thread restart = new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                    } catch (InterruptedException e) {
                        return;
                    }
                    cluster.start(master);
                });
                restart.start();
            }
        });
        JobExecution e = runs.run(uploads, null);
        progress.afterWrites(null);
        assertThat(fired).isTrue();
        assertThat(e.getStatus()).as(IngestRuns.failureMessage(e)).isEqualTo(BatchStatus.COMPLETED);
        List<FileResult> results = runs.results(e);
        assertThat(results).hasSize(12).extracting(FileResult::outcome).containsOnly(Outcome.INGESTED);
        for (FileResult r : results) {
            Map<String, Object> keys = keysOf(r.room());
            long chunkKeys = keys.keySet().stream().filter(k -> k.contains("}:chunk:")).count();
            assertThat(chunkKeys).as(r.room()).isEqualTo((long) r.chunks());
            assertThat(topology.client().hget(RoomKeys.meta(r.room()), "chunks")).isEqualTo(Integer.toString(r.chunks()));
            assertThat(topology.client().hget(RoomKeys.meta(r.room()), "docs")).isEqualTo("1");
        }
        assertThat(topology.shards()).hasSize(3);
    }

    @Test
    void pressureOnOneShardEvictsTheLeastRecentlyActiveInactiveRoomOfThatShardOnly() {
        List<Shard> shards = topology.shards();
        Shard full = shards.get(0);
        List<String> onFull = new ArrayList<>();
        String elsewhere = null;
        for (int i = 0; onFull.size() < 4 || elsewhere == null; i++) {
            String room = "ev" + i + "-" + tag;
            if (full.serves(RedisTopology.slotOf(room))) {
                onFull.add(room);
            } else if (elsewhere == null) {
                elsewhere = room;
            }
        }
        ModelInfo model = new ModelInfo("test-model", 768, 256);
        Random random = new Random(3);
        long now = System.currentTimeMillis();
        UnifiedJedis redis = topology.client();
        // the oldest room of all lives on another shard; three old rooms and a new one on the full shard
        Map<String, Long> lastActive = new HashMap<>();
        lastActive.put(elsewhere, now - Duration.ofHours(10).toMillis());
        for (int i = 0; i < 3; i++) {
            lastActive.put(onFull.get(i), now - Duration.ofHours(5 - i).toMillis());
        }
        for (Map.Entry<String, Long> room : lastActive.entrySet()) {
            rooms.write(document(room.getKey(), model, 200, random));
            redis.hset(RoomKeys.meta(room.getKey()), "last_active", Long.toString(room.getValue()));
            redis.zadd(RoomKeys.ROOMS, room.getValue(), room.getKey());
        }
        DocumentWrite incoming = document(onFull.get(3), model, 200, random);
        long used = RedisInfo.of(full.node(), "memory").number("used_memory");
        long perChunk = guard.bytesPerChunk(500 + 4 * 768);
        // the full shard's budget (80 % of maxmemory) has room for half of the incoming document
        long maxmemory = (long) ((used + 100L * perChunk) / 0.8);
        int before = evictions.recent(1000).size();
        try {
            full.node().configSet("maxmemory", Long.toString(maxmemory));
            Optional<io.polyphony.ingest.Problem> p = guard.admit(incoming.room(), 200, 200L * (500 + 4 * 768));
            assertThat(p).isEmpty();
        } finally {
            full.node().configSet("maxmemory", "0");
        }
        List<Evictions.Eviction> recent = evictions.recent(1000);
        List<String> evicted = recent.subList(0, recent.size() - before).stream().map(Evictions.Eviction::room).toList();
        assertThat(evicted).isNotEmpty().doesNotContain(elsewhere, onFull.get(3));
        assertThat(evicted.get(evicted.size() - 1)).isEqualTo(onFull.get(0)); // the least recently active first
        assertThat(recent.get(0).reason()).contains("on shard " + full.name());
        assertThat(redis.exists(RoomKeys.meta(onFull.get(0)))).isFalse();
        assertThat(redis.hget(RoomKeys.meta(elsewhere), "chunks")).isEqualTo("200");
    }

    static DocumentWrite document(String room, ModelInfo model, int n, Random random) {
        List<ChunkRecord> chunks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] v = new float[model.dimensions()];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) random.nextGaussian() / 27.7f;
            }
            chunks.add(new ChunkRecord(("Chunk " + i + " of the minutes: owners, dates and risks were agreed. ").repeat(7), v));
        }
        return new DocumentWrite(room, RoomKeys.docId(room, "notes.md"), "notes.md", "sha-" + room, 1000, chunks, n, false,
                model, "run");
    }
}
