package io.polyphony.ingest.api;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.job.FileResult;
import io.polyphony.ingest.job.RunRecord;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * An execution as the API shows it: status, progress, per-file outcomes with reasons, timings; and its run's newest
 * execution ({@code lastExecution}, {@code runStatus}): after a takeover or a replay that is where the run went on.
 */
record RunView(long execution, long run, String job, String status, String exitCode, String path, String room,
               LocalDateTime startTime, LocalDateTime endTime, Long durationMs, Progress progress,
               List<FileView> files, String failure, long lastExecution, String runStatus) {

    record Progress(int filesDone, Integer filesTotal, long chunksWritten) {
    }

    record FileView(String path, String room, String outcome, String reason, String message, int chunks,
                    int totalChunks, String sha256) {
    }

    static RunView of(RunRecord r, RunRecord last, List<FileResult> results, boolean withFiles) {
        long written = results.stream().filter(f -> f.outcome() == Outcome.INGESTED || f.outcome() == Outcome.SAMPLED)
                .mapToLong(FileResult::chunks).sum();
        Long duration = r.startTime() == null ? null
                : Duration.between(r.startTime(), r.endTime() == null ? LocalDateTime.now() : r.endTime()).toMillis();
        boolean unsuccessful = List.of("FAILED", "ABANDONED", "UNKNOWN").contains(r.status());
        return new RunView(r.execution(), r.run(), r.spec(), r.status(), r.exitCode(), r.path(), r.room(), r.startTime(),
                r.endTime(), duration, new Progress(results.size(), r.filesTotal(), written),
                withFiles ? results.stream().map(f -> new FileView(f.path(), f.room(), f.outcome().name(),
                        f.reason() == null ? null : f.reason().code(), f.message(), f.chunks(), f.totalChunks(), f.sha256())).toList() : null,
                unsuccessful ? r.failure() : null, last.execution(), last.status());
    }
}
