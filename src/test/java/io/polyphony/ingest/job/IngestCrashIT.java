package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisTestServer;
import io.polyphony.ingest.testing.ServerProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SIGKILL in the middle of an ingest, through the packaged jar with its embedded Redis: running the same
 * command again completes the run, and Redis then holds exactly what a clean run of the same files gives.
 */
class IngestCrashIT {

    static final Path JAR = Path.of("target/polyphony-ingest.jar").toAbsolutePath();
    static final String ROOM = "crash";
    static final int FILES = 60;

    @TempDir
    Path work;

    final List<Integer> ports = new ArrayList<>();

    @AfterEach
    void stopOrphans() {
        for (int port : ports) { // kill -9 leaves the embedded redis-server behind, as it would in production
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                j.shutdown();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
    }

    /**
     * The fault suite's crash cases for the command line: first a halt right after a transaction's Redis writes, before
     * its commit (a deterministic point: {@link HaltPoints}); then SIGKILL at 10 random points, each once the previous
     * attempt's work is visible in Redis. Running the same command again after each converges: Redis then holds exactly
     * the keys, fields and vectors of a clean run of the same files.
     */
    @Test
    void killedAtTenRandomPointsAndRightAfterARedisWriteThenRerunEqualsACleanRun() throws Exception {
        Path uploads = Files.createDirectories(work.resolve("uploads").resolve(ROOM));
        for (int i = 0; i < FILES; i++) {
            // 14 chunks a file (840 in all, within the 1,000-chunk room budget): an attempt stores a few documents
            // before its kill, so ten attempts leave work for the rerun (with 3 chunks a file, faster embedding
            // stored all 60 before the tenth attempt)
            TestDocuments.text(uploads, String.format("doc%02d.txt", i), IngestJobTests.paragraphs("subject " + i, 28), UTF_8);
        }
        int crashPort = RedisTestServer.freePort();
        ports.add(crashPort);
        Path crashData = work.resolve("crash-data");

        // a crash between a transaction's Redis writes and its commit: Redis holds documents the run has not recorded
        Process halted = start(List.of("-Dpolyphony.testing.halt-at=after-writes:2"), uploads.getParent(), crashData, crashPort);
        assertThat(halted.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(halted.exitValue()).isEqualTo(137);
        assertThat(docs(crashPort)).as("two transactions written, one committed").isEqualTo(4);

        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        List<Integer> killedAt = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            int before = docs(crashPort);
            Process p = start(uploads.getParent(), crashData, crashPort);
            waitForDocs(crashPort, before + 1, p); // this attempt is ingesting (resumed, not started over)
            Thread.sleep(random.nextInt(700));
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            killedAt.add(docs(crashPort));
        }
        assertThat(killedAt).as("seed %d", seed).last().satisfies(n -> assertThat(n).isLessThan(FILES));

        Process again = start(uploads.getParent(), crashData, crashPort);
        JsonNode resumed = finish(again);
        assertThat(resumed.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(resumed.get("files").size()).isEqualTo(FILES);
        for (JsonNode f : resumed.get("files")) {
            assertThat(f.get("outcome").stringValue()).as(f.toString()).isEqualTo("INGESTED");
        }

        // the reference: a clean run into a server this test owns, so its data outlives the app
        int cleanPort = RedisTestServer.freePort();
        RedisServer cleanServer = RedisServer.builder().port(cleanPort).setting("bind 127.0.0.1").setting("save \"\"").build();
        cleanServer.start();
        JsonNode clean;
        try {
            clean = finish(start(uploads.getParent(), work.resolve("clean-data"), cleanPort, "--polyphony.redis.url=redis://127.0.0.1:" + cleanPort));
        } catch (Exception | AssertionError e) {
            cleanServer.stop();
            throw e;
        }
        assertThat(clean.get("status").stringValue()).isEqualTo("COMPLETED");

        Map<String, Map<String, String>> crashed = roomState(crashPort);
        Map<String, Map<String, String>> reference = roomState(cleanPort);
        assertThat(crashed.keySet()).isEqualTo(reference.keySet());
        for (String key : reference.keySet()) {
            Map<String, String> a = new TreeMap<>(crashed.get(key));
            Map<String, String> b = new TreeMap<>(reference.get(key));
            assertThat(a).as(key).isEqualTo(b);
        }
        assertVectorsMatch(crashPort, cleanPort);
        cleanServer.stop();
    }

    /**
     * A crash during start-up recovery: a server killed mid-run; the next one halts right after claiming the interrupted
     * execution, the next right after marking it failed; the fourth still finishes the recovery, continues the run and
     * completes it with every document once.
     */
    @Test
    void aCrashDuringStartUpRecoveryIsRecoveredByTheNextStart() throws Exception {
        Killed k = serverKilledMidRun();
        HttpClient http = HttpClient.newHttpClient();
        for (String point : List.of("recovery-claimed", "recovered")) {
            Process halting = serve(List.of("-Dpolyphony.testing.halt-at=" + point), k.jobs(), k.data(), k.redisPort(), k.httpPort());
            assertThat(halting.waitFor(180, TimeUnit.SECONDS)).as("halted at " + point).isTrue();
            assertThat(halting.exitValue()).isEqualTo(137);
        }
        assertThat(Files.readString(work.resolve("serve-" + k.httpPort() + ".txt"))).contains("halting at recovery-claimed")
                .contains("halting at recovered");
        Process last = serve(k.jobs(), k.data(), k.redisPort(), k.httpPort());
        try {
            waitForHealth(http, k.httpPort(), last);
            JsonNode interrupted = get(http, k.httpPort(), "/api/runs/" + k.execution());
            long resumed = continuation(http, k.httpPort(), k.execution(), interrupted.get("run").asLong());
            assertThat(Files.readString(work.resolve("serve-" + k.httpPort() + ".txt")))
                    .contains("whose recovery was cut short, restarted here as execution " + resumed);
            completedWithAllFiles(http, k.httpPort(), resumed);
            everyDocumentOnce(k.redisPort());
        } finally {
            last.destroy();
            last.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The server killed mid-run: the next server start recognises the run as interrupted (the lease's process
     * is gone from this host) and takes it over, completing it with every document exactly once.
     */
    @Test
    void aServerKilledMidRunIsTakenOverByTheNextStartAndCompletesOnce() throws Exception {
        Killed k = serverKilledMidRun();
        HttpClient http = HttpClient.newHttpClient();

        Process second = serve(k.jobs(), k.data(), k.redisPort(), k.httpPort());
        try {
            waitForHealth(http, k.httpPort(), second);
            JsonNode interrupted = get(http, k.httpPort(), "/api/runs/" + k.execution());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!interrupted.get("status").stringValue().equals("FAILED") && System.nanoTime() < deadline) {
                Thread.sleep(100); // recovery runs once the server is ready
                interrupted = get(http, k.httpPort(), "/api/runs/" + k.execution());
            }
            assertThat(interrupted.get("status").stringValue()).isEqualTo("FAILED");
            assertThat(Files.readString(work.resolve("serve-" + k.httpPort() + ".txt")))
                    .contains("(execution " + k.execution() + ") was interrupted");
            // the server takes the run over by itself: restarted from its last committed files
            long resumed = continuation(http, k.httpPort(), k.execution(), interrupted.get("run").asLong());
            assertThat(Files.readString(work.resolve("serve-" + k.httpPort() + ".txt")))
                    .contains("(execution " + k.execution() + ") restarted here as execution " + resumed);
            completedWithAllFiles(http, k.httpPort(), resumed);
            everyDocumentOnce(k.redisPort());
        } finally {
            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A server stopped with SIGTERM mid-run: its run stops at a transaction boundary ({@code STOPPED}, not left
     * {@code STARTED}) and is handed over; the next server continues it without a recovery, every document once.
     * Redis is external here, as it is for several servers (the embedded one would go down with the first).
     */
    @Test
    void aServerStoppedWithSigtermHandsItsRunOverAndTheNextServerContinuesIt() throws Exception {
        Path jobs = inboxJob();
        int redisPort = RedisTestServer.freePort();
        RedisServer redis = RedisServer.builder().port(redisPort).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        redis.start();
        String redisUrl = "--polyphony.redis.url=redis://127.0.0.1:" + redisPort;
        int httpPort = RedisTestServer.freePort();
        Path data = work.resolve("serve-data");
        HttpClient http = HttpClient.newHttpClient();
        try {
            Process first = serve(jobs, data, RedisTestServer.freePort(), httpPort, redisUrl);
            long execution = launchInboxAndWaitForDocs(http, httpPort, first, redisPort);
            first.destroy(); // SIGTERM
            assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String firstLog = Files.readString(work.resolve("serve-" + httpPort + ".txt"));
            assertThat(firstLog).contains("(execution " + execution + ") stops after its current transaction; it is handed over");
            assertThat(docs(redisPort)).as("stopped mid-run").isBetween(4, 23);

            int secondPort = RedisTestServer.freePort();
            Process second = serve(jobs, data, RedisTestServer.freePort(), secondPort, redisUrl);
            try {
                waitForHealth(http, secondPort, second);
                JsonNode stopped = get(http, secondPort, "/api/runs/" + execution);
                assertThat(stopped.get("status").stringValue()).isEqualTo("STOPPED");
                long resumed = continuation(http, secondPort, execution, stopped.get("run").asLong());
                completedWithAllFiles(http, secondPort, resumed);
                String secondLog = Files.readString(work.resolve("serve-" + secondPort + ".txt"));
                assertThat(secondLog).contains("(execution " + execution + ") was handed over by a server that shut down;"
                        + " continued here as execution " + resumed).doesNotContain("was interrupted");
                everyDocumentOnce(redisPort);
            } finally {
                second.destroy();
                second.waitFor(60, TimeUnit.SECONDS);
            }
        } finally {
            redis.stop();
        }
    }

    /** A server (with its embedded Redis) SIGKILLed while it runs job {@code inbox}: what the next server starts from. */
    private record Killed(Path jobs, Path data, int redisPort, int httpPort, long execution) {
    }

    private Killed serverKilledMidRun() throws Exception {
        Path jobs = inboxJob();
        int redisPort = RedisTestServer.freePort();
        ports.add(redisPort);
        int httpPort = RedisTestServer.freePort();
        Path data = work.resolve("serve-data");
        Process first = serve(jobs, data, redisPort, httpPort);
        long execution = launchInboxAndWaitForDocs(HttpClient.newHttpClient(), httpPort, first, redisPort);
        first.destroyForcibly(); // SIGKILL
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(docs(redisPort)).as("killed mid-run").isBetween(4, 23);
        return new Killed(jobs, data, redisPort, httpPort, execution);
    }

    /** A job spec {@code inbox} over a folder of 24 documents for room {@value #ROOM}: the jobs folder. */
    private Path inboxJob() throws IOException {
        Path source = Files.createDirectories(work.resolve("inbox").resolve(ROOM));
        for (int i = 0; i < 24; i++) {
            TestDocuments.text(source, String.format("doc%02d.txt", i), IngestJobTests.paragraphs("topic " + i, 10), UTF_8);
        }
        Path jobs = Files.createDirectories(work.resolve("jobs"));
        Files.writeString(jobs.resolve("inbox.yaml"), "source: " + source.getParent() + "\n");
        return jobs;
    }

    /** Launches job {@code inbox} on the server and waits until its first documents are in Redis: its execution. */
    private long launchInboxAndWaitForDocs(HttpClient http, int httpPort, Process server, int redisPort) throws Exception {
        waitForHealth(http, httpPort, server);
        HttpResponse<String> launched = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/api/jobs/inbox/runs")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(launched.statusCode()).isEqualTo(202);
        long execution = JsonMapper.shared().readTree(launched.body()).get("execution").asLong();
        waitForDocs(redisPort, 4, server);
        return execution;
    }

    /** The execution that continues the run after {@code execution}, once the server has started it by itself. */
    private static long continuation(HttpClient http, int port, long execution, long run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (JsonNode r : get(http, port, "/api/runs?limit=20")) {
                if (r.get("run").asLong() == run && r.get("execution").asLong() > execution) {
                    return r.get("execution").asLong();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("run " + run + " was not continued within 60 s");
    }

    /** Waits for the execution to end: it must complete with the 24 files of the inbox ingested. */
    private static void completedWithAllFiles(HttpClient http, int port, long id) throws Exception {
        JsonNode done = get(http, port, "/api/runs/" + id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!List.of("COMPLETED", "FAILED").contains(done.get("status").stringValue()) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            done = get(http, port, "/api/runs/" + id);
        }
        assertThat(done.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(done.get("files").size()).isEqualTo(24);
        for (JsonNode f : done.get("files")) {
            assertThat(f.get("outcome").stringValue()).as(f.toString()).isEqualTo("INGESTED");
        }
    }

    /** Nothing lost, nothing doubled: every document's chunks exactly, and no chunk of no document. */
    private static void everyDocumentOnce(int redisPort) {
        try (Jedis j = new Jedis("127.0.0.1", redisPort)) {
            assertThat(j.scard(RoomKeys.docs(ROOM))).isEqualTo(24);
            long expected = 0;
            for (String doc : j.smembers(RoomKeys.docs(ROOM))) {
                expected += Long.parseLong(j.hget(RoomKeys.doc(ROOM, doc), "chunks"));
            }
            assertThat((long) j.keys("room:{" + ROOM + "}:chunk:*").size()).isEqualTo(expected);
            assertThat(j.hget(RoomKeys.meta(ROOM), "chunks")).isEqualTo(Long.toString(expected));
        }
    }

    private Process serve(Path jobs, Path data, int redisPort, int httpPort, String... extra) throws IOException {
        return serve(List.of(), jobs, data, redisPort, httpPort, extra);
    }

    /**
     * JVM options of every process started here: C1 only and the serial collector start the jar about 4 s sooner on 2
     * cores (13.2 s against 8.3–9.5 s for a one-file {@code ingest}); this suite starts about 20 of them.
     */
    static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private Process serve(List<String> jvm, Path jobs, Path data, int redisPort, int httpPort, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(QUICK_START);
        cmd.addAll(jvm);
        cmd.addAll(List.of("-jar", JAR.toString(), "serve", "--server.port=" + httpPort, "--polyphony.data-dir=" + data,
                "--polyphony.jobs-dir=" + jobs, "--polyphony.redis.embedded-port=" + redisPort,
                "--polyphony.ingest.files-per-chunk=4"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("serve-" + httpPort + ".txt").toFile())).start();
    }

    private static void waitForHealth(HttpClient http, int port, Process p) throws InterruptedException {
        ServerProcesses.waitForHealth(http, port, p);
    }

    private static JsonNode get(HttpClient http, int port, String path) throws Exception {
        return JsonMapper.shared().readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private Process start(Path uploads, Path data, int port, String... extra) throws IOException {
        return start(List.of(), uploads, data, port, extra);
    }

    private Process start(List<String> jvm, Path uploads, Path data, int port, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(QUICK_START);
        cmd.addAll(jvm);
        cmd.addAll(List.of("-jar", JAR.toString(),
                "ingest", uploads.toString(), "--json", "--polyphony.data-dir=" + data,
                "--polyphony.redis.embedded-port=" + port, "--polyphony.ingest.files-per-chunk=2"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(work.resolve("out-" + port + "-" + System.nanoTime() + ".json").toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("err-" + port + ".txt").toFile()))
                .start();
    }

    private JsonNode finish(Process p) throws Exception {
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("ingest finished").isTrue();
        Path out = Files.list(work).filter(f -> f.getFileName().toString().startsWith("out-"))
                .max((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString())).orElseThrow();
        Path newest = Files.list(work).filter(f -> f.getFileName().toString().startsWith("out-"))
                .max((x, y) -> Long.compare(x.toFile().lastModified(), y.toFile().lastModified())).orElse(out);
        String json = Files.readString(newest);
        assertThat(p.exitValue()).as(json).isZero();
        return JsonMapper.shared().readTree(json);
    }

    private void waitForDocs(int port, int atLeast, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (docs(port) >= atLeast) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the first run never stored " + atLeast + " documents");
    }

    private static int docs(int port) {
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            return (int) j.scard(RoomKeys.docs(ROOM));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Every key of the room with its fields, minus timestamps, run ids and vectors (compared separately). */
    private static Map<String, Map<String, String>> roomState(int port) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            for (String k : j.keys("room:{" + ROOM + "}:*")) {
                Map<String, String> v = new TreeMap<>();
                switch (j.type(k)) {
                    case "hash" -> j.hgetAll(k).forEach((f, x) -> {
                        if (!List.of("embedding", "ingested_at", "last_active", "run").contains(f)) {
                            v.put(f, x);
                        }
                    });
                    case "set" -> v.put("members", new java.util.TreeSet<>(j.smembers(k)).toString());
                    default -> v.put("type", j.type(k));
                }
                out.put(k, v);
            }
        }
        return out;
    }

    /** Batches differ between the two runs, so padding differs; vectors agree to float rounding. */
    private static void assertVectorsMatch(int portA, int portB) {
        try (Jedis a = new Jedis("127.0.0.1", portA); Jedis b = new Jedis("127.0.0.1", portB)) {
            for (String k : b.keys("room:{" + ROOM + "}:chunk:*")) {
                float[] va = RoomIndex.fromBytes(a.hget(k.getBytes(UTF_8), "embedding".getBytes(UTF_8)));
                float[] vb = RoomIndex.fromBytes(b.hget(k.getBytes(UTF_8), "embedding".getBytes(UTF_8)));
                assertThat(va).hasSize(768);
                double dot = 0;
                for (int i = 0; i < va.length; i++) {
                    dot += va[i] * vb[i];
                }
                assertThat(dot).as(k).isGreaterThan(io.polyphony.ingest.embed.EmbedderBehaviourTests.SAME);
            }
        }
    }
}
