package io.polyphony.ingest.job;

import io.polyphony.ingest.Outcome;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Live counters of the running ingest, for the progress line. */
public class IngestProgress {

    private final AtomicInteger totalFiles = new AtomicInteger();
    private final AtomicInteger filesDone = new AtomicInteger();
    private final AtomicLong chunksWritten = new AtomicLong();
    private final AtomicInteger filesParsed = new AtomicInteger();
    private final AtomicLong chunksEmbedded = new AtomicLong();
    private volatile long startedNanos = System.nanoTime();
    private volatile Consumer<List<FileResult>> afterWrites = results -> { };

    public void start(int total, int alreadyDone) {
        totalFiles.set(total);
        filesDone.set(alreadyDone);
        filesParsed.set(alreadyDone);
        chunksWritten.set(0);
        chunksEmbedded.set(0);
        startedNanos = System.nanoTime();
    }

    /** A file was read and decided (parsed and chunked, or found unchanged or refused), before its transaction. */
    void fileParsed() {
        filesParsed.incrementAndGet();
    }

    /** The model finished a batch of chunks, before their transaction commits. */
    void chunksEmbedded(int n) {
        chunksEmbedded.addAndGet(n);
    }

    void filesDone(List<FileResult> results) {
        filesDone.addAndGet(results.size());
        long written = results.stream().filter(r -> r.outcome() == Outcome.INGESTED
                || r.outcome() == Outcome.SAMPLED).mapToLong(FileResult::chunks).sum();
        chunksWritten.addAndGet(written);
        afterWrites.accept(results);
        HaltPoints.reached("after-writes");
    }

    /**
     * Runs after each transaction's files were written to Redis and recorded, before the transaction commits: a
     * deterministic point at which tests take Redis away. Null removes it.
     */
    public void afterWrites(Consumer<List<FileResult>> hook) {
        this.afterWrites = hook == null ? results -> { } : hook;
    }

    /**
     * "files 12/40 (16 parsed) · chunks 3,400 (3,560 embedded) · 26.1 chunks/s · ETA 1m 20s": files and chunks committed,
     * and in brackets how far parsing and the model have got in the current transaction; the rate is the model's.
     */
    public String line() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
        long chunks = chunksWritten.get();
        long embedded = Math.max(chunks, chunksEmbedded.get());
        int done = filesDone.get();
        int parsed = Math.max(done, filesParsed.get());
        int total = totalFiles.get();
        double rate = embedded / seconds;
        String eta = "–";
        if (parsed > 0 && total > parsed) {
            long s = Math.round(seconds / parsed * (total - parsed));
            eta = s >= 60 ? (s / 60) + "m " + (s % 60) + "s" : s + "s";
        }
        return String.format(Locale.ROOT, "files %d/%d (%d parsed) · chunks %,d (%,d embedded) · %.1f chunks/s · ETA %s",
                done, total, parsed, chunks, embedded, rate, eta);
    }
}
