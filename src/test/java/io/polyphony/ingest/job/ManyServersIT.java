package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.testing.PostgresTestServer;
import io.polyphony.ingest.testing.RedisTestServer;
import io.polyphony.ingest.testing.ServerProcesses;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two {@code serve} processes of the packaged jar on one PostgreSQL, one Redis and one shared data folder, as several
 * instances behind a load balancer run. Uploads go to both; one server is killed (SIGKILL) or both are restarted in
 * turn (SIGTERM) while they work. Afterwards every accepted upload has exactly one final outcome, no execution ran on
 * two servers, and Redis holds exactly what one {@code ingest} of the same archive gives (keys, fields, vectors).
 */
class ManyServersIT {

    static final Path JAR = Path.of("target/polyphony-ingest.jar").toAbsolutePath();
    static final int FILES = 60;
    static final int ROOMS = 6;
    static final Pattern RUNS = Pattern.compile("instance (\\S+) runs execution (\\d+) ");
    static final Pattern ENDED = Pattern.compile("instance \\S+ ended execution (\\d+) ");

    @TempDir
    Path work;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final List<Process> processes = new CopyOnWriteArrayList<>();
    RedisServer redis;
    int redisPort;
    String database;

    /** An upload the API accepted (202): its execution, and the SHA-256 of the bytes sent. */
    record Accepted(String room, String name, long execution, String sha256) {
    }

    @BeforeEach
    void servers() throws IOException {
        redisPort = RedisTestServer.freePort();
        redis = RedisServer.builder().port(redisPort).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        redis.start();
        database = PostgresTestServer.newDatabase("many" + System.nanoTime() % 1_000_000_000);
        Files.createDirectories(work.resolve("jobs"));
    }

    @AfterEach
    void stop() throws IOException {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        redis.stop();
    }

    /**
     * Twenty concurrent launches of one job on two servers start it once; a burst of uploads over the backlog gets
     * 429s and is sent again; the same file name uploaded to each server ends with the later content everywhere; and
     * a server killed mid-run has its runs finished by the other, by lease expiry and from the shared queue.
     */
    @Test
    void twoServersShareTheWorkAndTheSurvivorFinishesAKilledOnesRuns() throws Exception {
        Path specSource = Files.createDirectories(work.resolve("spec-source").resolve("spec"));
        for (int i = 0; i < 3; i++) {
            Files.writeString(specSource.resolve("spec" + i + ".txt"), IngestJobTests.paragraphs("declared " + i, 4));
        }
        Files.writeString(work.resolve("jobs").resolve("uploads.yaml"), "source: " + specSource.getParent() + "\n");
        int a = RedisTestServer.freePort();
        int b = RedisTestServer.freePort();
        Process serverA = serve("a", a, "--polyphony.backlog=6");
        Process serverB = serve("b", b, "--polyphony.backlog=6");
        waitForHealth(a, serverA);
        waitForHealth(b, serverB);

        // 20 concurrent launches of job "uploads", half on each server: exactly one execution
        List<Integer> codes = concurrently(20, i -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + (i % 2 == 0 ? a : b) + "/api/jobs/uploads/runs")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertThat(codes.stream().filter(c -> c == 202).count()).as(codes.toString()).isEqualTo(1);
        assertThat(codes.stream().filter(c -> c == 409).count()).as(codes.toString()).isEqualTo(19);
        assertThat(get(a, "/api/runs?limit=100").size()).isEqualTo(1);

        // one file name into one room through each server, the second a moment later: the later content wins
        Accepted first = upload(a, "r0", "same.md", "# First version\n\n" + IngestJobTests.paragraphs("first", 3));
        Accepted later = upload(b, "r0", "same.md", "# Second version\n\n" + IngestJobTests.paragraphs("second", 3));

        List<Accepted> accepted = new CopyOnWriteArrayList<>();
        AtomicInteger busy = new AtomicInteger();
        List<Integer> ports = new CopyOnWriteArrayList<>(List.of(a, b));
        ExecutorService uploader = Executors.newSingleThreadExecutor();
        Future<?> uploads = uploader.submit(() -> {
            uploadAll(ports, accepted, busy);
            return null;
        });
        // kill server a while it runs an execution, after both have done some work
        long killed = awaitMidRun("a", 6);
        serverA.destroyForcibly();
        ports.remove(Integer.valueOf(a));
        assertThat(serverA.waitFor(30, TimeUnit.SECONDS)).isTrue();
        uploads.get(300, TimeUnit.SECONDS);
        uploader.shutdown();
        assertThat(accepted).hasSize(FILES);
        assertThat(busy.get()).as("uploads answered 429 over the backlog").isPositive();

        List<Accepted> all = new ArrayList<>(accepted);
        all.add(first);
        all.add(later);
        Map<Long, JsonNode> finals = awaitFinalOutcomes(b, all);
        for (Accepted u : accepted) {
            JsonNode f = finals.get(u.execution()).get("files").get(0);
            assertThat(f.get("sha256").stringValue()).as(u.toString()).isEqualTo(u.sha256());
        }
        // the killed server's run was recovered and finished by the survivor, from its last committed files
        JsonNode interrupted = get(b, "/api/runs/" + killed);
        assertThat(interrupted.get("status").stringValue()).isEqualTo("FAILED");
        assertThat(interrupted.get("runStatus").stringValue()).isEqualTo("COMPLETED");
        assertThat(log("b")).contains("(execution " + killed + ") restarted here as execution "
                + interrupted.get("lastExecution").asLong());

        // the later upload of same.md is what the archive, its run's result and the room hold
        Path archived = work.resolve("data").resolve("uploads").resolve("r0").resolve("same.md");
        assertThat(sha256(Files.readAllBytes(archived))).isEqualTo(later.sha256());
        assertThat(finals.get(later.execution()).get("files").get(0).get("sha256").stringValue()).isEqualTo(later.sha256());
        try (Jedis j = new Jedis("127.0.0.1", redisPort)) {
            String doc = j.smembers("room:{r0}:docs").stream().filter(d -> "same.md".equals(j.hget("room:{r0}:doc:" + d, "file")))
                    .findFirst().orElseThrow();
            assertThat(j.hget("room:{r0}:doc:" + doc, "sha256")).isEqualTo(later.sha256());
        }
        ranOnOneServerEach("a", "b");
        equalsOneIngestOfTheArchive();
    }

    /** Each server stopped with SIGTERM in turn and started again while 60 uploads, then 30 more, are worked through. */
    @Test
    void aRollingRestartWithSigtermLosesAndDuplicatesNothing() throws Exception {
        int a = RedisTestServer.freePort();
        int b = RedisTestServer.freePort();
        Process serverA = serve("a", a, "--polyphony.backlog=100");
        Process serverB = serve("b", b, "--polyphony.backlog=100");
        waitForHealth(a, serverA);
        waitForHealth(b, serverB);
        List<Accepted> accepted = new CopyOnWriteArrayList<>();
        uploadAll(new CopyOnWriteArrayList<>(List.of(a, b)), accepted, new AtomicInteger());
        assertThat(accepted).hasSize(FILES);

        awaitMidRun("a", 3);
        serverA.destroy(); // SIGTERM
        assertThat(serverA.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Process againA = serve("a2", a, "--polyphony.backlog=100");
        waitForHealth(a, againA);
        // a second wave, so that b still has work when its turn comes (the first can be done by then)
        uploadAll(new CopyOnWriteArrayList<>(List.of(a, b)), accepted, new AtomicInteger(), "late", FILES / 2);
        assertThat(accepted).hasSize(FILES + FILES / 2);
        awaitMidRun("b", 3);
        serverB.destroy();
        assertThat(serverB.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Process againB = serve("b2", b, "--polyphony.backlog=100");
        waitForHealth(b, againB);

        Map<Long, JsonNode> finals = awaitFinalOutcomes(a, accepted);
        for (Accepted u : accepted) {
            assertThat(finals.get(u.execution()).get("files").get(0).get("sha256").stringValue()).isEqualTo(u.sha256());
            // every server answers the same for every run
            assertThat(get(b, "/api/runs/" + u.execution())).isEqualTo(get(a, "/api/runs/" + u.execution()));
        }
        // a run caught between two transactions was handed over and continued elsewhere; one caught in its last
        // moments (its step done, its end being recorded) simply completed where it was. Nothing was ever recovered.
        String stopped = log("a") + log("b");
        String survivors = log("a2") + log("b") + log("b2");
        if (stopped.contains("it is handed over")) {
            assertThat(survivors).contains("was handed over by a server that shut down");
        }
        assertThat(survivors).doesNotContain("was interrupted");
        ranOnOneServerEach("a", "b", "a2", "b2");
        equalsOneIngestOfTheArchive();
    }

    // ---- the servers

    private Process serve(String name, int httpPort, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "serve", "--server.port=" + httpPort,
                "--polyphony.data-dir=" + work.resolve("data"), "--polyphony.jobs-dir=" + work.resolve("jobs"),
                "--polyphony.redis.url=redis://127.0.0.1:" + redisPort, "--spring.datasource.url=" + database,
                "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                "--polyphony.workers=1", "--polyphony.lease.heartbeat=1s", "--polyphony.lease.expiry=5s",
                "--polyphony.ingest.files-per-chunk=2"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("serve-" + name + ".txt").toFile())).start();
        processes.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        Path f = work.resolve("serve-" + name + ".txt");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private void waitForHealth(int port, Process p) throws InterruptedException {
        try {
            ServerProcesses.waitForHealth(http, port, p);
        } catch (AssertionError e) {
            // what the servers said: a server that does not come up says why in its log
            StringBuilder logs = new StringBuilder(e.getMessage());
            try (var files = Files.list(work)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("serve-")).sorted().toList()) {
                    List<String> lines = Files.readAllLines(f).stream().filter(l -> !l.contains("][cds")).toList();
                    logs.append("\n--- ").append(f.getFileName()).append(" (last 40 lines)\n")
                            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
                }
            } catch (IOException io) {
                logs.append("\n(logs unreadable: ").append(io).append(')');
            }
            throw new AssertionError(logs.toString(), e);
        }
    }

    /**
     * Waits until the named server has ended {@code atLeast} executions and is running one now: its id. (A worker runs
     * one execution after another, so "running now" comes round at once.)
     */
    private long awaitMidRun(String name, int atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            String log = log(name);
            List<Long> started = ids(RUNS.matcher(log), 2);
            List<Long> ended = ids(ENDED.matcher(log), 1);
            if (ended.size() >= atLeast && !started.isEmpty() && !ended.contains(started.get(started.size() - 1))) {
                return started.get(started.size() - 1);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("server " + name + " never ran " + atLeast + " executions");
    }

    private static List<Long> ids(Matcher m, int group) {
        List<Long> out = new ArrayList<>();
        while (m.find()) {
            out.add(Long.parseLong(m.group(group)));
        }
        return out;
    }

    /** No execution was ever run by two servers (each worker logs the executions it runs). */
    private void ranOnOneServerEach(String... names) throws IOException {
        Map<Long, String> ranBy = new HashMap<>();
        for (String name : names) {
            Matcher m = RUNS.matcher(log(name));
            while (m.find()) {
                String before = ranBy.put(Long.parseLong(m.group(2)), name + " " + m.group(1));
                assertThat(before).as("execution " + m.group(2) + " ran twice").isNull();
            }
        }
        assertThat(ranBy).isNotEmpty();
    }

    // ---- uploads

    /** 60 files over 6 rooms, sent to the live servers in turn; a 429 or a dead server means: send it again. */
    private void uploadAll(List<Integer> ports, List<Accepted> accepted, AtomicInteger busy) throws Exception {
        uploadAll(ports, accepted, busy, "doc", FILES);
    }

    private void uploadAll(List<Integer> ports, List<Accepted> accepted, AtomicInteger busy, String prefix, int files)
            throws Exception {
        for (int i = 0; i < files; i++) {
            String room = "r" + (i % ROOMS);
            String name = String.format("%s%02d.md", prefix, i);
            String content = "# Document " + i + "\n\n" + IngestJobTests.paragraphs("subject " + i, 5);
            for (int attempt = 0; ; attempt++) {
                assertThat(attempt).as("upload of " + name + " kept failing").isLessThan(200);
                int port = ports.get((i + attempt) % ports.size());
                HttpResponse<String> r;
                try {
                    r = send(port, room, name, content);
                } catch (IOException serverGone) {
                    Thread.sleep(200);
                    continue;
                }
                if (r.statusCode() == 429) {
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    busy.incrementAndGet();
                    Thread.sleep(500); // sooner than Retry-After: the test wants to see more 429s, not fewer
                    continue;
                }
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                accepted.add(new Accepted(room, name, JsonMapper.shared().readTree(r.body()).get("execution").asLong(),
                        sha256(content.getBytes(UTF_8))));
                break;
            }
        }
    }

    private Accepted upload(int port, String room, String name, String content) throws Exception {
        HttpResponse<String> r = send(port, room, name, content);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return new Accepted(room, name, JsonMapper.shared().readTree(r.body()).get("execution").asLong(),
                sha256(content.getBytes(UTF_8)));
    }

    private HttpResponse<String> send(int port, String room, String name, String content) throws Exception {
        String boundary = "----polyphony" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: text/markdown\r\n\r\n").getBytes(UTF_8));
        body.write(content.getBytes(UTF_8));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/rooms/" + room + "/documents"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits until the run of every accepted upload has ended, and checks it has exactly one final outcome: its newest
     * execution completed with one file, ingested or unchanged. The final executions' views, by upload execution.
     */
    private Map<Long, JsonNode> awaitFinalOutcomes(int port, List<Accepted> uploads) throws Exception {
        Map<Long, JsonNode> out = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(400);
        for (Accepted u : uploads) {
            JsonNode v = get(port, "/api/runs/" + u.execution());
            while (List.of("STARTING", "STARTED", "STOPPING", "FAILED", "STOPPED").contains(v.get("runStatus").stringValue())
                    && System.nanoTime() < deadline) {
                Thread.sleep(250);
                v = get(port, "/api/runs/" + u.execution());
            }
            JsonNode last = get(port, "/api/runs/" + v.get("lastExecution").asLong());
            assertThat(last.get("status").stringValue()).as(u + ": " + last).isEqualTo("COMPLETED");
            assertThat(last.get("files").size()).as(u + ": " + last).isEqualTo(1);
            JsonNode f = last.get("files").get(0);
            assertThat(f.get("outcome").stringValue()).as(u + ": " + f).isIn("INGESTED", "UNCHANGED");
            assertThat(f.get("path").stringValue()).endsWith("/" + u.room() + "/" + u.name());
            out.put(u.execution(), last);
        }
        return out;
    }

    private JsonNode get(int port, String path) throws Exception {
        return JsonMapper.shared().readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static <T> List<T> concurrently(int n, Call<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.call(k);
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    interface Call<T> {
        T call(int i) throws Exception;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    // ---- the reference

    /**
     * One {@code ingest} of the shared archive, by one process into a Redis of its own, gives the same keys, the same
     * fields (but times, run ids and write counters) and the same vectors as the servers' work.
     */
    private void equalsOneIngestOfTheArchive() throws Exception {
        int port = RedisTestServer.freePort();
        RedisServer reference = RedisServer.builder().port(port).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        reference.start();
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    JAR.toString(), "ingest", work.resolve("data").resolve("uploads").toString(), "--json",
                    "--polyphony.data-dir=" + work.resolve("reference-data"), "--polyphony.redis.url=redis://127.0.0.1:" + port)
                    .directory(work.toFile()).redirectOutput(work.resolve("reference.json").toFile())
                    .redirectError(work.resolve("reference-err.txt").toFile()).start();
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(work.resolve("reference-err.txt"))).isZero();
            Map<String, Map<String, String>> servers = roomsState(redisPort);
            Map<String, Map<String, String>> one = roomsState(port);
            assertThat(servers.keySet()).isEqualTo(one.keySet());
            for (String key : one.keySet()) {
                assertThat(servers.get(key)).as(key).isEqualTo(one.get(key));
            }
            try (Jedis x = new Jedis("127.0.0.1", redisPort); Jedis y = new Jedis("127.0.0.1", port)) {
                for (String k : y.keys("room:*:chunk:*")) {
                    float[] u = RoomIndex.fromBytes(x.hget(k.getBytes(UTF_8), "embedding".getBytes(UTF_8)));
                    float[] v = RoomIndex.fromBytes(y.hget(k.getBytes(UTF_8), "embedding".getBytes(UTF_8)));
                    double dot = 0;
                    for (int i = 0; i < v.length; i++) {
                        dot += u[i] * v[i];
                    }
                    assertThat(dot).as(k).isGreaterThan(io.polyphony.ingest.embed.EmbedderBehaviourTests.SAME);
                }
            }
        } finally {
            reference.stop();
        }
    }

    /** Every room key with its fields, but times, run ids, write counters and vectors. */
    private static Map<String, Map<String, String>> roomsState(int port) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            for (String k : j.keys("room:*")) {
                Map<String, String> v = new TreeMap<>();
                switch (j.type(k)) {
                    case "hash" -> j.hgetAll(k).forEach((f, x) -> {
                        if (!List.of("embedding", "ingested_at", "last_active", "run", "version").contains(f)) {
                            v.put(f, x);
                        }
                    });
                    case "set" -> v.put("members", new java.util.TreeSet<>(j.smembers(k)).toString());
                    default -> v.put("type", j.type(k));
                }
                out.put(k, v);
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }
}
