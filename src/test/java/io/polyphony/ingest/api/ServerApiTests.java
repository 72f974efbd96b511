package io.polyphony.ingest.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.job.IngestRuns;
import io.polyphony.ingest.job.ServerRunsConfiguration.InterruptedRunsRecovery;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.schedule.DeclaredJobs;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.clients.jedis.RedisClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server through real HTTP (Tomcat on a random port), with the real redis-server, H2, Tika and model:
 * launch, status, 409, restart after a failure, replay of a killed run, uploads, rooms, health, metrics, auth.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:serverapi;DB_CLOSE_DELAY=-1", "polyphony.api-key=test-key",
        "polyphony.ingest.max-chunks-per-file=40"})
@DirtiesContext // its scheduler ticks on shared folders: closed before another server test starts
class ServerApiTests {

    static final Path ROOT;
    static final String KEY = "test-key";

    static {
        try {
            ROOT = Files.createTempDirectory("server-api");
            Path jobs = Files.createDirectories(ROOT.resolve("jobs"));
            Files.writeString(jobs.resolve("docs.yaml"), "source: docs\n");
            Files.writeString(jobs.resolve("locked.yaml"), "source: locked-src\n");
            TestDocuments.text(Files.createDirectories(ROOT.resolve("locked-src/team-l")), "memo.md", "A short memo.", UTF_8);
            Files.writeString(jobs.resolve("many.yaml"), "source: many\nmax-chunks-per-file: 5\n");
            Files.writeString(jobs.resolve("ticking.yaml"), "source: ticking\nschedule: \"*/2 * * * * *\"\n");
            TestDocuments.text(Files.createDirectories(ROOT.resolve("ticking/team-t")), "daily.md", "Daily notes: all good.", UTF_8);
            Path docs = Files.createDirectories(ROOT.resolve("docs/team-a"));
            TestDocuments.text(docs, "agenda.md", "# Agenda\n\nThe launch in Berlin moves to March. Budget 40k.\n", UTF_8);
            TestDocuments.executable(docs, "tool.txt");
            Path many = Files.createDirectories(ROOT.resolve("many/team-m"));
            for (int i = 0; i < 16; i++) {
                TestDocuments.text(many, "notes-" + i + ".md", ("Item " + i + " of the plan: owners, dates and risks. ").repeat(60), UTF_8);
            }
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + RedisTestServer.port());
        r.add("polyphony.jobs-dir", () -> ROOT.resolve("jobs").toString());
        r.add("polyphony.data-dir", () -> ROOT.resolve("data").toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    JobRepository jobRepository;
    @Autowired
    InterruptedRunsRecovery recovery;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    DeclaredJobs jobs;
    @Autowired
    io.polyphony.ingest.job.RunOwners owners;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final RedisClient redis = RedisTestServer.client();
    final String room = "r" + UUID.randomUUID().toString().substring(0, 8);
    @org.springframework.beans.factory.annotation.Autowired
    RedisMemoryHealthIndicator healthIndicator;
    @org.springframework.beans.factory.annotation.Autowired
    io.polyphony.ingest.job.IngestProgress progress;

    record Reply(int status, JsonNode json, HttpResponse<String> raw) {
    }

    Reply send(String method, String path, HttpRequest.BodyPublisher body, String contentType, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).method(method, body);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (key != null) {
            b.header("X-API-Key", key);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isBlank() || !r.body().strip().matches("(?s)^[\\[{].*") ? null : JsonMapper.shared().readTree(r.body());
        return new Reply(r.statusCode(), json, r);
    }

    /** A read with the API key: with a key configured, every /api/** request needs it. */
    Reply get(String path) throws Exception {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), null, KEY);
    }

    Reply post(String path) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.noBody(), null, KEY);
    }

    Reply upload(String room, String fileName, byte[] content, String key) throws Exception {
        String boundary = "----polyphony" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(UTF_8));
        return send("POST", "/api/rooms/" + room + "/documents", HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()),
                "multipart/form-data; boundary=" + boundary, key);
    }

    /** Polls the run until it has ended. */
    JsonNode finished(long execution) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            JsonNode run = get("/api/runs/" + execution).json();
            String s = run.get("status").stringValue();
            if (!s.equals("STARTING") && !s.equals("STARTED") && !s.equals("STOPPING")) {
                return run;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("run " + execution + " still " + s);
            }
            Thread.sleep(200);
        }
    }

    @Test
    void launchesADeclaredJobAndReportsProgressAndOutcomes() throws Exception {
        Reply launched = post("/api/jobs/docs/runs");
        assertThat(launched.status()).isEqualTo(202);
        long id = launched.json().get("execution").asLong();
        assertThat(launched.raw().headers().firstValue("Location")).hasValue("/api/runs/" + id);

        JsonNode run = finished(id);
        assertThat(run.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(run.get("job").stringValue()).isEqualTo("docs");
        assertThat(run.get("progress").get("filesDone").asInt()).isEqualTo(2);
        assertThat(run.get("progress").get("filesTotal").asInt()).isEqualTo(2);
        assertThat(run.get("durationMs").asLong()).isPositive();
        Map<String, JsonNode> files = new java.util.HashMap<>();
        run.get("files").forEach(f -> files.put(Path.of(f.get("path").stringValue()).getFileName().toString(), f));
        assertThat(files.get("agenda.md").get("outcome").stringValue()).isEqualTo("INGESTED");
        assertThat(files.get("tool.txt").get("outcome").stringValue()).isEqualTo("REJECTED");
        assertThat(files.get("tool.txt").get("reason").stringValue()).isEqualTo("unsupported");
        assertThat(run.get("progress").get("chunksWritten").asLong()).isEqualTo(files.get("agenda.md").get("chunks").asLong());
        // the ingested file is archived by room (the source is left alone); the refused one is not
        assertThat(ROOT.resolve("data/uploads/team-a/agenda.md")).hasSameBinaryContentAs(ROOT.resolve("docs/team-a/agenda.md"));
        assertThat(ROOT.resolve("docs/team-a/agenda.md")).exists();
        assertThat(ROOT.resolve("data/uploads/team-a/tool.txt")).doesNotExist();

        assertThat(get("/api/runs?status=COMPLETED").json().findValues("execution")).extracting(JsonNode::asLong).contains(id);
        assertThat(get("/api/runs?status=NOPE").status()).isEqualTo(400);
        assertThat(post("/api/jobs/nope/runs").status()).isEqualTo(404);
        assertThat(get("/api/runs/987654321").status()).isEqualTo(404);

        // metrics of the run reached the Prometheus endpoint
        String prometheus = get("/actuator/prometheus").raw().body();
        assertThat(prometheus).contains("polyphony_ingest_files_total{outcome=\"REJECTED\",reason=\"unsupported\"}")
                .contains("polyphony_ingest_chunks_embedded_total").contains("polyphony_embedding_seconds_count")
                .contains("polyphony_redis_written_bytes_total").contains("polyphony_ingest_job_seconds_count{status=\"COMPLETED\"}");
    }

    @Test
    void aSecondLaunchWhileTheJobRunsIs409AndAStopEndsIt() throws Exception {
        Reply first = post("/api/jobs/many/runs");
        assertThat(first.status()).isEqualTo(202);
        long id = first.json().get("execution").asLong();
        Reply second = post("/api/jobs/many/runs");
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.json().get("running").asLong()).isEqualTo(id);
        assertThat(second.json().get("message").stringValue()).contains("already running");
        assertThat(jobs.tick(jobs.spec("many").orElseThrow())).isEmpty(); // a scheduled tick is skipped, not overlapped

        Reply stop = post("/api/runs/" + id + "/stop");
        assertThat(stop.status()).isEqualTo(202);
        JsonNode stopped = finished(id);
        assertThat(stopped.get("status").stringValue()).isEqualTo("STOPPED");
        // a stopped run is replayed from where it stopped, to completion, every file once; while its thread
        // still finishes the transaction it was in, a restart is refused (409) rather than run beside it
        Reply restarted = post("/api/runs/" + id + "/restart");
        for (int i = 0; i < 300 && restarted.status() == 409; i++) {
            Thread.sleep(100);
            restarted = post("/api/runs/" + id + "/restart");
        }
        assertThat(restarted.status()).isEqualTo(202);
        JsonNode done = finished(restarted.json().get("execution").asLong());
        assertThat(done.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(done.get("progress").get("filesDone").asInt()).isEqualTo(16);
        assertThat(done.get("files")).allSatisfy(f -> assertThat(f.get("outcome").stringValue()).isIn("INGESTED", "SAMPLED"));
    }

    @Test
    void aJobBeingStartedByAnotherLiveProcessIs409AndALockLeftByADeadOneIsTakenOver() throws Exception {
        // another server (another host) holds the launch lock of job 'locked'
        jdbc.update("INSERT INTO INGEST_SPEC_LAUNCH (SPEC, HOST, PID, LOCKED_AT) VALUES ('locked', 'other-host', 4242,"
                + " CURRENT_TIMESTAMP)");
        Reply busy = post("/api/jobs/locked/runs");
        assertThat(busy.status()).isEqualTo(409);
        assertThat(busy.json().get("message").stringValue()).contains("being started by process 4242 on other-host");
        // the same lock left behind by a process of this host that has died is taken over
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        jdbc.update("UPDATE INGEST_SPEC_LAUNCH SET HOST = ?, PID = ? WHERE SPEC = 'locked'",
                java.net.InetAddress.getLocalHost().getHostName(), gone.pid());
        Reply started = post("/api/jobs/locked/runs");
        assertThat(started.status()).isEqualTo(202);
        assertThat(finished(started.json().get("execution").asLong()).get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_SPEC_LAUNCH WHERE SPEC = 'locked'", Integer.class))
                .isZero(); // released
        // a lock from another host older than any launch takes is a dead process's too
        jdbc.update("INSERT INTO INGEST_SPEC_LAUNCH (SPEC, HOST, PID, LOCKED_AT) VALUES ('locked', 'other-host', 4242, ?)",
                java.sql.Timestamp.from(java.time.Instant.now().minus(Duration.ofMinutes(10))));
        Reply again = post("/api/jobs/locked/runs");
        assertThat(again.status()).as(String.valueOf(again.json())).isEqualTo(202);
        finished(again.json().get("execution").asLong());
        // a lock of this host and this very pid under another instance id: a restarted container (pid 1 again)
        jdbc.update("INSERT INTO INGEST_SPEC_LAUNCH (SPEC, HOST, PID, LOCKED_AT, INSTANCE_ID) VALUES ('locked', ?, ?,"
                + " CURRENT_TIMESTAMP, 'before-the-restart')", java.net.InetAddress.getLocalHost().getHostName(),
                ProcessHandle.current().pid());
        Reply afterRestart = post("/api/jobs/locked/runs");
        assertThat(afterRestart.status()).as(String.valueOf(afterRestart.json())).isEqualTo(202);
        finished(afterRestart.json().get("execution").asLong());
    }

    @Test
    void aFailedRunIsRestartedOnceTheCauseIsFixed() throws Exception {
        // the step fails after its Redis writes, before the commit (as a lost job database would)
        progress.afterWrites(results -> {
            throw new IllegalStateException("the job database went away");
        });
        long id;
        JsonNode failed;
        try {
            Reply up = upload(room, "minutes.md", "Minutes: the budget was approved.".getBytes(UTF_8), KEY);
            assertThat(up.status()).isEqualTo(202);
            id = up.json().get("execution").asLong();
            failed = finished(id);
        } finally {
            progress.afterWrites(null);
        }
        assertThat(failed.get("status").stringValue()).isEqualTo("FAILED");
        assertThat(failed.get("failure").stringValue()).contains("the job database went away");
        assertThat(get("/api/runs?status=FAILED").json().findValues("execution")).extracting(JsonNode::asLong).contains(id);

        Reply restarted = post("/api/runs/" + id + "/restart");
        assertThat(restarted.status()).isEqualTo(202);
        JsonNode done = finished(restarted.json().get("execution").asLong());
        assertThat(done.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(done.get("run").asLong()).isEqualTo(failed.get("run").asLong());
        assertThat(done.get("files").get(0).get("outcome").stringValue()).isEqualTo("INGESTED");
        assertThat(post("/api/runs/" + id + "/restart").status()).isEqualTo(400); // completed: nothing to replay
    }

    @Test
    void aRunLeftStartedByADeadProcessIsRecoveredOnceAndReplayed() throws Exception {
        Path folder = Files.createDirectories(ROOT.resolve("killed-" + room));
        TestDocuments.text(folder, "plan.md", "The plan: ship the ingest pipeline, then measure it.", UTF_8);
        JobParameters params = new JobParametersBuilder().addString("path", folder.toString()).addString("room", room)
                .addLong("run", System.currentTimeMillis()).toJobParameters();
        JobInstance instance = jobRepository.createJobInstance("ingest", params);
        JobExecution killed = jobRepository.createJobExecution(instance, params, new ExecutionContext());
        killed.setStatus(BatchStatus.STARTED);
        killed.setStartTime(java.time.LocalDateTime.now());
        jobRepository.update(killed);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        jdbc.update("INSERT INTO INGEST_LEASE VALUES (?, 'a-dead-instance', ?, ?, 7, CURRENT_TIMESTAMP)", killed.getId(),
                java.net.InetAddress.getLocalHost().getHostName(), gone.pid());
        // a run this very (live) process owns is not "interrupted"
        JobExecution alive = jobRepository.createJobExecution(jobRepository.createJobInstance("ingest",
                new JobParametersBuilder(params).addLong("run", 1L).toJobParameters()), params, new ExecutionContext());
        alive.setStatus(BatchStatus.STARTED);
        jobRepository.update(alive);
        jdbc.update("INSERT INTO INGEST_LEASE VALUES (?, ?, ?, ?, 0, CURRENT_TIMESTAMP)", alive.getId(), owners.instance(),
                java.net.InetAddress.getLocalHost().getHostName(), ProcessHandle.current().pid());

        List<JobExecution> restarted = recovery.recover(); // what the server does when it is ready, then every heartbeat
        assertThat(recovery.recover()).isEmpty(); // a second pass (or a second process) finds it claimed
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_RECOVERY WHERE JOB_EXECUTION_ID = ?", Integer.class,
                killed.getId())).isEqualTo(1);
        assertThat(get("/api/runs/" + killed.getId()).json().get("status").stringValue()).isEqualTo("FAILED");
        assertThat(get("/api/runs/" + alive.getId()).json().get("status").stringValue()).isEqualTo("STARTED");
        assertThat(post("/api/runs/" + alive.getId() + "/restart").status()).isEqualTo(409);

        assertThat(restarted).hasSize(1); // taken over: restarted here, from its last committed files
        assertThat(restarted.get(0).getJobInstance().getId()).isEqualTo(killed.getJobInstance().getId());
        JsonNode done = finished(restarted.get(0).getId());
        assertThat(done.get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(done.get("files").get(0).get("outcome").stringValue()).isEqualTo("INGESTED");
        alive.setStatus(BatchStatus.ABANDONED);
        alive.setEndTime(java.time.LocalDateTime.now());
        jobRepository.update(alive); // leave no running execution behind for other tests
    }

    @Test
    void uploadsAreAcceptedOrRefusedWithTheRightStatus() throws Exception {
        Reply ok = upload(room, "brief.md", "# Brief\n\nThe Lisbon office opens in May.".getBytes(UTF_8), KEY);
        assertThat(ok.status()).isEqualTo(202);
        assertThat(ok.raw().headers().firstValue("Location")).hasValue("/api/runs/" + ok.json().get("execution").asLong());
        assertThat(finished(ok.json().get("execution").asLong()).get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(Files.exists(ROOT.resolve("data/uploads/" + room + "/brief.md"))).isTrue(); // kept as the archive

        byte[] big = new byte[10 * 1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) 'a');
        Reply tooLarge = upload(room, "big.txt", big, KEY);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().get("message").stringValue()).contains("10 MiB");
        assertThat(Files.exists(ROOT.resolve("data/uploads/" + room + "/big.txt"))).isFalse();

        for (String hostile : new String[] {"../escape.md", "a/b.md", "..\\\\x.md", "bell\u0007.md", ".hidden.md", "x..md"}) {
            Reply r = upload(room, hostile, "text".getBytes(UTF_8), KEY);
            assertThat(r.status()).as(hostile).isEqualTo(400);
        }
        assertThat(upload("bad.room", "a.md", "text".getBytes(UTF_8), KEY).status()).isEqualTo(400);
        byte[] elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 2, 3, (byte) 0xff, 0, 0, 7};
        Reply unsupported = upload(room, "tool.txt", elf, KEY);
        assertThat(unsupported.status()).isEqualTo(415);
        assertThat(unsupported.json().get("message").stringValue()).startsWith("rejected: unsupported file type");
        try (var listed = Files.list(ROOT.resolve("data/uploads/" + room))) {
            assertThat(listed.map(p -> p.getFileName().toString())).containsExactly("brief.md");
        }
    }

    @Test
    void roomsAreListedSearchedAndDeleted() throws Exception {
        Reply up = upload(room, "offsite.md", "The offsite is in Porto on the 12th of June. Bring laptops.".getBytes(UTF_8), KEY);
        finished(up.json().get("execution").asLong());
        assertThat(get("/api/rooms").json().findValues("room")).extracting(JsonNode::stringValue).contains(room);
        JsonNode detail = get("/api/rooms/" + room).json();
        assertThat(detail.get("chunks").asLong()).isEqualTo(1);
        assertThat(detail.get("documents").get(0).get("file").stringValue()).isEqualTo("offsite.md");
        assertThat(detail.get("bytes").asLong()).isPositive();
        assertThat(detail.get("lastActive").asLong()).isPositive();

        JsonNode found = get("/api/rooms/" + room + "/search?q=where%20is%20the%20offsite&k=3").json();
        assertThat(found.get("hits").get(0).get("content").stringValue()).contains("Porto");
        assertThat(found.get("hits").get(0).get("score").asDouble()).isBetween(0.2, 1.0);
        assertThat(get("/api/rooms/" + room + "/search?q=x&k=0").status()).isEqualTo(400);

        Reply touched = post("/api/rooms/" + room + "/touch");
        assertThat(touched.status()).isEqualTo(200);
        assertThat(redis.zscore(RoomKeys.ROOMS, room).longValue()).isEqualTo(touched.json().get("lastActive").asLong());
        assertThat(post("/api/rooms/nobody-here/touch").status()).isEqualTo(404);

        // evicted (keys gone, archive kept) and rebuilt through the API
        java.util.List<String> keys = new java.util.ArrayList<>(redis.keys("room:{" + room + "}:*"));
        redis.del(keys.toArray(String[]::new));
        redis.zrem(RoomKeys.ROOMS, room);
        Reply rehydrated = post("/api/rooms/" + room + "/rehydrate");
        assertThat(rehydrated.status()).isEqualTo(202);
        assertThat(finished(rehydrated.json().get("execution").asLong()).get("status").stringValue()).isEqualTo("COMPLETED");
        assertThat(redis.keys("room:{" + room + "}:*")).containsExactlyInAnyOrderElementsOf(keys);

        Reply deleted = send("DELETE", "/api/rooms/" + room, HttpRequest.BodyPublishers.noBody(), null, KEY);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("chunksDeleted").asLong()).isEqualTo(1);
        assertThat(deleted.json().get("uploadsDeleted").asLong()).isEqualTo(1);
        assertThat(redis.keys("room:{" + room + "}:*")).isEmpty();
        assertThat(redis.zscore(RoomKeys.ROOMS, room)).isNull();
        assertThat(get("/api/rooms/" + room).status()).isEqualTo(404);
    }

    @Test
    void aJobWithAScheduleRunsOnItAndFindsItsFilesUnchangedTheSecondTime() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        java.util.List<JsonNode> ticked;
        do {
            Thread.sleep(500);
            ticked = new java.util.ArrayList<>();
            for (JsonNode r : get("/api/runs?status=COMPLETED").json()) {
                if (r.path("job").isString() && "ticking".equals(r.path("job").stringValue())) {
                    ticked.add(r);
                }
            }
        } while (ticked.size() < 2 && System.nanoTime() < deadline);
        assertThat(ticked).hasSizeGreaterThanOrEqualTo(2);
        JsonNode later = get("/api/runs/" + ticked.get(0).get("execution").asLong()).json(); // newest first
        assertThat(later.get("files").get(0).get("outcome").stringValue()).isEqualTo("UNCHANGED");
    }

    @Test
    void everyApiRequestAndTheMetricsNeedTheKeyAndHealthShowsOnlyItsStatusWithout() throws Exception {
        Reply up = upload(room, "secret.md", "The acquisition closes on the 3rd; do not share.".getBytes(UTF_8), KEY);
        finished(up.json().get("execution").asLong());
        assertThat(send("POST", "/api/jobs/docs/runs", HttpRequest.BodyPublishers.noBody(), null, null).status()).isEqualTo(401);
        assertThat(send("POST", "/api/jobs/docs/runs", HttpRequest.BodyPublishers.noBody(), null, "wrong").status()).isEqualTo(401);
        assertThat(upload(room, "a.md", "x".getBytes(UTF_8), null).status()).isEqualTo(401);
        assertThat(send("DELETE", "/api/rooms/" + room, HttpRequest.BodyPublishers.noBody(), null, null).status()).isEqualTo(401);
        // reads too: a room's text, the runs, the rooms, capacity
        for (String read : new String[] {"/api/rooms/" + room + "/search?q=acquisition", "/api/rooms/" + room, "/api/rooms",
            "/api/runs", "/api/runs/" + up.json().get("execution").asLong(), "/api/capacity", "/api/evictions", "/api/jobs"}) {
            Reply r = send("GET", read, HttpRequest.BodyPublishers.noBody(), null, null);
            assertThat(r.status()).as(read).isEqualTo(401);
            assertThat(r.raw().body()).as(read).doesNotContain("acquisition").contains("X-API-Key");
            assertThat(send("GET", read, HttpRequest.BodyPublishers.noBody(), null, "wrong").status()).as(read).isEqualTo(401);
        }
        assertThat(get("/api/rooms/" + room + "/search?q=acquisition").raw().body()).contains("acquisition");
        assertThat(send("GET", "/actuator/prometheus", HttpRequest.BodyPublishers.noBody(), null, null).status()).isEqualTo(401);
        assertThat(get("/actuator/prometheus").status()).isEqualTo(200);
        Reply bare = send("GET", "/actuator/health", HttpRequest.BodyPublishers.noBody(), null, null);
        assertThat(bare.status()).isEqualTo(200);
        assertThat(bare.json().get("status").stringValue()).isIn("UP", "DEGRADED");
        assertThat(bare.json().has("components")).isFalse(); // no Redis figures, no room counts without the key
        assertThat(get("/actuator/health").json().get("components").has("redisMemory")).isTrue();
    }

    @Test
    void healthReportsRedisMemoryAndTheApiIsDescribed() throws Exception {
        Reply up = upload(room, "h.md", "Health check document about memory budgets.".getBytes(UTF_8), KEY);
        finished(up.json().get("execution").asLong());
        long roomsBefore = redis.zcard(RoomKeys.ROOMS);
        healthIndicator.refresh(); // what the background does every 10 s
        Reply health = get("/actuator/health");
        long roomsAfter = redis.zcard(RoomKeys.ROOMS); // a run of an earlier test (a spec's tick) may still add one
        // a request reads the last measurement: it never scans Redis itself
        assertThat(get("/actuator/health").json().get("components").get("redisMemory").get("details").get("measuredAt"))
                .isEqualTo(health.json().get("components").get("redisMemory").get("details").get("measuredAt"));
        assertThat(health.status()).isEqualTo(200);
        JsonNode m = health.json().get("components").get("redisMemory");
        assertThat(m.get("status").stringValue()).isEqualTo("UP");
        JsonNode d = m.get("details");
        assertThat(d.get("usedMemoryMb").asDouble()).isPositive();
        assertThat(d.get("maxMemoryMb").asDouble()).isGreaterThan(d.get("usedMemoryMb").asDouble());
        assertThat(d.get("utilisationPercent").asDouble()).isBetween(0.0, 90.0);
        assertThat(d.get("activeRooms").asLong()).isBetween(roomsBefore, roomsAfter);
        assertThat(d.get("measuredBytesPerRoom").asLong()).isGreaterThan(3072); // at least one 768-dim vector
        assertThat(d.get("roomsThatStillFit").asLong()).isPositive();

        assertThat(get("/api/capacity").status()).isEqualTo(404); // nothing measured yet: a GET never writes Redis
        JsonNode capacity = post("/api/capacity?memory=3GB").json();
        assertThat(get("/api/capacity").json()).isEqualTo(capacity); // the last measurement
        assertThat(capacity.get("bytesPerChunk").asLong()).isBetween(3500L, 6000L);
        assertThat(capacity.get("scenarios").get("mixed").get("rooms").get("3 GB").asLong())
                .isGreaterThan(capacity.get("scenarios").get("mixed").get("rooms").get("2 GB").asLong());
        assertThat(post("/api/capacity?memory=lots").status()).isEqualTo(400);
        assertThat(get("/api/evictions").status()).isEqualTo(200);

        String api = get("/v3/api-docs").raw().body();
        assertThat(api).contains("/api/jobs/{name}/runs", "/api/runs/{id}", "/api/rooms/{room}/documents", "/api/runs/failed/restart");
    }

    /**
     * Fault suite: a 2 GB upload body streamed (chunked) from /dev/zero. The server stops reading it near the 10 MiB
     * limit and answers 413 (or closes the connection on it); neither the temp folder nor this JVM's memory grows by
     * anything near what was offered, and nothing is stored.
     */
    @Test
    void aTwoGigabyteBodyFromDevZeroIsRefusedWithoutFillingDiskOrMemory() throws Exception {
        long offered = 2L << 30;
        java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
        String boundary = "----polyphony" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"zeros.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n").getBytes(UTF_8);
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long tmpBefore = treeBytes(tmp);
        long rssBefore = io.polyphony.ingest.embed.bench.ProcessMemory.rssMiB();
        java.util.function.Supplier<java.io.InputStream> body = () -> new java.io.SequenceInputStream(
                new java.io.ByteArrayInputStream(head), new java.io.InputStream() {
                    final java.io.InputStream zero = open("/dev/zero");

                    @Override
                    public int read() throws IOException {
                        return read(new byte[1], 0, 1) < 0 ? -1 : 0;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        long left = offered - read.get();
                        if (left <= 0) {
                            return -1;
                        }
                        int n = zero.read(b, off, (int) Math.min(len, left));
                        read.addAndGet(n);
                        return n;
                    }
                });
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/rooms/" + room + "/documents"))
                .timeout(Duration.ofSeconds(60)).header("X-API-Key", KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(body)).build();
        Integer status = null;
        try {
            status = http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException closed) {
            // the server may close the connection on a body it refuses to read further: also a refusal
        }
        if (status != null) {
            assertThat(status).isEqualTo(413);
        }
        assertThat(read.get()).as("bytes the server let in").isLessThan(128L << 20);
        assertThat(treeBytes(tmp) - tmpBefore).as("temp folder growth").isLessThan(32L << 20);
        assertThat(io.polyphony.ingest.embed.bench.ProcessMemory.rssMiB() - rssBefore).as("RSS growth, MiB").isLessThan(256);
        assertThat(Files.exists(ROOT.resolve("data/uploads/" + room + "/zeros.txt"))).isFalse();
        System.out.printf("2 GB from /dev/zero: status %s after %,d bytes read%n", status, read.get());
    }

    private static java.io.InputStream open(String file) {
        try {
            return Files.newInputStream(Path.of(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long treeBytes(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.mapToLong(p -> {
                try {
                    return Files.isRegularFile(p) ? Files.size(p) : 0;
                } catch (IOException gone) {
                    return 0;
                }
            }).sum();
        } catch (java.io.UncheckedIOException gone) {
            return 0;
        }
    }

    /**
     * Fault suite: 100 uploads at once into 10 rooms, and 20 clients searching throughout, while a declared job runs.
     * No request gets a 5xx (uploads over the backlog get 429), every accepted upload's run completes, and the search
     * latency is reported.
     */
    @Test
    void aHundredUploadsAndTwentySearchersDuringAnIngestGetNo5xx() throws Exception {
        Reply launched = post("/api/jobs/docs/runs");
        assertThat(launched.status()).isIn(202, 409);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(40);
        java.util.concurrent.atomic.AtomicBoolean uploading = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Long> searchMillis = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<Integer> statuses = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<java.util.concurrent.Future<?>> searchers = new java.util.ArrayList<>();
        for (int s = 0; s < 20; s++) {
            String searched = room + "-" + (s % 10);
            searchers.add(pool.submit(() -> {
                while (uploading.get()) {
                    long t0 = System.nanoTime();
                    Reply r = get("/api/rooms/" + searched + "/search?q=budget%20review");
                    searchMillis.add((System.nanoTime() - t0) / 1_000_000);
                    statuses.add(r.status());
                }
                return null;
            }));
        }
        List<java.util.concurrent.Future<Reply>> uploads = new java.util.ArrayList<>();
        for (int u = 0; u < 100; u++) {
            String target = room + "-" + (u % 10);
            String name = "note-" + u + ".md";
            uploads.add(pool.submit(() -> upload(target, name, ("# Note " + name + "\n\nThe budget review moved to Friday;"
                    + " owners confirmed.\n").getBytes(UTF_8), KEY)));
        }
        List<Long> accepted = new java.util.ArrayList<>();
        int busy = 0;
        for (var f : uploads) {
            Reply r = f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.status()).as(r.raw().body()).isIn(202, 429);
            if (r.status() == 202) {
                accepted.add(r.json().get("execution").asLong());
            } else {
                busy++;
            }
        }
        for (long execution : accepted) {
            assertThat(finished(execution).get("status").stringValue()).isEqualTo("COMPLETED");
        }
        uploading.set(false);
        for (var f : searchers) {
            f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(statuses).isNotEmpty().allSatisfy(st -> assertThat(st).isLessThan(500));
        List<Long> sorted = searchMillis.stream().sorted().toList();
        System.out.printf("100 uploads: %d accepted, %d got 429; %d searches during them: p50 %d ms, p99 %d ms%n",
                accepted.size(), busy, sorted.size(), sorted.get(sorted.size() / 2), sorted.get((int) (sorted.size() * 0.99)));
        assertThat(accepted).isNotEmpty();
    }
}
