package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.test.context.SpringBatchTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.clients.jedis.RedisClient;
import redis.embedded.RedisServer;

/**
 * Redis goes away in the middle of a run: the step retries, then fails with a clear error; once Redis is
 * back, the same run resumes and ends with every file stored exactly once.
 */
@SpringBatchTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = { // as the command line runs: no server, runs wait
        "spring.datasource.url=jdbc:h2:mem:ingestrestart;DB_CLOSE_DELAY=-1", "polyphony.data-dir=target/test-data/ingestrestart",
        "polyphony.ingest.files-per-chunk=2", "polyphony.redis.retry-attempts=3", "polyphony.redis.retry-delay=20ms"})
class IngestRestartTests {

    static final int PORT = RedisTestServer.freePort();
    static RedisServer server;

    /** Each class of this suite (H2, PostgreSQL) starts the server on the port and stops it after. */
    @BeforeAll
    static void startRedis() {
        server = start();
    }

    static RedisServer start() {
        RedisServer s = RedisServer.builder().port(PORT).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        s.start();
        return s;
    }

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + PORT);
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Autowired
    IngestRuns runs;

    @Autowired
    FileResults results;

    @TempDir
    Path uploads;

    @Test
    void aRunThatLostRedisResumesToCompletionWithoutDuplicates() throws Exception {
        try (RedisClient c = RedisClient.create("127.0.0.1", PORT)) {
            c.flushAll(); // this class's own server: a run of another database's suite may have left the room
        }
        Path room = Files.createDirectories(uploads.resolve("restart"));
        for (int i = 0; i < 6; i++) {
            TestDocuments.text(room, "doc" + i + ".txt", IngestJobTests.paragraphs("topic " + i, 4 + i), UTF_8);
        }
        // Redis dies after the first transaction's files are stored
        Path trigger = room.resolve("doc2.txt");
        Thread killer = new Thread(() -> {
            try (RedisClient c = RedisClient.create("127.0.0.1", PORT)) {
                while (c.scard(RoomKeys.docs("restart")) < 2) {
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                return;
            }
            server.stop();
        });
        killer.start();
        JobExecution failed = runs.run(uploads, null);
        killer.join();
        assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
        assertThat(IngestRuns.failureMessage(failed)).startsWith("Redis unavailable while").contains("gave up after 3 attempts");
        List<FileResult> partial = runs.results(failed);
        assertThat(partial.size()).isLessThan(6);
        assertThat(Files.exists(trigger)).isTrue();

        // a file that sorts first arrives before the resume: it waits for the next run, and shifts nothing
        Files.writeString(room.resolve("aaa-late.txt"), "A late upload.");
        server = start(); // data lost with the server: the resumed run must write everything it has not recorded
        JobExecution resumed = runs.run(uploads, null);
        assertThat(resumed.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(resumed.getJobInstance().getId()).isEqualTo(failed.getJobInstance().getId());
        List<FileResult> all = runs.results(resumed);
        assertThat(all).hasSize(6).extracting(FileResult::seq).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(all).extracting(r -> Path.of(r.path()).getFileName().toString())
                .containsExactly("doc0.txt", "doc1.txt", "doc2.txt", "doc3.txt", "doc4.txt", "doc5.txt");
        assertThat(all).extracting(FileResult::outcome).doesNotContain(Outcome.FAILED, Outcome.REJECTED);
        try (RedisClient c = RedisClient.create("127.0.0.1", PORT)) {
            int resumedChunks = all.stream().skip(partial.size()).mapToInt(FileResult::chunks).sum();
            assertThat(c.keys("room:{restart}:chunk:*")).hasSize(resumedChunks);
            assertThat(c.hget(RoomKeys.meta("restart"), "chunks")).isEqualTo(Integer.toString(resumedChunks));
        }
    }
}
