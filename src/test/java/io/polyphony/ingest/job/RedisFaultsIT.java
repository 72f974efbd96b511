package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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
 * The fault suite's Redis cases, each started at a transaction boundary by the progress hook (deterministic, no
 * racing watcher), against a real redis-server that persists every write (AOF {@code always}), so that stopping and
 * starting it loses nothing: stopped for 5 s (within the retry budget: the run goes on), frozen with SIGSTOP for 60 s
 * (no thread waits beyond its timeout: the step fails in bounded time and the run resumes once Redis thaws),
 * {@code MISCONF} (a failed snapshot makes Redis refuse writes: retried, then the step fails; resumed once it saves
 * again), and the job's connections killed every 200 ms. Each ends with every document stored exactly once.
 * (Redis down for longer than the retry budget: {@link IngestRestartTests}; Redis OOM: {@code IngestJobTests}.)
 */
@SpringBatchTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "spring.datasource.url=jdbc:h2:mem:redisfaults;DB_CLOSE_DELAY=-1", "polyphony.data-dir=target/test-data/redisfaults",
        "polyphony.ingest.files-per-chunk=2"})
class RedisFaultsIT {

    static final int PORT = RedisTestServer.freePort();
    static final int FILES = 10;
    static Path redisDir;
    static RedisServer server;
    static volatile long frozen;

    @BeforeAll
    static void startRedis() throws IOException {
        redisDir = Files.createTempDirectory("redis-faults");
        server = start();
    }

    static RedisServer start() {
        RedisServer s = RedisServer.builder().port(PORT).setting("bind 127.0.0.1").setting("dir " + redisDir)
                .setting("appendonly yes").setting("appendfsync always").setting("save 3600 1").build();
        s.start();
        return s;
    }

    @AfterAll
    static void stopRedis() {
        if (frozen > 0) {
            signal("CONT", frozen); // a failed freeze test must not leave a stopped server that cannot be shut down
        }
        server.stop();
    }

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + PORT);
    }

    @Autowired
    IngestRuns runs;
    @Autowired
    IngestProgress progress;

    @TempDir
    Path uploads;

    final String room = "f" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void noHook() {
        progress.afterWrites(null);
    }

    private Path files() throws IOException {
        Path dir = Files.createDirectories(uploads.resolve(room));
        for (int i = 0; i < FILES; i++) {
            TestDocuments.text(dir, String.format("doc%02d.md", i), IngestJobTests.paragraphs("fault " + i, 4), UTF_8);
        }
        return uploads;
    }

    /** Runs {@code fault} (on its own thread) once the run's second transaction has written, before it commits. */
    private CountDownLatch atSecondTransaction(Runnable fault) {
        AtomicInteger transactions = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        progress.afterWrites(results -> {
            if (transactions.incrementAndGet() == 2) {
                Thread t = new Thread(fault, "fault");
                t.setDaemon(true);
                t.start();
                started.countDown();
            }
        });
        return started;
    }

    private static RedisClient client() {
        return RedisClient.create("127.0.0.1", PORT);
    }

    /** Nothing lost, nothing doubled: every document's chunks exactly, and no chunk of no document. */
    private void everyDocumentOnce() {
        try (RedisClient c = client()) {
            assertThat(c.scard(RoomKeys.docs(room))).isEqualTo(FILES);
            long expected = 0;
            for (String doc : c.smembers(RoomKeys.docs(room))) {
                expected += Long.parseLong(c.hget(RoomKeys.doc(room, doc), "chunks"));
            }
            assertThat((long) c.keys("room:{" + room + "}:chunk:*").size()).isEqualTo(expected);
            assertThat(c.hget(RoomKeys.meta(room), "chunks")).isEqualTo(Long.toString(expected));
        }
    }

    private void allIngested(JobExecution e) {
        assertThat(e.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(runs.results(e)).hasSize(FILES).extracting(FileResult::outcome).containsOnly(Outcome.INGESTED);
        everyDocumentOnce();
    }

    /** The server's pid, read while it answers (a frozen server does not). */
    private static long pid() {
        try (RedisClient c = client()) {
            return RedisInfo.of(c, "server").number("process_id");
        }
    }

    private static void signal(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void redisStoppedForFiveSecondsMidRunIsWaitedOutAndTheRunCompletes() throws Exception {
        CountDownLatch faulted = atSecondTransaction(() -> {
            server.stop();
            sleep(Duration.ofSeconds(5));
            server = start();
        });
        JobExecution e = runs.run(files(), null);
        assertThat(faulted.getCount()).isZero();
        allIngested(e);
    }

    @Test
    void redisFrozenForAMinuteFailsTheStepInBoundedTimeAndTheRunResumesOnceItThaws() throws Exception {
        CountDownLatch thawed = new CountDownLatch(1);
        long pid = pid();
        frozen = pid;
        atSecondTransaction(() -> {
            signal("STOP", pid);
            sleep(Duration.ofSeconds(60));
            signal("CONT", pid);
            thawed.countDown();
        });
        long t0 = System.nanoTime();
        JobExecution failed = runs.run(files(), null);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
        assertThat(IngestRuns.failureMessage(failed)).startsWith("Redis unavailable while");
        // every call gives up after its socket timeout, the retries after their budget: well before Redis thaws
        assertThat(took).isLessThan(Duration.ofSeconds(50));
        progress.afterWrites(null);
        assertThat(thawed.await(90, TimeUnit.SECONDS)).isTrue();
        JobExecution resumed = runs.run(uploads, null);
        assertThat(resumed.getJobInstance().getId()).isEqualTo(failed.getJobInstance().getId());
        allIngested(resumed);
    }

    @Test
    void misconfRefusesWritesUntilRedisCanSaveAgainAndTheRunThenResumes() throws Exception {
        Path dump = redisDir.resolve("dump.rdb");
        AtomicBoolean refused = new AtomicBoolean();
        atSecondTransaction(() -> {
            try (RedisClient c = client()) {
                // a folder where the snapshot goes: the next snapshot fails, and Redis refuses writes (MISCONF)
                Files.deleteIfExists(dump);
                Files.createDirectory(dump);
                c.sendCommand(redis.clients.jedis.Protocol.Command.BGSAVE);
                for (int i = 0; i < 100 && !RedisInfo.of(c, "persistence").text("rdb_last_bgsave_status", "").equals("err"); i++) {
                    sleep(Duration.ofMillis(50));
                }
                try {
                    c.set("misconf-probe", "x");
                } catch (RuntimeException e) {
                    refused.set(String.valueOf(e.getMessage()).startsWith("MISCONF"));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        JobExecution failed = runs.run(files(), null);
        assertThat(refused).isTrue();
        assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
        assertThat(IngestRuns.failureMessage(failed)).startsWith("Redis unavailable while").contains("MISCONF");
        progress.afterWrites(null);
        Files.delete(dump);
        try (RedisClient c = client()) {
            c.sendCommand(redis.clients.jedis.Protocol.Command.BGSAVE);
            for (int i = 0; i < 100 && !RedisInfo.of(c, "persistence").text("rdb_last_bgsave_status", "").equals("ok"); i++) {
                sleep(Duration.ofMillis(50));
            }
        }
        allIngested(runs.run(uploads, null));
    }

    @Test
    void theJobsConnectionsKilledEvery200MsDuringTheRunCostRetriesNotDocuments() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger killed = new AtomicInteger();
        Thread killer = new Thread(() -> {
            try (RedisClient c = client()) {
                while (!done.get()) {
                    killed.addAndGet(((Long) c.sendCommand(redis.clients.jedis.Protocol.Command.CLIENT, "KILL", "TYPE",
                            "normal", "SKIPME", "yes")).intValue());
                    sleep(Duration.ofMillis(200));
                }
            }
        }, "client-killer");
        killer.start();
        JobExecution e;
        try {
            e = runs.run(files(), null);
        } finally {
            done.set(true);
            killer.join();
        }
        assertThat(killed.get()).as("connections killed").isPositive();
        allIngested(e);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
