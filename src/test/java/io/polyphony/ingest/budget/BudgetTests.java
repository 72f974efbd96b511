package io.polyphony.ingest.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import redis.clients.jedis.UnifiedJedis;
import redis.embedded.RedisServer;

/**
 * Against a real redis-server started with a small {@code maxmemory} and {@code noeviction}, and a real H2
 * for the eviction record. Vectors are random unit vectors: what is measured here is memory, not meaning.
 */
class BudgetTests {

    static final ModelInfo MODEL = new ModelInfo("test-model", 768, 256);
    static final long MAXMEMORY = 12L << 20;
    static RedisServer server;
    static RedisTopology topology;
    static UnifiedJedis redis;

    final JdbcTemplate jdbc = h2();
    final Evictions evictions = new Evictions(jdbc);
    final long now = 1_800_000_000_000L;
    final Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    final RoomIndex rooms = new RoomIndex(topology, clock);
    final Random random = new Random(7);

    @BeforeAll
    static void start() {
        int port = RedisTestServer.freePort();
        server = RedisServer.builder().port(port).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").setting("maxmemory " + MAXMEMORY).setting("maxmemory-policy noeviction").build();
        server.start();
        topology = RedisTopology.connect("127.0.0.1", port);
        redis = topology.client();
    }

    @AfterAll
    static void stop() {
        topology.close();
        server.stop();
    }

    @BeforeEach
    void empty() {
        redis.flushAll();
    }

    static JdbcTemplate h2() {
        DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:budget" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
        return new JdbcTemplate(ds);
    }

    List<ChunkRecord> chunks(int n) {
        List<ChunkRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] v = new float[768];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) random.nextGaussian() / 27.7f;
            }
            out.add(new ChunkRecord(("Chunk " + i + " of the minutes: owners, dates and risks were agreed. ").repeat(7), v));
        }
        return out;
    }

    DocumentWrite doc(String room, String file, int n) {
        return new DocumentWrite(room, RoomKeys.docId(room, file), file, "sha-" + file + n, 1000, chunks(n), n, false,
                MODEL, "run");
    }

    long payload(DocumentWrite w) {
        return w.chunks().stream().mapToLong(c -> c.content().getBytes(StandardCharsets.UTF_8).length + 4L * 768).sum();
    }

    MemoryGuard guard(Duration inactiveAfter) {
        return new MemoryGuard(rooms, evictions, 0.8, 0, inactiveAfter, clock);
    }

    /** Writes through the guard, as the ingest job does. */
    Optional<Problem> admitAndWrite(MemoryGuard guard, DocumentWrite w) {
        Optional<Problem> p = guard.admit(w.room(), w.chunks().size(), payload(w));
        if (p.isEmpty()) {
            rooms.write(w);
        }
        return p;
    }

    /** As if the room had last been active then: its meta hash (the truth) and the registry say so. */
    void lastActive(String room, long millis) {
        redis.hset(RoomKeys.meta(room), "last_active", Long.toString(millis));
        redis.zadd(RoomKeys.ROOMS, millis, room);
    }

    @Test
    void aDocumentThatWouldOverfillItsRoomIsRefusedWithItsNumbersAndNothingIsWritten() {
        RoomBudget budget = new RoomBudget(10, false);
        assertThat(rooms.write(doc("r1", "a.md", 8), budget).written()).isTrue();
        RoomIndex.WriteResult refused = rooms.write(doc("r1", "b.md", 5), budget);
        assertThat(refused.refused()).isTrue();
        assertThat(refused.oldChunks()).isEqualTo(8);
        assertThat(refused.newChunks()).isEqualTo(13);
        assertThat(redis.keys("room:{r1}:chunk:*")).hasSize(8);
        assertThat(redis.sismember(RoomKeys.docs("r1"), RoomKeys.docId("r1", "b.md"))).isFalse();
        assertThat(rooms.meta("r1").get("chunks")).isEqualTo("8");
        // replacing a document counts its old chunks out: 8 → 10 fits
        assertThat(rooms.write(doc("r1", "a.md", 10), budget).written()).isTrue();
        assertThat(rooms.meta("r1").get("chunks")).isEqualTo("10");
    }

    @Test
    void evictOldestMakesRoomFromTheRoomsOldestDocumentsOnly() {
        RoomBudget budget = new RoomBudget(10, true);
        RoomIndex early = new RoomIndex(topology, Clock.fixed(Instant.ofEpochMilli(now - 3000), ZoneOffset.UTC));
        RoomIndex middle = new RoomIndex(topology, Clock.fixed(Instant.ofEpochMilli(now - 2000), ZoneOffset.UTC));
        early.write(doc("r2", "oldest.md", 4), budget);
        middle.write(doc("r2", "middle.md", 4), budget);
        rooms.write(doc("other", "keep.md", 4), budget);
        RoomIndex.WriteResult r = rooms.write(doc("r2", "new.md", 5), budget);
        assertThat(r.written()).isTrue();
        assertThat(r.evicted()).containsExactly(RoomKeys.docId("r2", "oldest.md"));
        assertThat(redis.smembers(RoomKeys.docs("r2"))).containsExactlyInAnyOrder(RoomKeys.docId("r2", "middle.md"),
                RoomKeys.docId("r2", "new.md"));
        assertThat(redis.keys("room:{r2}:chunk:*")).hasSize(9);
        assertThat(rooms.meta("r2")).containsEntry("chunks", "9").containsEntry("docs", "2");
        assertThat(redis.keys("room:{other}:chunk:*")).hasSize(4);
        // a document bigger than the whole budget is refused, even when evicting
        assertThat(rooms.write(doc("r2", "huge.md", 11), budget).refused()).isTrue();
        assertThat(redis.keys("room:{r2}:chunk:*")).hasSize(9);
    }

    @Test
    void underPressureTheLeastRecentlyActiveInactiveRoomGoesFirstAndActiveRoomsNever() {
        MemoryGuard guard = guard(Duration.ofMinutes(30));
        long budget = guard.budget(topology.shards().get(0)).bytes();
        assertThat(budget).isEqualTo((long) (MAXMEMORY * 0.8));
        // fill with three inactive rooms and one active room until the next document would not fit
        String[] inactive = {"old-a", "old-b", "old-c"};
        for (int i = 0; i < inactive.length; i++) {
            assertThat(admitAndWrite(guard, doc(inactive[i], "notes.md", 400))).isEmpty();
            lastActive(inactive[i], now - Duration.ofHours(5 - i).toMillis());
        }
        assertThat(admitAndWrite(guard, doc("active", "notes.md", 400))).isEmpty();
        lastActive("active", now - Duration.ofMinutes(1).toMillis());
        assertThat(RedisMemory.Info.read(redis).usedBytes()).isLessThan(budget);

        // every new room evicts exactly as much as it needs, least recently active first
        List<String> evictedOrder = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertThat(admitAndWrite(guard, doc("new-" + i, "notes.md", 400))).isEmpty();
            lastActive("new-" + i, now);
            evictions.recent(10).forEach(e -> {
                if (!evictedOrder.contains(e.room())) {
                    evictedOrder.add(e.room());
                }
            });
        }
        assertThat(evictedOrder).startsWith("old-a").doesNotContain("active").isSubsetOf("old-a", "old-b", "old-c");
        assertThat(List.copyOf(evictedOrder)).isEqualTo(List.of("old-a", "old-b", "old-c").subList(0, evictedOrder.size()));
        for (String gone : evictedOrder) {
            assertThat(redis.keys("room:{" + gone + "}:*")).isEmpty();
            assertThat(redis.zscore(RoomKeys.ROOMS, gone)).isNull();
        }
        assertThat(redis.keys("room:{active}:chunk:*")).hasSize(400);
        Evictions.Eviction first = evictions.recent(100).get(evictions.recent(100).size() - 1);
        assertThat(first.room()).isEqualTo("old-a");
        assertThat(first.bytes()).isGreaterThan(400L * 3072);
        assertThat(first.chunks()).isEqualTo(400);
        assertThat(first.reason()).contains("memory pressure").contains("budget");
        assertThat(first.lastActive()).isEqualTo(Instant.ofEpochMilli(now - Duration.ofHours(5).toMillis()));
        // what the room held is recorded with its eviction, for an exact rehydrate
        assertThat(evictions.last("old-a")).hasValueSatisfying(e -> assertThat(e.documents())
                .isEqualTo(java.util.Map.of("notes.md", doc("old-a", "notes.md", 400).sha256())));
    }

    @Test
    void whenNothingCanBeEvictedTheDocumentFailsWithTheNumbersAndRedisNeverAnswersOom() {
        MemoryGuard guard = guard(Duration.ofMinutes(30));
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < 12 && problems.isEmpty(); i++) {
            admitAndWrite(guard, doc("busy-" + i, "notes.md", 300)).ifPresent(problems::add);
            lastActive("busy-" + i, now); // every room is active: none may be evicted
        }
        assertThat(problems).hasSize(1);
        Problem p = problems.get(0);
        assertThat(p.reason()).isEqualTo(Reason.MEMORY_BUDGET);
        assertThat(p.message()).contains("used +").contains("300 chunks").contains("budget").contains("80 % of maxmemory 12")
                .contains("no room there has been inactive for PT30M");
        assertThat(evictions.recent(10)).isEmpty();
        assertThat(RedisMemory.Info.read(redis).usedBytes()).isLessThanOrEqualTo(MAXMEMORY);
    }

    @Test
    void measuredBytesPerChunkComeFromStoredChunks() {
        MemoryGuard guard = guard(Duration.ofMinutes(30));
        long guess = guard.bytesPerChunk(3072 + 500);
        rooms.write(doc("m", "a.md", 50));
        long measured = guard.bytesPerChunk(3072 + 500);
        assertThat(measured).isNotEqualTo(guess).isBetween(3072L + 500, 8000L);
        Capacity.Measurement m = Capacity.measure(rooms, 768, 200);
        assertThat(m.bytesPerChunk()).isBetween(3072L + 400, 6000L);
        assertThat(m.vectorBytes()).isEqualTo(3072);
        assertThat(redis.keys("room:{capacity-probe*")).isEmpty(); // the probe removes itself
        long oneGb = Capacity.rooms(m, Capacity.SCENARIOS.get(3), 1L << 30, 0.8);
        assertThat(oneGb).isEqualTo((long) Math.floor(((1L << 30) * 0.8 - m.baselineBytes())
                / (1000.0 * m.bytesPerChunk() + m.roomOverheadBytes())));
    }

    @Test
    void aRedisThatEvictsKeysOnItsOwnIsRefused() {
        try {
            for (String policy : new String[] {"allkeys-lru", "volatile-ttl", "allkeys-random"}) {
                redis.configSet("maxmemory-policy", policy);
                assertThatThrownBy(() -> RedisPolicy.requireNoEviction(topology)).hasMessageContaining("'" + policy + "'")
                        .hasMessageContaining("noeviction");
            }
        } finally {
            redis.configSet("maxmemory-policy", "noeviction");
        }
        RedisPolicy.requireNoEviction(topology);
    }
}
