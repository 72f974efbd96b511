package io.polyphony.ingest.job;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.batch.autoconfigure.BatchTaskExecutor;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.task.TaskExecutor;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Runs in the server ({@code serve}): launches return at once with the new execution (the command line
 * waits for its run instead), and executions whose owner died are taken over (recovered and restarted).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
public class ServerRunsConfiguration {

    /** Launches only create and queue their executions; {@link RunQueue}'s workers, in any server, run them. */
    @Bean
    @BatchTaskExecutor
    public TaskExecutor queuedRuns() {
        return RunQueue.QUEUED;
    }

    @Bean(destroyMethod = "close")
    public RunQueue runQueue(JdbcTemplate jdbc, RunOwners owners, JobRepository jobRepository, Job ingestJob,
                             PolyphonyProperties props) {
        return new RunQueue(jdbc, owners, jobRepository, ingestJob, props.workerCount(), props.backlog(), QUEUE_POLL);
    }

    /** How often an idle worker looks for runs queued by other servers (its own server's wake it at once). */
    static final java.time.Duration QUEUE_POLL = java.time.Duration.ofMillis(500);

    @Bean(destroyMethod = "close")
    public InterruptedRunsRecovery interruptedRunsRecovery(IngestRuns runs, RunOwners owners, RunQueue queue,
                                                           ObjectProvider<RoomIndex> rooms) {
        return new InterruptedRunsRecovery(runs, owners, queue, rooms);
    }

    /**
     * The archive this server writes must be the one the job database's servers share: checked at start-up; and what
     * interrupted uploads left in it (untouched for 15 minutes) is removed.
     */
    @Bean
    public String sharedArchiveId(JdbcTemplate jdbc, PolyphonyProperties props, UploadArchive archive) {
        String id = SharedArchive.require(jdbc, props.uploadsDir());
        archive.removeStrays(STRAY_AGE);
        return id;
    }

    /** A partial upload untouched this long is a dead process's, not one another server is still receiving. */
    static final java.time.Duration STRAY_AGE = java.time.Duration.ofMinutes(15);

    @Bean
    public GracefulStop gracefulStop(IngestRuns runs, InterruptedRunsRecovery watcher, RunQueue queue,
                                     PolyphonyProperties props) {
        return new GracefulStop(runs, watcher, queue, props.shutdownGrace());
    }

    /**
     * On SIGTERM (the context closing), before anything else stops: no more takeovers here and no more runs taken from
     * the queue (those waiting stay queued for the other servers), and every run executing
     * here stops at its next transaction boundary ({@code STOPPED}, its lease released) and is handed over, within
     * the grace period ({@code polyphony.shutdown-grace}); another server, or this one after its restart, continues
     * it without a recovery.
     */
    public static final class GracefulStop implements SmartLifecycle {
        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GracefulStop.class);

        private final IngestRuns runs;
        private final InterruptedRunsRecovery watcher;
        private final RunQueue queue;
        private final java.time.Duration grace;
        private volatile boolean running;

        GracefulStop(IngestRuns runs, InterruptedRunsRecovery watcher, RunQueue queue, java.time.Duration grace) {
            this.runs = runs;
            this.watcher = watcher;
            this.queue = queue;
            this.grace = grace;
        }

        /**
         * SIGTERM and SIGINT first stop and hand over the runs, then exit: the JVM's shutdown hooks (H2 closing its
         * database, the embedded redis-server stopping) run concurrently, so they must not start before the runs
         * have reached a transaction boundary.
         */
        @Override
        public void start() {
            running = true;
            for (String name : new String[] {"TERM", "INT"}) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                        log.info("SIG{}: stopping this server's runs at a transaction boundary (grace {})", name, grace);
                        stop();
                        System.exit(128 + signal.getNumber());
                    });
                } catch (IllegalArgumentException unavailable) {
                    log.warn("cannot handle SIG{} here; runs are stopped when the context closes", name);
                }
            }
        }

        @Override
        public synchronized void stop() {
            if (!running) {
                return;
            }
            watcher.close();
            queue.close();
            long start = System.nanoTime();
            List<Long> left = runs.handOverRunningHere(grace);
            // and no run may be cut between its last transaction and the record of its end
            queue.awaitIdle(grace.minusNanos(System.nanoTime() - start));
            if (!left.isEmpty()) {
                log.warn("shutting down: executions {} did not stop within {}; their leases will expire and another"
                        + " server will take them over", left, grace);
            }
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }
    }

    /**
     * Takes over interrupted runs: once the server is ready, and then every lease heartbeat, executions whose
     * owner's lease expired (a dead server, here or on another host) are recovered and restarted here; exactly
     * one server claims each.
     */
    public static final class InterruptedRunsRecovery implements AutoCloseable {
        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InterruptedRunsRecovery.class);

        private final IngestRuns runs;
        private final RunOwners owners;
        private final RunQueue queue;
        private final ObjectProvider<RoomIndex> rooms;
        private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lease-watch");
            t.setDaemon(true);
            return t;
        });

        InterruptedRunsRecovery(IngestRuns runs, RunOwners owners, RunQueue queue, ObjectProvider<RoomIndex> rooms) {
            this.runs = runs;
            this.owners = owners;
            this.queue = queue;
            this.rooms = rooms;
        }

        /**
         * Also connects to Redis now, so a Redis we must not use (its eviction policy) stops the server at start-up; then
         * this server's workers start taking queued runs.
         */
        @EventListener(ApplicationReadyEvent.class)
        public void start() {
            rooms.getObject();
            log.info("instance {} watches run leases every {}", owners.instance(), owners.heartbeat());
            recover();
            queue.start();
            long every = owners.heartbeat().toMillis();
            watcher.scheduleWithFixedDelay(() -> {
                try {
                    recover();
                } catch (RuntimeException e) {
                    log.warn("lease watch failed: {}", e.getMessage());
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }

        /** One pass: the runs taken over here, restarted. */
        public List<JobExecution> recover() {
            return runs.takeOverInterrupted();
        }

        @Override
        public void close() {
            watcher.shutdownNow();
        }
    }
}
