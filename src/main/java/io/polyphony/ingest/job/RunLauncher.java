package io.polyphony.ingest.job;

import io.polyphony.ingest.schedule.JobSpec;
import java.nio.file.Path;
import java.util.List;

/** Starts, resumes, replays and stops runs, for the API and the command line. */
public class RunLauncher {

    private final IngestRuns runs;

    public RunLauncher(IngestRuns runs) {
        this.runs = runs;
    }

    /** Resumes the unfinished run of the same path and room, or starts a new one. */
    public RunRecord run(Path path, String room) throws Exception {
        return RunRecord.of(runs.run(path, room));
    }

    /** Starts a declared job's run; {@link IngestRuns.RunConflictException} while it runs. */
    public RunRecord runSpec(JobSpec spec) throws Exception {
        return RunRecord.of(runs.runSpec(spec));
    }

    /** Replays a failed, stopped or interrupted run from where it stopped, by any of its executions' ids. */
    public RunRecord replay(long executionId) {
        return RunRecord.of(runs.replay(executionId));
    }

    public List<RunRecord> replayFailed() {
        return runs.replayFailed().stream().map(RunRecord::of).toList();
    }

    /** Ingests the room's archive again. */
    public RunRecord rehydrate(String room, Path uploadsDir) throws Exception {
        return RunRecord.of(runs.rehydrate(room, uploadsDir));
    }

    /** Asks a running execution to stop after its current transaction. */
    public RunRecord stop(long executionId) throws Exception {
        return RunRecord.of(runs.stop(executionId));
    }
}
