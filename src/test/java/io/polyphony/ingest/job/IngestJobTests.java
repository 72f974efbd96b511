package io.polyphony.ingest.job;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.extract.TestDocuments;
import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.test.context.SpringBatchTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.clients.jedis.RedisClient;

/** The whole job against real H2, a real redis-server, real Tika and the real model. */
@SpringBatchTest
// a low per-file chunk limit keeps the sampling test quick; the sampler itself is tested at 500
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = { // as the command line runs: no server, runs wait
        "spring.datasource.url=jdbc:h2:mem:ingestjob;DB_CLOSE_DELAY=-1", "polyphony.data-dir=target/test-data/ingestjob",
        "polyphony.ingest.max-chunks-per-file=40"})
class IngestJobTests {

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + RedisTestServer.port());
    }

    @Autowired
    IngestRuns runs;
    @Autowired
    io.polyphony.ingest.roomindex.RoomIndex rooms;
    @Autowired
    UploadArchive archive;
    @Autowired
    FileResults fileResults;
    @Autowired
    io.polyphony.ingest.budget.Evictions evictions;
    @Autowired
    IngestProgress progress;
    @Autowired
    IngestMetrics metrics;
    @Autowired
    io.polyphony.ingest.PolyphonyProperties props;
    @Autowired
    io.polyphony.ingest.embed.Embedder embedder;

    @TempDir
    Path uploads;

    final RedisClient redis = RedisTestServer.client();
    final String a = "a" + UUID.randomUUID().toString().substring(0, 6);
    final String b = "b" + UUID.randomUUID().toString().substring(0, 6);

    static String paragraphs(String topic, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("Paragraph ").append(i).append(" about ").append(topic)
                    .append(": the team reviewed the numbers, agreed on owners and set a date for the follow-up. ")
                    .append("Risks were noted and the decision was recorded in the minutes.\n\n");
        }
        return sb.toString();
    }

    @Test
    void aCompletedRunsFilesThatFailedForAPassingCauseAreRetriedByReplayAndOnlyThose() throws Exception {
        Path dir = Files.createDirectories(uploads.resolve("retry").resolve(a));
        for (String n : List.of("x.txt", "y.txt", "z.txt")) {
            TestDocuments.text(dir, n, paragraphs("retry " + n, 2), UTF_8);
        }
        JobExecution first = runs.run(uploads.resolve("retry"), null);
        assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        long run = first.getJobInstance().getId();
        // as if y.txt had met a full Redis: recorded as failed for memory_budget, and the room holds nothing of it
        rooms.deleteRoom(a);
        String y = dir.resolve("y.txt").toAbsolutePath().normalize().toString();
        fileResults.record(run, first.getId(), List.of(new FileResult(1, y, a, Outcome.FAILED, io.polyphony.ingest.Reason.MEMORY_BUDGET,
                "Redis memory budget: full", 0, 0, null)));
        FileResult recorded = runs.results(first).get(1);
        assertThat(recorded.message()).contains("replay " + first.getId()).contains("POST /api/runs/" + first.getId() + "/restart");

        JobExecution retry = runs.replay(first.getId());
        assertThat(retry.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(retry.getJobInstance().getId()).isNotEqualTo(run); // a new run, over exactly the failed file
        assertThat(runs.results(retry)).extracting(FileResult::path, FileResult::outcome).containsExactly(
                org.assertj.core.groups.Tuple.tuple(y, Outcome.INGESTED));
        assertThat(rooms.documents(a)).extracting(io.polyphony.ingest.roomindex.RoomIndex.DocumentSummary::file)
                .containsExactly("y.txt");
        // nothing left to retry, and files that failed for a lasting cause are never retried
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runs.replay(retry.getId()))
                .hasMessageContaining("completed: nothing to replay").hasMessageContaining("memory_budget");
    }

    @Test
    void aParserThatDiesOrRunsOutOfMemoryFailsItsFileAndTheRunGoesOn() throws Exception {
        Path dir = Files.createDirectories(uploads.resolve("crashing").resolve(a));
        // Tika's MockParser (test jar) in the parser process: one exhausts its heap, one exits its JVM
        Files.writeString(dir.resolve("a-oom.xml"), "<?xml version=\"1.0\"?><mock><write element=\"p\">x</write><oom/></mock>");
        Files.writeString(dir.resolve("b-exit.xml"), "<?xml version=\"1.0\"?><mock><system_exit/></mock>");
        TestDocuments.docx(dir, "c-minutes.docx", "Minutes", paragraphs("the parser crash drill", 3));
        TestDocuments.text(dir, "d-notes.txt", paragraphs("plain notes", 2), UTF_8);
        JobExecution run = runs.run(uploads.resolve("crashing"), null);
        assertThat(run.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        Map<String, FileResult> r = byName(runs.results(run));
        assertThat(r.get("a-oom.xml").reason()).isEqualTo(Reason.PARSER_CRASH);
        assertThat(r.get("a-oom.xml").message()).contains("ran out of memory").contains("replay " + run.getId());
        assertThat(r.get("b-exit.xml").reason()).isEqualTo(Reason.PARSER_CRASH);
        assertThat(r.get("b-exit.xml").message()).contains("the parser process died");
        assertThat(r.get("c-minutes.docx").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(r.get("d-notes.txt").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(rooms.documents(a)).extracting(io.polyphony.ingest.roomindex.RoomIndex.DocumentSummary::file)
                .containsExactlyInAnyOrder("c-minutes.docx", "d-notes.txt");
    }

    @Test
    void aFileTheArchiveCouldNotKeepIsNotReportedIngestedAndAReplayArchivesIt() throws Exception {
        Path dir = Files.createDirectories(uploads.resolve("unarchived").resolve(a));
        TestDocuments.text(dir, "kept.txt", paragraphs("an archive that fails", 2), UTF_8);
        Path blocker = archive.roomDir(a); // a file where the room's archive folder should be: the copy must fail
        Files.createDirectories(blocker.getParent());
        Files.writeString(blocker, "not a folder");
        try {
            JobExecution first = runs.run(uploads.resolve("unarchived"), null);
            assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            FileResult r = runs.results(first).get(0);
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.reason()).isEqualTo(io.polyphony.ingest.Reason.INTERNAL);
            assertThat(r.message()).contains("not kept in the archive").contains("replay " + first.getId());

            Files.delete(blocker);
            JobExecution retry = runs.replay(first.getId());
            assertThat(runs.results(retry)).extracting(FileResult::outcome).containsExactly(Outcome.UNCHANGED);
            assertThat(archive.roomDir(a).resolve("kept.txt")).hasSameTextualContentAs(dir.resolve("kept.txt"));
        } finally {
            if (Files.isRegularFile(blocker)) {
                Files.delete(blocker);
            }
        }
    }

    Map<String, FileResult> byName(List<FileResult> results) {
        return results.stream().collect(Collectors.toMap(r -> Path.of(r.path()).getFileName().toString(), r -> r));
    }

    long chunkKeys(String room) {
        return redis.keys("room:{" + room + "}:chunk:*").size();
    }

    @Test
    void ingestsRoomFoldersRecordsEveryFileAndAReRunChangesNothing() throws Exception {
        Path ra = Files.createDirectories(uploads.resolve(a));
        Path rb = Files.createDirectories(uploads.resolve(b));
        TestDocuments.text(ra, "notes.md", "# Notes\n\n" + paragraphs("the Berlin budget", 12), UTF_8);
        TestDocuments.docx(ra, "minutes.docx", paragraphs("hiring", 6).split("\n\n"));
        TestDocuments.pdf(rb, "report.pdf", null, "Quarterly report", "Revenue grew in every region.");
        Files.write(rb.resolve("empty.txt"), new byte[0]);
        TestDocuments.executable(rb, "tool.txt");
        TestDocuments.pdf(rb, "locked.pdf", "secret", "hidden");

        JobExecution first = runs.run(uploads, null);
        assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        StepExecution step = first.getStepExecutions().iterator().next();
        assertThat(step.getReadCount()).isEqualTo(6);
        assertThat(step.getWriteCount()).isEqualTo(6);

        Map<String, FileResult> r = byName(runs.results(first));
        assertThat(r).hasSize(6);
        assertThat(r.get("notes.md").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(r.get("notes.md").chunks()).isGreaterThan(2).isEqualTo(r.get("notes.md").totalChunks());
        assertThat(r.get("minutes.docx").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(r.get("report.pdf").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(r.get("empty.txt").reason()).isEqualTo(Reason.EMPTY);
        assertThat(r.get("tool.txt").reason()).isEqualTo(Reason.UNSUPPORTED);
        assertThat(r.get("locked.pdf").reason()).isEqualTo(Reason.ENCRYPTED);
        assertThat(r.get("locked.pdf").outcome()).isEqualTo(Outcome.FAILED);

        int chunksA = r.get("notes.md").chunks() + r.get("minutes.docx").chunks();
        assertThat(chunkKeys(a)).isEqualTo(chunksA);
        assertThat(redis.hget(RoomKeys.meta(a), "chunks")).isEqualTo(Integer.toString(chunksA));
        assertThat(redis.hget(RoomKeys.meta(a), "dims")).isEqualTo("768");
        assertThat(redis.scard(RoomKeys.docs(b))).isEqualTo(1);

        String before = redis.hget(RoomKeys.doc(a, RoomKeys.docId(a, "notes.md")), "ingested_at");
        JobExecution second = runs.run(uploads, null);
        assertThat(second.getJobInstance().getId()).isNotEqualTo(first.getJobInstance().getId());
        Map<String, FileResult> again = byName(runs.results(second));
        assertThat(again.get("notes.md").outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(again.get("report.pdf").outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(redis.hget(RoomKeys.doc(a, RoomKeys.docId(a, "notes.md")), "ingested_at")).isEqualTo(before);
        assertThat(chunkKeys(a)).isEqualTo(chunksA);
    }

    @Test
    void aChangedFileReplacesItsChunksAndASingleFileNeedsItsRoom() throws IOException, Exception {
        Path f = TestDocuments.text(uploads, "plan.txt", paragraphs("the roadmap", 20), UTF_8);
        JobExecution first = runs.run(f, a);
        int before = runs.results(first).get(0).chunks();
        assertThat(chunkKeys(a)).isEqualTo(before);

        Files.writeString(f, paragraphs("a shorter roadmap", 3));
        JobExecution second = runs.run(f, a);
        FileResult changed = runs.results(second).get(0);
        assertThat(changed.outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(changed.chunks()).isLessThan(before);
        assertThat(chunkKeys(a)).isEqualTo(changed.chunks());
        assertThat(chunkKeys(b)).isZero();
    }

    @Test
    void hostileFileNamesAreIngestedUnderTheirOwnNamesAndHiddenFilesIgnored() throws Exception {
        Path room = Files.createDirectories(uploads.resolve(a));
        List<String> names = List.of("line\nbreak.txt", "tab\tand 'quotes\".md", "-rf --no-preserve-root.txt",
                "ünïcödé ✓ 会议.txt", "x".repeat(200) + ".txt", "double..dots...txt");
        for (String n : names) {
            Files.writeString(room.resolve(n), "Notes for " + n.length() + " characters of name. Budget review.");
        }
        Files.writeString(room.resolve(".DS_Store"), "hidden");
        List<FileResult> results = runs.results(runs.run(uploads, null));
        assertThat(results).hasSize(names.size());
        assertThat(results).extracting(FileResult::outcome).containsOnly(Outcome.INGESTED);
        for (String n : names) {
            assertThat(redis.hget(RoomKeys.doc(a, RoomKeys.docId(a, n)), "file")).isEqualTo(n);
        }
    }

    @Test
    void failedRunsAreReplayedByExecutionIdOrAllAtOnce() throws Exception {
        Path first = Files.createDirectories(uploads.resolve("one").resolve(a));
        Path second = Files.createDirectories(uploads.resolve("two").resolve(b));
        TestDocuments.text(first, "x.txt", paragraphs("replays", 2), UTF_8);
        TestDocuments.text(second, "y.txt", paragraphs("more replays", 2), UTF_8);
        // the step fails after its first transaction's Redis writes, before the commit (as a lost database would)
        progress.afterWrites(results -> {
            throw new IllegalStateException("the job database went away");
        });
        JobExecution failedOne;
        JobExecution failedTwo;
        try {
            failedOne = runs.run(uploads.resolve("one"), null);
            failedTwo = runs.run(uploads.resolve("two"), null);
        } finally {
            progress.afterWrites(null);
        }
        assertThat(failedOne.getStatus()).isEqualTo(BatchStatus.FAILED);
        assertThat(IngestRuns.failureMessage(failedOne)).contains("the job database went away");

        JobExecution replayed = runs.replay(failedOne.getId());
        assertThat(replayed.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(replayed.getJobInstance().getId()).isEqualTo(failedOne.getJobInstance().getId());
        assertThat(runs.results(replayed)).extracting(FileResult::outcome).containsExactly(Outcome.INGESTED);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runs.replay(failedOne.getId()))
                .hasMessageContaining("completed: nothing to replay");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runs.replay(987_654_321L))
                .hasMessage("no ingest execution 987654321");

        List<JobExecution> all = runs.replayFailed();
        assertThat(all).extracting(e -> e.getJobInstance().getId()).containsExactly(failedTwo.getJobInstance().getId());
        assertThat(all.get(0).getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(runs.replayFailed()).isEmpty();
    }

    @Test
    void aLongFileIsSampledAndSaysSo() throws Exception {
        Path f = TestDocuments.text(uploads, "handbook.txt", paragraphs("the employee handbook", 150), UTF_8);
        FileResult r = runs.results(runs.run(f, b)).get(0);
        assertThat(r.outcome()).isEqualTo(Outcome.SAMPLED);
        assertThat(r.chunks()).isEqualTo(40);
        assertThat(r.totalChunks()).isGreaterThan(40);
        assertThat(r.message()).isEqualTo("sampled 40 of " + r.totalChunks());
        assertThat(chunkKeys(b)).isEqualTo(40);
        assertThat(redis.hget(RoomKeys.doc(b, RoomKeys.docId(b, "handbook.txt")), "sampled")).isEqualTo("1");
    }

    /** Every key of a room with every field (vectors as bytes), leaving out times and the writing run. */
    Map<String, Map<String, String>> roomSnapshot(String room) {
        Map<String, Map<String, String>> out = new java.util.TreeMap<>();
        for (String k : redis.keys("room:{" + room + "}:*")) {
            Map<String, String> fields = new java.util.TreeMap<>();
            switch (redis.type(k)) {
                case "hash" -> redis.hgetAll(k.getBytes(UTF_8)).forEach((f, v) -> fields.put(new String(f, UTF_8),
                        java.util.HexFormat.of().formatHex(v)));
                case "set" -> redis.smembers(k).forEach(m -> fields.put(m, ""));
                default -> fields.put("type", redis.type(k));
            }
            for (String volatileField : List.of("ingested_at", "last_active", "run")) {
                fields.remove(java.util.HexFormat.of().formatHex(volatileField.getBytes(UTF_8)));
                fields.remove(volatileField);
            }
            out.put(k, fields);
        }
        return out;
    }

    @Test
    void anEvictedRoomIsRehydratedFromItsArchiveToTheSameKeysAndVectors() throws Exception {
        Path room = Files.createDirectories(uploads.resolve(a));
        TestDocuments.text(room, "notes.md", "# Notes\n\n" + paragraphs("the Lisbon office", 150), UTF_8);
        TestDocuments.docx(room, "minutes.docx", paragraphs("hiring", 5).split("\n\n"));
        runs.run(uploads, null);
        Map<String, Map<String, String>> before = roomSnapshot(a);
        assertThat(before).hasSizeGreaterThan(10);
        // the sources go away; the archive under <data-dir>/uploads/<room>/ keeps the room rebuildable
        Files.delete(room.resolve("notes.md"));
        Files.delete(room.resolve("minutes.docx"));
        assertThat(rooms.deleteRoom(a).keys()).isEqualTo(before.size());
        assertThat(redis.keys("room:{" + a + "}:*")).isEmpty();

        JobExecution rebuilt = runs.rehydrate(a, archive.roomDir(a).getParent());
        assertThat(rebuilt.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(runs.results(rebuilt)).extracting(FileResult::outcome).containsExactlyInAnyOrder(Outcome.SAMPLED, Outcome.INGESTED);
        assertThat(roomSnapshot(a)).isEqualTo(before);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runs.rehydrate("never-" + a, archive.roomDir(a).getParent()))
                .hasMessageContaining("no archived uploads for room never-" + a);
    }

    @Test
    void aRehydrateRebuildsExactlyTheDocumentsTheEvictedRoomHeldAndReportsTheMissingOnes() throws Exception {
        Path room = Files.createDirectories(uploads.resolve("exact").resolve(a));
        for (String n : List.of("a-kept.md", "b-changed.md", "c-gone.md")) {
            TestDocuments.text(room, n, paragraphs("the " + n + " topic", 3), UTF_8);
        }
        TestDocuments.text(room, "d-empty.md", "", UTF_8); // rejected: archived? no, and never in the room
        JobExecution first = runs.run(uploads.resolve("exact"), null);
        assertThat(first.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        Map<String, String> keptKeys = roomSnapshot(a).entrySet().stream()
                .filter(e -> e.getKey().contains(RoomKeys.docId(a, "a-kept.md")))
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString()));
        assertThat(keptKeys).isNotEmpty();

        // evicted as MemoryGuard does: what the room held, recorded with the eviction, then the room deleted
        Map<String, String> held = new java.util.TreeMap<>();
        rooms.documents(a).forEach(d -> held.put(d.file(), d.sha256()));
        assertThat(held).containsOnlyKeys("a-kept.md", "b-changed.md", "c-gone.md");
        evictions.record(new io.polyphony.ingest.budget.Evictions.Eviction(a, java.time.Instant.now(), null, "test", 1, 9, 3), held);
        rooms.deleteRoom(a);
        // since then the archive changed: one file replaced by other content, one gone, one new that the room never held
        Path kept = archive.roomDir(a);
        Files.writeString(kept.resolve("b-changed.md"), paragraphs("something else entirely", 2));
        Files.delete(kept.resolve("c-gone.md"));
        TestDocuments.text(kept, "e-later.md", paragraphs("a later upload", 2), UTF_8);

        JobExecution rebuilt = runs.rehydrate(a, kept.getParent());
        assertThat(rebuilt.getStatus()).isEqualTo(BatchStatus.COMPLETED);
        Map<String, FileResult> r = byName(runs.results(rebuilt));
        assertThat(r).containsOnlyKeys("a-kept.md", "b-changed.md", "c-gone.md");
        assertThat(r.get("a-kept.md").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(r.get("b-changed.md").reason()).isEqualTo(Reason.MISSING);
        assertThat(r.get("b-changed.md").message()).startsWith("the archive holds other content under this name now");
        assertThat(r.get("c-gone.md").reason()).isEqualTo(Reason.MISSING);
        assertThat(r.get("c-gone.md").message()).contains("the archive no longer has it");
        assertThat(rooms.documents(a)).extracting(io.polyphony.ingest.roomindex.RoomIndex.DocumentSummary::file)
                .containsExactly("a-kept.md");
        Map<String, String> rebuiltKeys = roomSnapshot(a).entrySet().stream()
                .filter(e -> e.getKey().contains(RoomKeys.docId(a, "a-kept.md")))
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString()));
        assertThat(rebuiltKeys.keySet()).isEqualTo(keptKeys.keySet());
    }

    @Test
    void aJobSpecsRoomBudgetRejectsWhatDoesNotFitWithItsNumbers() throws Exception {
        Path room = Files.createDirectories(uploads.resolve(a));
        TestDocuments.text(room, "a-first.md", paragraphs("the agenda", 4), UTF_8);
        TestDocuments.text(room, "b-second.md", paragraphs("the budget", 30), UTF_8);
        io.polyphony.ingest.schedule.JobSpec spec = new io.polyphony.ingest.schedule.JobSpec("tight", uploads.resolve("tight.yaml"),
                uploads, java.util.Optional.empty(), java.util.OptionalLong.empty(), java.util.OptionalInt.empty(),
                java.util.OptionalInt.of(5), java.util.Optional.empty());
        Map<String, FileResult> r = byName(runs.results(runs.runSpec(spec)));
        assertThat(r.get("a-first.md").outcome()).isEqualTo(Outcome.INGESTED);
        FileResult full = r.get("b-second.md");
        assertThat(full.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(full.reason()).isEqualTo(Reason.ROOM_FULL);
        int first = r.get("a-first.md").chunks();
        // refused before embedding (the room as it was) or by the write script (after a-first.md): both say so
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("room " + a
                + " holds (\\d+) chunks; this document's (\\d+) would make it (\\d+) > 5-chunk room budget").matcher(full.message());
        assertThat(m.matches()).as(full.message()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isIn(0, first);
        assertThat(Integer.parseInt(m.group(3))).isEqualTo(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)));
        assertThat(chunkKeys(a)).isEqualTo(first);
    }

    @Test
    void aFileThatTheTransactionsEarlierFilesLeaveNoRoomForIsRefusedBeforeItIsEmbedded() throws Exception {
        Path room = Files.createDirectories(uploads.resolve(a));
        String text = paragraphs("the agenda", 8);
        TestDocuments.text(room, "a-first.md", text, UTF_8);
        TestDocuments.text(room, "b-second.md", text.replace("agenda", "budget"), UTF_8);
        int k = io.polyphony.ingest.chunk.TextChunker.forModel(props.ingest().chunking(), embedder).chunk(text).size();
        assertThat(k).isGreaterThan(1);
        // each fits the budget alone, not both; with 8 files per transaction they are in the same one
        io.polyphony.ingest.schedule.JobSpec spec = new io.polyphony.ingest.schedule.JobSpec("tight", uploads.resolve("tight.yaml"),
                uploads, java.util.Optional.empty(), java.util.OptionalLong.empty(), java.util.OptionalInt.empty(),
                java.util.OptionalInt.of(2 * k - 1), java.util.Optional.empty());
        long embeddedBefore = metrics.chunksEmbedded();
        Map<String, FileResult> r = byName(runs.results(runs.runSpec(spec)));
        int first = r.get("a-first.md").chunks();
        assertThat(r.get("a-first.md").outcome()).isEqualTo(Outcome.INGESTED);
        assertThat(first).isEqualTo(k);
        FileResult full = r.get("b-second.md");
        assertThat(full.reason()).isEqualTo(Reason.ROOM_FULL);
        assertThat(full.message()).startsWith("room " + a + " holds " + first + " chunks; this document's ");
        assertThat(metrics.chunksEmbedded() - embeddedBefore).as("only the first file was embedded").isEqualTo(first);
        assertThat(chunkKeys(a)).isEqualTo(first);
    }

    @Test
    void aRoomInABadStateFailsItsFilesAndTheOtherRoomsAreIngested() throws Exception {
        String c = "c" + UUID.randomUUID().toString().substring(0, 6);
        String d = "d" + UUID.randomUUID().toString().substring(0, 6);
        Path root = uploads.resolve("bad-rooms");
        for (String room : List.of(a, b, c, d)) {
            TestDocuments.text(Files.createDirectories(root.resolve(room)), "notes.md", paragraphs("room " + room, 3), UTF_8);
        }
        // a: another model's vectors; b: a malformed counter; c: a key of the wrong type where the documents' set goes
        redis.hset(RoomKeys.meta(a), Map.of("model", "some-other-model", "dims", "384", "chunks", "3"));
        redis.hset(RoomKeys.meta(b), Map.of("model", "minilm-bge-ensemble", "dims", "768", "chunks", "lots"));
        redis.set(RoomKeys.docs(c), "not a set");
        try {
            JobExecution run = runs.run(root, null);
            assertThat(run.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            Map<String, FileResult> byRoom = runs.results(run).stream().collect(Collectors.toMap(FileResult::room, r -> r));
            assertThat(byRoom.get(a).reason()).isEqualTo(Reason.ROOM_ERROR);
            assertThat(byRoom.get(a).message()).startsWith("room " + a + " holds 384-dim vectors of model 'some-other-model'");
            assertThat(byRoom.get(b).reason()).isEqualTo(Reason.ROOM_ERROR);
            assertThat(byRoom.get(b).message()).startsWith("room " + b + ": ").contains("lots")
                    .contains("fix or delete the room (DELETE /api/rooms/" + b + ")");
            assertThat(byRoom.get(c).reason()).isEqualTo(Reason.ROOM_ERROR);
            assertThat(byRoom.get(c).message()).containsIgnoringCase("wrong");
            assertThat(byRoom.get(d).outcome()).isEqualTo(Outcome.INGESTED);
            assertThat(chunkKeys(d)).isPositive();
        } finally {
            for (String room : List.of(a, b, c)) {
                redis.del(RoomKeys.meta(room), RoomKeys.docs(room));
            }
        }
    }

    @Test
    void aFullRedisFailsTheDocumentWithMemoryBudgetNotTheJob() throws Exception {
        Path room = Files.createDirectories(uploads.resolve(a));
        TestDocuments.text(room, "big.md", paragraphs("capacity planning", 30), UTF_8);
        long used = RedisInfo.of(redis, "memory").number("used_memory");
        try {
            // every room here is recent, so none may be evicted; the budget (80 %) is already exceeded
            redis.configSet("maxmemory", Long.toString(used + 64 * 1024));
            JobExecution e = runs.run(uploads, null);
            assertThat(e.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            FileResult f = runs.results(e).get(0);
            assertThat(f.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(f.reason()).isEqualTo(Reason.MEMORY_BUDGET);
            assertThat(f.message()).contains("budget").contains("80 % of maxmemory").contains("retry this run's failed files: replay ");
            assertThat(chunkKeys(a)).isZero();
        } finally {
            redis.configSet("maxmemory", "0");
        }
    }
}
