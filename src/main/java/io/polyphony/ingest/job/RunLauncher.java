package io.polyphony.ingest.job;

import io.polyphony.ingest.schedule.JobSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Starts, resumes, replays and stops runs, for the API and the command line. In a server a launch queues its execution
 * for the workers of every server ({@link RunQueue}); while the queue holds {@code polyphony.backlog} executions waiting,
 * launches are refused at once ({@link RunQueue.RunsBusyException}).
 */
public class RunLauncher {

    /** A launch that may throw. */
    @FunctionalInterface
    private interface Launch {
        org.springframework.batch.core.job.JobExecution start() throws Exception;
    }

    /** Puts an upload's file in place; runs only once the launch is admitted. */
    @FunctionalInterface
    public interface Store {
        void store() throws IOException;
    }

    private final IngestRuns runs;
    private final ObjectProvider<RunQueue> queue;

    public RunLauncher(IngestRuns runs, ObjectProvider<RunQueue> queue) {
        this.runs = runs;
        this.queue = queue;
    }

    private RunRecord admit(Launch launch) throws Exception {
        queue.ifAvailable(RunQueue::requireRoom);
        return RunRecord.of(startRetryingConflicts(launch));
    }

    /**
     * Starts, again when the job database refused the creating transaction for a concurrent one (PostgreSQL's
     * serializable isolation, which Spring Batch asks for when it creates a job instance, cancels one of two
     * concurrent creates: "could not serialize access"). The refused transaction was rolled back whole, so starting
     * again is safe; many uploads at once otherwise got a 500 now and then.
     */
    private static org.springframework.batch.core.job.JobExecution startRetryingConflicts(Launch launch) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return launch.start();
            } catch (org.springframework.dao.ConcurrencyFailureException e) {
                if (attempt >= 8) {
                    throw e;
                }
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(10, 50L * attempt));
            }
        }
    }

    /** Resumes the unfinished run of the same path and room, or starts a new one. */
    public RunRecord run(Path path, String room) throws Exception {
        return admit(() -> runs.run(path, room));
    }

    /**
     * An upload: once admitted (a 429 stores nothing), {@code store} puts the file in the room's archive and a new run
     * ingests it, after any earlier run of the room still queued or running.
     */
    public RunRecord upload(Path file, String room, Store store) throws Exception {
        queue.ifAvailable(RunQueue::requireRoom);
        store.store();
        return RunRecord.of(startRetryingConflicts(() -> runs.upload(file, room)));
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
