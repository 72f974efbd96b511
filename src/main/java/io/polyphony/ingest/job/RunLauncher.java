package io.polyphony.ingest.job;

import io.polyphony.ingest.schedule.JobSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts, resumes, replays and stops runs, for the API and the command line. Launches take a place in this
 * server's {@link RunAdmission} first: over its limit they are refused at once ({@link RunAdmission.RunsBusyException}).
 */
public class RunLauncher {

    /** A launch that may throw. */
    @FunctionalInterface
    private interface Launch {
        org.springframework.batch.core.job.JobExecution start() throws Exception;
    }

    private final IngestRuns runs;
    private final RunAdmission admission;

    public RunLauncher(IngestRuns runs, RunAdmission admission) {
        this.runs = runs;
        this.admission = admission;
    }

    private RunRecord admit(Launch launch) throws Exception {
        admission.reserve();
        org.springframework.batch.core.job.JobExecution e;
        try {
            e = launch.start();
        } catch (Exception | Error failed) {
            admission.cancel();
            throw failed;
        }
        admission.admitted(e.getId());
        return RunRecord.of(e);
    }

    /** Resumes the unfinished run of the same path and room, or starts a new one. */
    public RunRecord run(Path path, String room) throws Exception {
        return admit(() -> runs.run(path, room));
    }

    /** Starts a declared job's run; {@link IngestRuns.RunConflictException} while it runs. */
    public RunRecord runSpec(JobSpec spec) throws Exception {
        return admit(() -> runs.runSpec(spec));
    }

    /** Replays a failed, stopped or interrupted run from where it stopped, by any of its executions' ids. */
    public RunRecord replay(long executionId) throws Exception {
        return admit(() -> runs.replay(executionId));
    }

    public List<RunRecord> replayFailed() {
        return runs.replayFailed().stream().map(RunRecord::of).toList();
    }

    /** Ingests the room's archive again. */
    public RunRecord rehydrate(String room, Path uploadsDir) throws Exception {
        return admit(() -> runs.rehydrate(room, uploadsDir));
    }

    /** Asks a running execution to stop after its current transaction. */
    public RunRecord stop(long executionId) throws Exception {
        return RunRecord.of(runs.stop(executionId));
    }
}
