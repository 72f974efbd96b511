package io.polyphony.ingest.job;

import java.util.List;
import java.util.Locale;
import org.springframework.batch.core.BatchStatus;

/** What runs did, from the job database: any server sharing it answers the same. */
public class RunHistory {

    private final IngestRuns runs;

    public RunHistory(IngestRuns runs) {
        this.runs = runs;
    }

    /** {@link IngestRuns.NoSuchRunException} for an unknown id. */
    public RunRecord run(long executionId) {
        return RunRecord.of(runs.execution(executionId));
    }

    /** The newest execution of the execution's run: the one that tells how the run ended (or how it goes on). */
    public RunRecord last(long executionId) {
        return RunRecord.of(runs.last(runs.execution(executionId)));
    }

    /** Executions, newest first, optionally only those of one status (any of {@link RunRecord#STATUSES}). */
    public List<RunRecord> runs(String status, int max) {
        BatchStatus s = null;
        if (status != null) {
            try {
                s = BatchStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown status '" + status + "': one of " + RunRecord.STATUSES);
            }
        }
        return runs.executions(s, max).stream().map(RunRecord::of).toList();
    }

    /** The run's per-file results so far, in file order (the whole run's, whichever execution is named). */
    public List<FileResult> results(long executionId) {
        return runs.results(runs.execution(executionId));
    }
}
