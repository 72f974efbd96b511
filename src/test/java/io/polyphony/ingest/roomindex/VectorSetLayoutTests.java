package io.polyphony.ingest.roomindex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.budget.Capacity;
import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.RoomBudget;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.testing.Redis8TestServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import redis.clients.jedis.UnifiedJedis;

/** The vectorset layout against a real Redis 8 (Debian 13's 8.0.x, through scripts/redis8.sh). */
class VectorSetLayoutTests {

    static final ModelInfo MODEL = new ModelInfo("test-model", 768, 256);
    static final Redis8TestServer server = Redis8TestServer.shared();
    final RedisTopology topology = server.topology();
    final UnifiedJedis redis = topology.client();
    final long now = 1_800_000_000_000L;
    final Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    final RoomIndex index = new RoomIndex(topology, layout("vectorset"), clock);
    final String room = "v" + UUID.randomUUID().toString().substring(0, 8);
    final Random random = new Random(11);

    IndexLayout layout(String name) {
        return IndexLayouts.choose(redis, redis, name, VectorSetLayout.Options.DEFAULTS);
    }

    float[] unit() {
        float[] v = new float[768];
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    List<ChunkRecord> chunks(int n) {
        List<ChunkRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ChunkRecord("chunk " + i + " of the minutes", unit()));
        }
        return out;
    }

    DocumentWrite doc(String room, String file, String sha, List<ChunkRecord> chunks) {
        return new DocumentWrite(room, RoomKeys.docId(room, file), file, sha, 100, chunks, chunks.size(), false, MODEL, "run-1");
    }

    @Test
    void autoPicksVectorSetsOnRedis8() {
        assertThat(IndexLayouts.has(redis, "VADD")).isTrue();
        assertThat(IndexLayouts.choose(redis, redis, "auto", VectorSetLayout.Options.DEFAULTS).name()).isEqualTo("vectorset");
        assertThat(new RoomIndex(topology, clock).searchMethod()).isEqualTo("VSIM");
        assertThatThrownBy(() -> new VectorSetLayout.Options("int4", 16))
                .hasMessageContaining("polyphony.vector-quantization must be one of q8, noquant, bin");
    }

    @Test
    void vectorsGoToTheRoomsVectorSetAndChunkHashesKeepOnlyTheirText() {
        DocumentWrite w = doc(room, "notes.md", "s1", chunks(5));
        assertThat(index.write(w).written()).isTrue();
        String vec = RoomKeys.vectors(room);
        assertThat(redis.vcard(vec)).isEqualTo(5);
        assertThat(redis.vdim(vec)).isEqualTo(768);
        assertThat(redis.vinfo(vec).getVectorInfo()).containsEntry("quant-type", "int8");
        assertThat(redis.hgetAll(RoomKeys.chunk(room, w.docId(), 3))).containsOnlyKeys("content", "doc", "file", "ord")
                .containsEntry("ord", "3").containsEntry("doc", w.docId()).containsEntry("file", "notes.md");
        assertThat(redis.vgetattr(vec, RoomKeys.element(w.docId(), 3))).isEqualTo("{\"doc\":\"" + w.docId() + "\",\"ord\":3}");
        assertThat(index.meta(room)).containsEntry("layout", "vectorset").containsEntry("chunks", "5").containsEntry("dims", "768");
        // identical content: nothing written; another model: refused
        assertThat(index.write(w).written()).isFalse();
        ModelInfo other = new ModelInfo("other-model", 768, 256);
        assertThatThrownBy(() -> index.write(new DocumentWrite(room, "x", "x.md", "s", 1, chunks(1), 1, false, other, "r")))
                .hasMessageContaining("other-model");
    }

    @Test
    void vsimFindsTheNearestChunksWithCosineScores() {
        List<ChunkRecord> all = chunks(300);
        index.write(doc(room, "big.md", "s", all));
        float[] target = all.get(123).embedding().clone();
        for (int i = 0; i < 40; i++) {
            target[i] += 0.01f;
        }
        List<RoomIndex.Hit> hits = index.search(room, target, 5);
        assertThat(hits).hasSize(5);
        assertThat(hits.get(0).ord()).isEqualTo(123);
        assertThat(hits.get(0).content()).isEqualTo("chunk 123 of the minutes");
        assertThat(hits.get(0).file()).isEqualTo("big.md");
        double exact = 0;
        for (int i = 0; i < 768; i++) {
            exact += target[i] * all.get(123).embedding()[i];
        }
        exact /= norm(target);
        assertThat(hits.get(0).score()).isCloseTo(exact, org.assertj.core.data.Offset.offset(0.02));
        assertThat(hits).isSortedAccordingTo(Comparator.comparingDouble(RoomIndex.Hit::score).reversed());
        assertThat(index.searchMethod(room)).isEqualTo("VSIM");
        assertThat(index.search("absent-" + room, target, 5)).isEmpty();
    }

    static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }

    @Test
    void replacingEvictingAndDeletingKeepTheVectorSetInStepWithTheHashes() {
        index.write(doc(room, "a.md", "a1", chunks(5)));
        index.write(doc(room, "b.md", "b1", chunks(4)));
        String a = RoomKeys.docId(room, "a.md");
        String vec = RoomKeys.vectors(room);
        // a changed file: its old vectors go, its new ones come
        index.write(doc(room, "a.md", "a2", chunks(2)));
        assertThat(redis.vcard(vec)).isEqualTo(6);
        assertThat(redis.vsim(vec, unit(), new redis.clients.jedis.params.VSimParams().count(100)))
                .contains(RoomKeys.element(a, 1)).doesNotContain(RoomKeys.element(a, 2), RoomKeys.element(a, 4));
        // the room's budget evicts its oldest document, vectors included
        RoomIndex later = new RoomIndex(topology, layout("vectorset"), Clock.fixed(Instant.ofEpochMilli(now + 1000), ZoneOffset.UTC));
        RoomIndex.WriteResult r = later.write(doc(room, "c.md", "c1", chunks(5)), new RoomBudget(10, true));
        assertThat(r.evicted()).hasSize(1);
        assertThat(redis.vcard(vec)).isEqualTo(Long.parseLong(index.meta(room).get("chunks")));
        // a deleted room leaves no vector set
        RoomIndex.Deleted d = index.deleteRoom(room);
        assertThat(d.documents()).isEqualTo(2);
        assertThat(redis.exists(vec)).isFalse();
        assertThat(redis.keys("room:{" + room + "}:*")).isEmpty();
        assertThat(redis.zscore(RoomKeys.ROOMS, room)).isNull();
    }

    @Test
    void aRoomWrittenInTheScanLayoutIsStillReadButNotMixedWithVectorSets() {
        RoomIndex scan = new RoomIndex(topology, layout("scan"), clock);
        List<ChunkRecord> c = chunks(3);
        scan.write(doc(room, "old.md", "o", c));
        assertThat(index.searchMethod(room)).isEqualTo("exact");
        assertThat(index.search(room, c.get(2).embedding(), 1).get(0).ord()).isEqualTo(2);
        assertThatThrownBy(() -> index.write(doc(room, "new.md", "n", chunks(1))))
                .hasMessageContaining("holds its vectors in the scan layout").hasMessageContaining("vectorset");
    }

    @Test
    void aChunkTakesUnderHalfTheMemoryOfTheHashLayout() {
        Capacity.Measurement vs = Capacity.measure(index, 768, 300);
        Capacity.Measurement hash = Capacity.measure(new RoomIndex(topology, layout("scan"), clock), 768, 300);
        assertThat(vs.layout()).isEqualTo("vectorset");
        assertThat(hash.layout()).isEqualTo("scan");
        assertThat(vs.bytesPerChunk()).isLessThan(hash.bytesPerChunk() * 6 / 10);
        assertThat(vs.bytesPerChunk()).isGreaterThan(768); // at least the int8 vector itself
    }

    @Test
    void memoryPressureEvictsWholeRoomsVectorSetsIncluded() {
        try (Redis8TestServer small = Redis8TestServer.start("--maxmemory", "8mb", "--maxmemory-policy", "noeviction")) {
            RedisTopology t = small.topology();
            RoomIndex rooms = new RoomIndex(t, IndexLayouts.choose(t.client(), t.client(), "auto", VectorSetLayout.Options.DEFAULTS), clock);
            DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:vs" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
            new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
            Evictions evictions = new Evictions(new JdbcTemplate(ds));
            MemoryGuard guard = new MemoryGuard(rooms, evictions, 0.8, 0, Duration.ofMinutes(30), clock);
            int written = 0;
            for (int i = 0; i < 12; i++) {
                String r = "old-" + i;
                List<ChunkRecord> c = chunks(300);
                if (guard.admit(r, 300, 300L * (30 + 3072)).isEmpty()) {
                    rooms.write(doc(r, "n.md", "s", c));
                    t.client().hset(RoomKeys.meta(r), "last_active", Long.toString(now - Duration.ofHours(24 - i).toMillis()));
                    t.client().zadd(RoomKeys.ROOMS, now - Duration.ofHours(24 - i).toMillis(), r);
                    written++;
                }
            }
            assertThat(written).isEqualTo(12);
            List<Evictions.Eviction> e = evictions.recent(100);
            assertThat(e).isNotEmpty();
            assertThat(e.get(e.size() - 1).room()).isEqualTo("old-0");
            assertThat(t.client().exists(RoomKeys.vectors("old-0"))).isFalse();
            assertThat(e.get(e.size() - 1).bytes()).isGreaterThan(300L * 768);
            Map<String, String> info = RedisInfo.of(t.client(), "memory").fields();
            assertThat(Long.parseLong(info.get("used_memory"))).isLessThan(8L << 20);
        }
    }
}
