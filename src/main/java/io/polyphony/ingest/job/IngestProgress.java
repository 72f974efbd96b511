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
    private volatile long startedNanos = System.nanoTime();
    private volatile Consumer<List<FileResult>> afterWrites = results -> { };

    public void start(int total, int alreadyDone) {
        totalFiles.set(total);
        filesDone.set(alreadyDone);
        chunksWritten.set(0);
        startedNanos = System.nanoTime();
    }

    void filesDone(List<FileResult> results) {
        filesDone.addAndGet(results.size());
        long written = results.stream().filter(r -> r.outcome() == Outcome.INGESTED
                || r.outcome() == Outcome.SAMPLED).mapToLong(FileResult::chunks).sum();
        chunksWritten.addAndGet(written);
        afterWrites.accept(results);
    }

    /**
     * Runs after each transaction's files were written to Redis and recorded, before the transaction commits: a
     * deterministic point at which tests take Redis away. Null removes it.
     */
    public void afterWrites(Consumer<List<FileResult>> hook) {
        this.afterWrites = hook == null ? results -> { } : hook;
    }

    /** "files 12/40 · chunks 3,400 · 26.1 chunks/s · ETA 1m 20s" */
    public String line() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
        long chunks = chunksWritten.get();
        int done = filesDone.get();
        int total = totalFiles.get();
        double rate = chunks / seconds;
        String eta = "–";
        if (done > 0 && total > done) {
            long s = Math.round(seconds / done * (total - done));
            eta = s >= 60 ? (s / 60) + "m " + (s % 60) + "s" : s + "s";
        }
        return String.format(Locale.ROOT, "files %d/%d · chunks %,d · %.1f chunks/s · ETA %s", done, total, chunks, rate, eta);
    }
}
