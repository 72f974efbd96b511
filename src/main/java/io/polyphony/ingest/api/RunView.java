package io.polyphony.ingest.api;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.job.FileResult;
import io.polyphony.ingest.job.IngestJobConfiguration;
import io.polyphony.ingest.job.IngestRuns;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepExecution;

/** A run as the API shows it: status, progress, per-file outcomes with reasons, timings. */
record RunView(long execution, long run, String job, String status, String exitCode, String path, String room,
               LocalDateTime startTime, LocalDateTime endTime, Long durationMs, Progress progress,
               List<FileView> files, String failure) {

    record Progress(int filesDone, Integer filesTotal, long chunksWritten) {
    }

    record FileView(String path, String room, String outcome, String reason, String message, int chunks,
                    int totalChunks) {
    }

    static RunView of(JobExecution e, IngestRuns runs, boolean withFiles) {
        List<FileResult> results = runs.results(e);
        long written = results.stream().filter(r -> r.outcome() == Outcome.INGESTED || r.outcome() == Outcome.SAMPLED)
                .mapToLong(FileResult::chunks).sum();
        Long duration = e.getStartTime() == null ? null
                : Duration.between(e.getStartTime(), e.getEndTime() == null ? LocalDateTime.now() : e.getEndTime()).toMillis();
        String room = e.getJobParameters().getString("room");
        return new RunView(e.getId(), e.getJobInstance().getId(), e.getJobParameters().getString(IngestJobConfiguration.SPEC),
                e.getStatus().name(), e.getExitStatus().getExitCode(), e.getJobParameters().getString("path"),
                room == null || room.isEmpty() ? null : room, e.getStartTime(), e.getEndTime(), duration,
                new Progress(results.size(), filesTotal(e), written),
                withFiles ? results.stream().map(r -> new FileView(r.path(), r.room(), r.outcome().name(),
                        r.reason() == null ? null : r.reason().code(), r.message(), r.chunks(), r.totalChunks())).toList() : null,
                e.getStatus().isUnsuccessful() ? IngestRuns.failureMessage(e) : null);
    }

    /** The run's file list is saved in its step's context when the step opens. */
    private static Integer filesTotal(JobExecution e) {
        for (StepExecution s : e.getStepExecutions()) {
            Object files = s.getExecutionContext().get(IngestRuns.FILES_KEY);
            if (files instanceof List<?> l) {
                return l.size();
            }
        }
        return null;
    }
}
