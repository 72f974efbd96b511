package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.Redis8TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
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

/** The whole job on a real Redis 8 in the layout {@code auto} picks there: one vector set per room. */
@SpringBatchTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "spring.datasource.url=jdbc:h2:mem:vectorsetingest;DB_CLOSE_DELAY=-1", "polyphony.data-dir=target/test-data/vectorsetingest"})
class VectorSetIngestTests {

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> Redis8TestServer.shared().url());
    }

    @Autowired
    IngestRuns runs;
    @Autowired
    RoomIndex rooms;
    @Autowired
    Embedder embedder;
    @Autowired
    UploadArchive archive;

    @TempDir
    Path uploads;

    final String room = "vs" + UUID.randomUUID().toString().substring(0, 6);

    /** Every key of the room with its fields, and every vector of its set as VEMB returns it; times left out. */
    Map<String, Object> snapshot(UnifiedJedis redis) {
        Map<String, Object> out = new TreeMap<>();
        for (String k : redis.keys("room:{" + room + "}:*")) {
            switch (redis.type(k)) {
                case "hash" -> {
                    Map<String, String> h = new TreeMap<>(redis.hgetAll(k));
                    h.keySet().removeAll(Set.of("ingested_at", "run", "last_active"));
                    out.put(k, h);
                }
                case "set" -> out.put(k, new java.util.TreeSet<>(redis.smembers(k)));
                default -> {
                    for (String e : redis.vrandmember(k, 10_000)) {
                        out.put(k + "/" + e, redis.vemb(k, e) + " " + redis.vgetattr(k, e));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void ingestsSearchesWithVsimAndRehydratesToTheSameVectors() throws Exception {
        Path dir = Files.createDirectories(uploads.resolve(room));
        Files.copy(Path.of("sample-docs/meeting-notes-2026-11-12.md"), dir.resolve("meeting-notes.md"));
        TestDocuments.text(dir, "garden.md", "# Garden\n\n" + IngestJobTests.paragraphs("tomatoes and roses in the garden", 6), UTF_8);
        TestDocuments.docx(dir, "hiring.docx", IngestJobTests.paragraphs("hiring two engineers", 5).split("\n\n"));
        JobExecution first = runs.run(uploads, null);
        assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        List<FileResult> results = runs.results(first);
        assertThat(results).extracting(FileResult::outcome).containsOnly(Outcome.INGESTED);
        int chunks = results.stream().mapToInt(FileResult::chunks).sum();

        UnifiedJedis redis = rooms.topology().client();
        assertThat(rooms.layout().name()).isEqualTo("vectorset");
        assertThat(redis.vcard(RoomKeys.vectors(room))).isEqualTo(chunks);
        assertThat(redis.hget(RoomKeys.meta(room), "layout")).isEqualTo("vectorset");
        assertThat(rooms.searchMethod(room)).isEqualTo("VSIM");
        List<RoomIndex.Hit> hits = rooms.search(room, embedder.embed(List.of("which flowers grow in the garden")).get(0), 3);
        assertThat(hits.get(0).file()).isEqualTo("garden.md");
        assertThat(hits.get(0).score()).isBetween(0.3, 1.0);

        assertThat(runs.results(runs.run(uploads, null))).extracting(FileResult::outcome).containsOnly(Outcome.UNCHANGED);

        Map<String, Object> before = snapshot(redis);
        // each chunk's hash and vector, three document hashes, the doc set and the meta hash
        assertThat(before).hasSize(chunks * 2 + 5);
        rooms.deleteRoom(room);
        assertThat(redis.keys("room:{" + room + "}:*")).isEmpty();
        assertThat(runs.rehydrate(room, archive.roomDir(room).getParent()).getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(snapshot(redis)).isEqualTo(before);
    }
}
