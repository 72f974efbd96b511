package io.polyphony.ingest.job;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.core.task.TaskExecutor;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.EmptyResultDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The servers' shared work queue, in the job database ({@code INGEST_QUEUE}). A launch in a server (an upload, a
 * job's run, a replay, a rehydrate, a takeover) creates its execution ({@code STARTING}) and queues it before the API
 * answers, so nothing accepted is lost when that server dies. {@code polyphony.workers} threads in every server take
 * queued executions, whichever server queued them: a worker claims one by taking its lease ({@link RunOwners#claim},
 * a primary key, so on H2 and PostgreSQL alike exactly one worker wins), runs it, and removes it when it ends.
 *
 * <p>Executions with the same key (a room, or the folder of a run without one) run one at a time, in the order they
 * were queued: two uploads of one file name into one room, on any servers, are ingested one after the other, so the
 * later upload's content is what the room ends with. Over {@code polyphony.backlog} executions waiting for a worker
 * (in all servers), a launch is refused at once ({@link RunsBusyException}: 429 with {@code Retry-After}).
 */
public class RunQueue implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RunQueue.class);

    /**
     * The job operator's task executor in a server: the execution it was given is already in the database, queued by
     * {@link #submit}; a worker runs it ({@code job.execute}, as Spring Batch's own launcher would).
     */
    public static final TaskExecutor QUEUED = task -> { };

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

    private final JdbcTemplate jdbc;
    private final RunOwners owners;
    private final JobRepository jobRepository;
    private final Job job;
    private final int workers;
    private final int backlog;
    private final Duration poll;
    private final Object wake = new Object();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean claiming;
    /** Workers inside {@link #runClaimed} (a run executing, or its end being recorded). */
    private final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();

    public RunQueue(JdbcTemplate jdbc, RunOwners owners, JobRepository jobRepository, Job job, int workers, int backlog,
                    Duration poll) {
        if (workers < 1 || backlog < 0) {
            throw new IllegalArgumentException("polyphony.workers must be at least 1 and polyphony.backlog at least 0");
        }
        this.jdbc = jdbc;
        this.owners = owners;
        this.jobRepository = jobRepository;
        this.job = job;
        this.workers = workers;
        this.backlog = backlog;
        this.poll = poll;
    }

    /** The key under which executions run one at a time: the room, or the folder of a run without one. */
    static String key(JobExecution e) {
        String room = e.getJobParameters().getString("room");
        return room == null || room.isEmpty() ? "path:" + e.getJobParameters().getString("path") : "room:" + room;
    }

    /** Refuses a launch while {@code polyphony.backlog} executions wait for a worker in the servers of this database. */
    public void requireRoom() {
        int waiting = waiting();
        if (waiting >= backlog) {
            throw new RunsBusyException(waiting + " run(s) are waiting for a worker in the servers sharing this job database,"
                    + " the limit (polyphony.backlog " + backlog + ", polyphony.workers " + workers
                    + " per server); try again shortly", 5);
        }
    }

    /** Executions queued and not claimed by a worker yet, in every server. */
    public int waiting() {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_QUEUE q WHERE NOT EXISTS"
                + " (SELECT 1 FROM INGEST_LEASE l WHERE l.JOB_EXECUTION_ID = q.JOB_EXECUTION_ID)", Integer.class);
        return n == null ? 0 : n;
    }

    /** Queues a {@code STARTING} execution for the first free worker of any server. */
    void submit(JobExecution execution) {
        submit(execution.getId(), key(execution));
    }

    void submit(long executionId, String key) {
        jdbc.update("INSERT INTO INGEST_QUEUE (JOB_EXECUTION_ID, RUN_KEY, QUEUED_BY, QUEUED_AT) VALUES (?, ?, ?, ?)",
                executionId, key, owners.instance(), Timestamp.from(Instant.now()));
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /** Starts this server's workers. */
    public synchronized void start() {
        if (claiming) {
            return;
        }
        claiming = true;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, "ingest-" + (i + 1));
            t.setDaemon(true); // a shutdown stops runs through the graceful stop, never by waiting on these threads
            threads.add(t);
            t.start();
        }
        log.info("instance {} runs up to {} queued run(s) at once (polyphony.workers)", owners.instance(), workers);
    }

    /** Claims by hand, without worker threads (tests). */
    void claimingForTests() {
        claiming = true;
    }

    private void work() {
        while (claiming) {
            Optional<Long> next;
            try {
                next = claimNext();
            } catch (DataAccessException e) {
                log.warn("could not read the run queue: {}", e.getMessage());
                next = Optional.empty();
            }
            if (next.isPresent()) {
                runClaimed(next.get());
                continue;
            }
            synchronized (wake) {
                try {
                    wake.wait(poll.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * Claims the oldest queued execution whose key has nothing queued before it and nothing running: its lease is now
     * this server's. Empty when there is none (or others won every race).
     */
    Optional<Long> claimNext() {
        List<Long> candidates = jdbc.queryForList("SELECT q.JOB_EXECUTION_ID FROM INGEST_QUEUE q"
                + " WHERE NOT EXISTS (SELECT 1 FROM INGEST_LEASE l WHERE l.JOB_EXECUTION_ID = q.JOB_EXECUTION_ID)"
                + " AND NOT EXISTS (SELECT 1 FROM INGEST_QUEUE p WHERE p.RUN_KEY = q.RUN_KEY AND p.SEQ < q.SEQ)"
                + " ORDER BY q.SEQ FETCH FIRST 16 ROWS ONLY", Long.class);
        for (long id : candidates) {
            if (!claiming || !owners.claim(id)) {
                continue;
            }
            // taken: unless it ended meanwhile, or a run of the same key queued a moment earlier (sequence values
            // commit out of order) or claimed at the same moment by another worker is there; then both give way
            if (!aloneInItsKey(id)) {
                owners.release(id);
                continue;
            }
            return Optional.of(id);
        }
        return Optional.empty();
    }

    private boolean aloneInItsKey(long executionId) {
        Integer queued = jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_QUEUE WHERE JOB_EXECUTION_ID = ?", Integer.class,
                executionId);
        if (queued == null || queued == 0) {
            return false; // it ended (and left the queue) since it was listed
        }
        Integer others = jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_QUEUE q JOIN INGEST_QUEUE p ON p.RUN_KEY = q.RUN_KEY"
                + " WHERE q.JOB_EXECUTION_ID = ? AND p.JOB_EXECUTION_ID <> q.JOB_EXECUTION_ID AND (p.SEQ < q.SEQ"
                + " OR EXISTS (SELECT 1 FROM INGEST_LEASE l WHERE l.JOB_EXECUTION_ID = p.JOB_EXECUTION_ID))",
                Integer.class, executionId);
        return others != null && others == 0;
    }

    /** Runs a claimed execution here, on this worker's thread, and takes it off the queue when it ends. */
    void runClaimed(long executionId) {
        busy.incrementAndGet();
        try {
            execute(executionId);
        } finally {
            busy.decrementAndGet();
        }
    }

    private void execute(long executionId) {
        try {
            JobExecution e;
            try {
                e = jobRepository.getJobExecution(executionId);
            } catch (EmptyResultDataAccessException gone) {
                e = null;
            }
            if (e == null || (e.getStatus() != BatchStatus.STARTING && e.getStatus() != BatchStatus.STOPPING)) {
                // it ended, or was recovered, while its queue entry stayed behind
                remove(executionId);
                owners.release(executionId);
                return;
            }
            if (!claiming) {
                owners.release(executionId); // shutting down: it stays queued for another server
                return;
            }
            log.info("instance {} runs execution {} (run {})", owners.instance(), executionId, e.getJobInstance().getId());
            job.execute(e);
            log.info("instance {} ended execution {} (run {}): {}", owners.instance(), executionId,
                    e.getJobInstance().getId(), e.getStatus());
            remove(executionId);
        } catch (Exception | Error failed) {
            log.error("execution {} could not be run here: {}", executionId, failed.toString());
            owners.release(executionId); // its lease gone, the entry is taken again (or recovered when it started)
        }
    }

    void remove(long executionId) {
        jdbc.update("DELETE FROM INGEST_QUEUE WHERE JOB_EXECUTION_ID = ?", executionId);
    }

    /**
     * Waits up to {@code grace} until no worker is running an execution or recording its end (a server shutting down
     * must not exit between a run's last transaction and its {@code COMPLETED}). True when they all finished.
     */
    public boolean awaitIdle(java.time.Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (busy.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return busy.get() == 0;
    }

    /** Stops taking queued executions (the server shuts down); runs in progress go on until they stop. */
    @Override
    public void close() {
        claiming = false;
        synchronized (wake) {
            wake.notifyAll();
        }
    }
}
