package io.polyphony.ingest.job;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.RoomBudget;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.roomindex.Retrying;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RoomFault;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.infrastructure.item.Chunk;
import org.springframework.batch.infrastructure.item.ItemWriter;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Embeds the chunks of all files in a Spring Batch chunk together (one call, so length bucketing works
 * across files), writes each document to its room, then records every file's result in the same
 * transaction that commits the reader's position: a file is recorded as done only after its Redis write.
 */
public class EmbedAndStoreWriter implements ItemWriter<PreparedFile> {

    private static final Logger log = LoggerFactory.getLogger(EmbedAndStoreWriter.class);

    private final Embedder embedder;
    private final RoomIndex rooms;
    private final Retrying retrying;
    private final FileResults results;
    private final IngestProgress progress;
    private final long jobInstanceId;
    private final long jobExecutionId;
    private final IngestMetrics metrics;
    private final UploadArchive archive;
    private final MemoryGuard memory;
    private final RoomBudget budget;
    private final PendingChunks pending;

    EmbedAndStoreWriter(Embedder embedder, RoomIndex rooms, Retrying retrying, FileResults results,
                        IngestProgress progress, IngestMetrics metrics, UploadArchive archive,
                        MemoryGuard memory, RoomBudget budget, PendingChunks pending, long jobInstanceId, long jobExecutionId) {
        this.pending = pending;
        this.memory = memory;
        this.budget = budget;
        this.metrics = metrics;
        this.archive = archive;
        this.embedder = embedder;
        this.rooms = rooms;
        this.retrying = retrying;
        this.results = results;
        this.progress = progress;
        this.jobInstanceId = jobInstanceId;
        this.jobExecutionId = jobExecutionId;
    }

    @Override
    public void write(Chunk<? extends PreparedFile> items) {
        try {
            writeAll(items);
        } finally {
            pending.clear(); // the next transaction's budget checks count the rooms as they are now
        }
    }

    private void writeAll(Chunk<? extends PreparedFile> items) {
        List<PreparedFile> toEmbed = items.getItems().stream().filter(PreparedFile::needsEmbedding).map(p -> (PreparedFile) p).toList();
        List<List<float[]>> vectors = embed(toEmbed);
        List<FileResult> done = new ArrayList<>();
        int e = 0;
        for (PreparedFile p : items) {
            if (!p.needsEmbedding()) {
                done.add(p.result());
                continue;
            }
            List<float[]> v = vectors.get(e++);
            if (v == null) {
                done.add(FileResult.of(p.task(), new Problem(Reason.INTERNAL, "embedding failed; see the log")));
                continue;
            }
            try {
                done.add(store(p, v));
            } catch (RuntimeException ex) {
                // one room's bad state fails its file, not the run (Redis out of reach is rethrown: the step stops)
                Problem problem = RoomFault.of(p.task().room(), ex);
                log.warn("{}: {}", p.task().path(), problem, ex);
                done.add(FileResult.of(p.task(), problem));
            }
        }
        for (int i = 0; i < done.size(); i++) {
            Outcome o = done.get(i).outcome();
            if (o == Outcome.INGESTED || o == Outcome.SAMPLED || o == Outcome.UNCHANGED) {
                FileTask task = items.getItems().get(i).task();
                Optional<String> failed = archive.keep(task);
                if (failed.isPresent()) {
                    // in the room, but a rehydrate could not rebuild it: not reported ingested, and retried by a replay
                    done.set(i, FileResult.of(task, new Problem(Reason.INTERNAL, "written to room " + task.room()
                            + " but not kept in the archive (" + failed.get() + "), so an eviction would lose it")));
                }
            }
        }
        results.record(jobInstanceId, jobExecutionId, done);
        progress.filesDone(done);
        metrics.files(done);
    }

    private FileResult store(PreparedFile p, List<float[]> v) {
        List<ChunkRecord> records = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            records.add(new ChunkRecord(p.chunks().get(i), v.get(i)));
        }
        DocumentWrite w = new DocumentWrite(p.task().room(), p.docId(), p.task().name(), p.sha256(), p.bytes(),
                records, p.totalChunks(), p.sampled(), embedder.info(), Long.toString(jobInstanceId));
        String room = p.task().room();
        long payload = records.stream().mapToLong(c -> c.content().getBytes(StandardCharsets.UTF_8).length
                + 4L * c.embedding().length).sum();
        Optional<Problem> noMemory = retrying.call("checking Redis memory for room " + room,
                () -> memory.admit(room, records.size(), payload));
        if (noMemory.isPresent()) {
            return FileResult.of(p.task(), noMemory.get());
        }
        RoomIndex.WriteResult r;
        try {
            r = retrying.call("writing " + p.task().name() + " to room " + room, () -> rooms.write(w, budget));
        } catch (JedisDataException e) {
            if (String.valueOf(e.getMessage()).startsWith("OOM")) {
                // Redis refused the whole script before it ran: nothing of the document was written
                return FileResult.of(p.task(), new Problem(Reason.MEMORY_BUDGET, "Redis is at its maxmemory ("
                        + e.getMessage() + "); nothing was written"));
            }
            throw e;
        }
        if (r.refused()) {
            return FileResult.of(p.task(), budget.refusal(room, r.oldChunks(), records.size(), r.newChunks()));
        }
        if (r.written()) {
            metrics.written(records.stream().mapToLong(c -> c.content().length() + 4L * c.embedding().length).sum());
        }
        if (!r.written() && writtenByThisRun(p)) {
            // an earlier execution of this run wrote it and stopped before recording it
            return FileResult.of(p.task(), p.sampled() ? Outcome.SAMPLED : Outcome.INGESTED, "written before the restart",
                    r.newChunks(), p.totalChunks(), p.sha256());
        }
        if (!r.written()) {
            return FileResult.of(p.task(), Outcome.UNCHANGED, "same content already in room " + p.task().room(),
                    r.newChunks(), p.totalChunks(), p.sha256());
        }
        String note = r.evicted().isEmpty() ? p.samplingNote() : p.samplingNote() + "; evicted the room's "
                + r.evicted().size() + " oldest document(s) to stay within its " + budget.maxChunks() + "-chunk budget";
        return p.sampled()
                ? FileResult.of(p.task(), Outcome.SAMPLED, note, records.size(), p.totalChunks(), p.sha256())
                : FileResult.of(p.task(), Outcome.INGESTED, note, records.size(), p.totalChunks(), p.sha256());
    }

    private boolean writtenByThisRun(PreparedFile p) {
        String run = Long.toString(jobInstanceId);
        return retrying.call("reading room " + p.task().room(), () -> rooms.document(p.task().room(), p.docId()))
                .map(d -> run.equals(d.run())).orElse(false);
    }

    private List<float[]> timedEmbed(List<String> chunks) {
        long t0 = System.nanoTime();
        List<float[]> v = embedder.embed(chunks, progress::chunksEmbedded);
        metrics.embedded(chunks.size(), System.nanoTime() - t0);
        return v;
    }

    /** Vectors per file; one batched call, falling back to file by file so one bad file cannot sink the rest. */
    private List<List<float[]>> embed(List<PreparedFile> files) {
        List<String> all = new ArrayList<>();
        files.forEach(f -> all.addAll(f.chunks()));
        List<List<float[]>> out = new ArrayList<>(files.size());
        try {
            List<float[]> v = timedEmbed(all);
            int at = 0;
            for (PreparedFile f : files) {
                out.add(v.subList(at, at + f.chunks().size()));
                at += f.chunks().size();
            }
            return out;
        } catch (RuntimeException batchFailure) {
            log.warn("batched embedding failed ({}); embedding file by file", batchFailure.getMessage());
        }
        for (PreparedFile f : files) {
            try {
                out.add(timedEmbed(f.chunks()));
            } catch (RuntimeException e) {
                log.error("embedding {} failed", f.task().path(), e);
                out.add(null);
            }
        }
        return out;
    }
}
