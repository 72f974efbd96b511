package io.polyphony.ingest.job;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;

/**
 * How many runs this server takes on at once: {@code polyphony.workers} executing and {@code polyphony.backlog}
 * waiting for a worker (their executions exist, {@code STARTING}, so a server that dies loses none of them: they
 * are taken over by lease). Over that a launch is refused at once ({@link RunsBusyException}: 429 with
 * {@code Retry-After}) instead of holding a request thread.
 */
public class RunAdmission implements JobExecutionListener {

    /** No place for another run now; try again after {@code retryAfterSeconds}. */
    public static final class RunsBusyException extends RuntimeException {
        private final int retryAfterSeconds;

        RunsBusyException(String message, int retryAfterSeconds) {
            super(message);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public int retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    private final int workers;
    private final int backlog;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<Long> admitted = ConcurrentHashMap.newKeySet();
    private final Set<Long> endedBeforeAdmitted = ConcurrentHashMap.newKeySet();

    public RunAdmission(int workers, int backlog) {
        if (workers < 1 || backlog < 0) {
            throw new IllegalArgumentException("polyphony.workers must be at least 1 and polyphony.backlog at least 0");
        }
        this.workers = workers;
        this.backlog = backlog;
    }

    public int workers() {
        return workers;
    }

    /** Takes a place for a launch, or refuses it; give it back with {@link #admitted} or {@link #cancel}. */
    void reserve() {
        if (inFlight.incrementAndGet() > workers + backlog) {
            inFlight.decrementAndGet();
            throw new RunsBusyException("this server is running " + workers + " run(s) and has " + backlog
                    + " waiting, its limit (polyphony.workers, polyphony.backlog); try again shortly", 5);
        }
    }

    /** The launch that took a place created this execution: the place is freed when it ends. */
    void admitted(long executionId) {
        if (endedBeforeAdmitted.remove(executionId)) {
            inFlight.decrementAndGet();
        } else {
            admitted.add(executionId);
        }
    }

    /** The launch failed before an execution ran: its place is free again. */
    void cancel() {
        inFlight.decrementAndGet();
    }

    @Override
    public void afterJob(JobExecution execution) {
        if (admitted.remove(execution.getId())) {
            inFlight.decrementAndGet();
        } else {
            endedBeforeAdmitted.add(execution.getId());
        }
    }

    /** Runs executing or waiting here that came through admission. */
    public int inFlight() {
        return inFlight.get();
    }
}
