package io.polyphony.ingest.job;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Who runs each execution, by lease: every process has an instance id (random at start), holds a lease row
 * for each execution it runs ({@code INGEST_LEASE}) and renews all of them with a heartbeat (a counter, every
 * {@code heartbeat}). Another process decides that an owner is gone when the counter has not moved for
 * {@code expiry} by its own monotonic clock, so wall clocks, host names and pids do not matter; only on the same
 * host does a dead pid (or this very pid under another instance id: pid 1 again in a restarted container) end a
 * lease at once. Claiming an interrupted execution for recovery is an insert keyed by the execution, so exactly
 * one process recovers it.
 */
public class RunOwners implements JobExecutionListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RunOwners.class);

    /** Owner of an execution: its process's instance id, host and pid. */
    public record Owner(String instance, String host, long pid) {

        /**
         * True when the owner ran on this host and its process is gone, or this process has its pid now under
         * another instance id ({@code me}): pid 1 again in a restarted container.
         */
        boolean deadHere(String me, String myHost) {
            if (!host.equals(myHost)) {
                return false;
            }
            if (pid == PID) {
                return !instance.equals(me);
            }
            return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        }
    }

    static final String HOST = hostName();
    static final long PID = ProcessHandle.current().pid();
    /** A launch (check, then create the execution) takes well under this; an older lock is a dead process's. */
    static final Duration LAUNCH_LOCK_STALE = Duration.ofMinutes(2);

    /** What this process last saw of another owner's lease, and since when (monotonic). */
    private record Seen(String instance, long beats, long sinceNanos) {
    }

    private final JdbcTemplate jdbc;
    /** This process's instance id. */
    private final String instance = UUID.randomUUID().toString();
    /** This process's host, as its leases name it. */
    private final String host;
    private final Duration heartbeat;
    private final Duration expiry;
    /** Runs (job instances) whose execution thread is still working in this process, even if marked stopped. */
    private final Set<Long> activeHere = ConcurrentHashMap.newKeySet();
    private final Map<Long, Seen> seen = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService beats;

    public RunOwners(JdbcTemplate jdbc, Duration heartbeat, Duration expiry) {
        this(jdbc, heartbeat, expiry, HOST);
    }

    /** As a process on another host would be (tests play several hosts in one JVM). */
    RunOwners(JdbcTemplate jdbc, Duration heartbeat, Duration expiry, String host) {
        this.host = host;
        if (expiry.compareTo(heartbeat.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("polyphony.lease.expiry (" + expiry + ") must be over twice"
                    + " polyphony.lease.heartbeat (" + heartbeat + ")");
        }
        this.jdbc = jdbc;
        this.heartbeat = heartbeat;
        this.expiry = expiry;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    public String instance() {
        return instance;
    }

    public Duration heartbeat() {
        return heartbeat;
    }

    /** True while an execution of this run is still executing in this process (a stop waits for its transaction). */
    public boolean activeHere(long jobInstanceId) {
        return activeHere.contains(jobInstanceId);
    }

    @Override
    public void beforeJob(JobExecution execution) {
        activeHere.add(execution.getJobInstance().getId());
        if (!holds(execution.getId())) {
            acquire(execution.getId()); // the command line runs what it launched; a server's worker claimed it already
        }
    }

    private boolean holds(long executionId) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ? AND INSTANCE_ID = ?",
                Integer.class, executionId, instance);
        return n != null && n > 0;
    }

    /**
     * Takes the lease of a queued execution that has none (a server's worker claiming it, see {@link RunQueue}): true
     * for exactly one process, the insert of the primary key being the claim.
     */
    boolean claim(long executionId) {
        try {
            jdbc.update("INSERT INTO INGEST_LEASE (JOB_EXECUTION_ID, INSTANCE_ID, HOST, PID, BEATS, ACQUIRED_AT)"
                    + " VALUES (?, ?, ?, ?, 0, ?)", executionId, instance, host, PID, Timestamp.from(Instant.now()));
        } catch (DuplicateKeyException taken) {
            return false;
        }
        startHeartbeat();
        return true;
    }

    /** Gives back a lease this process claimed but will not run. */
    void release(long executionId) {
        jdbc.update("DELETE FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ? AND INSTANCE_ID = ?", executionId, instance);
    }

    /** Takes the execution's lease for this process and keeps renewing it. */
    void acquire(long executionId) {
        jdbc.update("DELETE FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ?", executionId);
        jdbc.update("INSERT INTO INGEST_LEASE (JOB_EXECUTION_ID, INSTANCE_ID, HOST, PID, BEATS, ACQUIRED_AT)"
                + " VALUES (?, ?, ?, ?, 0, ?)", executionId, instance, host, PID, Timestamp.from(Instant.now()));
        startHeartbeat();
    }

    /** The execution ended here (completed, failed or stopped): its lease is released. */
    @Override
    public void afterJob(JobExecution execution) {
        activeHere.remove(execution.getJobInstance().getId());
        jdbc.update("DELETE FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ? AND INSTANCE_ID = ?", execution.getId(), instance);
    }

    private synchronized void startHeartbeat() {
        if (beats == null) {
            beats = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lease-heartbeat");
                t.setDaemon(true);
                return t;
            });
            beats.scheduleWithFixedDelay(this::beat, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
            log.info("instance {} (pid {} on {}) renews its run leases every {}", instance, PID, host, heartbeat);
        }
    }

    /** Renews every lease this process holds. */
    void beat() {
        try {
            jdbc.update("UPDATE INGEST_LEASE SET BEATS = BEATS + 1 WHERE INSTANCE_ID = ?", instance);
        } catch (DataAccessException e) {
            log.warn("could not renew the run leases of instance {}: {}", instance, e.getMessage());
        }
    }

    /** Stops renewing (the process is going away, or a test plays a dead process). */
    @Override
    public synchronized void close() {
        if (beats != null) {
            beats.shutdownNow();
            beats = null;
        }
    }

    public Optional<Owner> owner(long executionId) {
        List<Owner> rows = jdbc.query("SELECT INSTANCE_ID, HOST, PID FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ?",
                (rs, i) -> new Owner(rs.getString(1), rs.getString(2), rs.getLong(3)), executionId);
        return rows.stream().findFirst();
    }

    /**
     * True when the execution's owner is gone: its lease has not been renewed for {@code expiry} as this process
     * has watched it (so the first look at a lease never finds it expired), or its process is dead on this host.
     * A queued execution without a lease is waiting for a worker and never expires; one neither queued nor leased (its
     * process died between creating and queueing it) expires the same way as a silent lease.
     */
    public boolean expired(long executionId) {
        List<Seen> rows = jdbc.query("SELECT INSTANCE_ID, BEATS, HOST, PID FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ?",
                (rs, i) -> {
                    Owner o = new Owner(rs.getString(1), rs.getString(3), rs.getLong(4));
                    return o.deadHere(instance, host) ? null : new Seen(rs.getString(1), rs.getLong(2), 0);
                }, executionId);
        if (!rows.isEmpty() && rows.get(0) == null) {
            return true; // its process is gone from this host
        }
        if (rows.isEmpty() && queued(executionId)) {
            seen.remove(executionId);
            return false; // queued, waiting for a worker of any server: nobody owns it yet, nothing to take over
        }
        Seen now = rows.isEmpty() ? new Seen("", -1, 0) : rows.get(0);
        if (now.instance().equals(instance)) {
            return false; // this process holds it, and is alive
        }
        long t = System.nanoTime();
        Seen before = seen.compute(executionId, (id, old) -> old != null && old.instance().equals(now.instance())
                && old.beats() == now.beats() ? old : new Seen(now.instance(), now.beats(), t));
        return t - before.sinceNanos() >= expiry.toNanos();
    }

    private boolean queued(long executionId) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_QUEUE WHERE JOB_EXECUTION_ID = ?", Integer.class,
                executionId);
        return n != null && n > 0;
    }

    /**
     * True when this process may treat the execution as interrupted: its lease expired and no other process
     * claimed it first (the insert is the lock).
     */
    public boolean claimInterrupted(long executionId) {
        if (!expired(executionId)) {
            return false;
        }
        try {
            jdbc.update("INSERT INTO INGEST_RECOVERY (JOB_EXECUTION_ID, HOST, PID, RECOVERED_AT, INSTANCE_ID) VALUES (?, ?, ?, ?, ?)",
                    executionId, host, PID, Timestamp.from(Instant.now()), instance);
            seen.remove(executionId);
            jdbc.update("DELETE FROM INGEST_LEASE WHERE JOB_EXECUTION_ID = ?", executionId); // its dead owner's
            // and its place in the run queue: it no longer holds back the runs queued after it (see RunQueue)
            jdbc.update("DELETE FROM INGEST_QUEUE WHERE JOB_EXECUTION_ID = ?", executionId);
            return true;
        } catch (DuplicateKeyException e) {
            // claimed before: by a process that died during its recovery (before the run was restarted), or in vain
            return reclaimStale(executionId);
        }
    }

    /**
     * Takes over the recovery of an execution whose claimer died before it restarted the run (a crash during start-up
     * recovery): its process is gone from this host, or the claim is older than any recovery takes. True for exactly
     * one process (the update is conditional on the old claim).
     */
    public boolean reclaimStale(long executionId) {
        List<Object[]> rows = jdbc.query("SELECT INSTANCE_ID, HOST, PID, RECOVERED_AT FROM INGEST_RECOVERY"
                        + " WHERE JOB_EXECUTION_ID = ? AND INSTANCE_ID IS NOT NULL AND RESUMED_AS IS NULL",
                (rs, i) -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3), rs.getTimestamp(4)}, executionId);
        if (rows.isEmpty()) {
            return false; // finished (or an old row without a claimer)
        }
        Owner claimer = new Owner((String) rows.get(0)[0], (String) rows.get(0)[1], (Long) rows.get(0)[2]);
        Timestamp at = (Timestamp) rows.get(0)[3];
        boolean stale = claimer.deadHere(instance, host)
                || at.toInstant().isBefore(Instant.now().minus(LAUNCH_LOCK_STALE));
        if (!stale || claimer.instance().equals(instance)) {
            return false;
        }
        int won = jdbc.update("UPDATE INGEST_RECOVERY SET INSTANCE_ID = ?, HOST = ?, PID = ?, RECOVERED_AT = ?"
                        + " WHERE JOB_EXECUTION_ID = ? AND INSTANCE_ID = ? AND RECOVERED_AT = ? AND RESUMED_AS IS NULL",
                instance, host, PID, Timestamp.from(Instant.now()), executionId, claimer.instance(), at);
        if (won == 1) {
            log.warn("execution {} was being recovered by instance {} (process {} on {}), which died before it restarted"
                    + " the run; recovering it here", executionId, claimer.instance(), claimer.pid(), claimer.host());
        }
        return won == 1;
    }

    /** Recoveries claimed but not finished (the run not yet restarted): a crash during recovery leaves one. */
    public List<Long> unfinishedRecoveries() {
        return jdbc.queryForList("SELECT JOB_EXECUTION_ID FROM INGEST_RECOVERY WHERE INSTANCE_ID IS NOT NULL"
                + " AND RESUMED_AS IS NULL ORDER BY JOB_EXECUTION_ID", Long.class);
    }

    /** The run of a recovered execution goes on as {@code resumedAs}: its recovery is finished. */
    public void recoveredAs(long executionId, long resumedAs) {
        jdbc.update("UPDATE INGEST_RECOVERY SET RESUMED_AS = ? WHERE JOB_EXECUTION_ID = ? AND RESUMED_AS IS NULL",
                resumedAs, executionId);
    }

    /** Records that this process stops the execution because it shuts down: another process is to continue it. */
    public void handOver(long executionId) {
        jdbc.update("DELETE FROM INGEST_HANDOVER WHERE JOB_EXECUTION_ID = ?", executionId);
        jdbc.update("INSERT INTO INGEST_HANDOVER (JOB_EXECUTION_ID, INSTANCE_ID, STOPPED_AT) VALUES (?, ?, ?)",
                executionId, instance, Timestamp.from(Instant.now()));
    }

    /** Executions handed over by servers that shut down, oldest first. */
    public List<Long> handedOver() {
        return jdbc.queryForList("SELECT JOB_EXECUTION_ID FROM INGEST_HANDOVER ORDER BY JOB_EXECUTION_ID", Long.class);
    }

    /** Claims a handed-over execution to continue it here: true for exactly one process (the delete is the claim). */
    public boolean claimHandover(long executionId) {
        return jdbc.update("DELETE FROM INGEST_HANDOVER WHERE JOB_EXECUTION_ID = ?", executionId) == 1;
    }

    /** Runs (job instances) executing in this process now. */
    public Set<Long> runningHere() {
        return Set.copyOf(activeHere);
    }

    /**
     * Takes the launch lock of a job spec (a row keyed by the spec's name), so that checking whether the
     * job runs and starting it happen in one process at a time. A lock left by a process that died is taken
     * over: one of this host whose pid is gone (or is this process's now, under another instance id), or one
     * older than any launch takes. Empty means another live process holds it.
     */
    public Optional<Owner> lockLaunch(String spec) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                jdbc.update("INSERT INTO INGEST_SPEC_LAUNCH (SPEC, HOST, PID, LOCKED_AT, INSTANCE_ID) VALUES (?, ?, ?, ?, ?)",
                        spec, host, PID, Timestamp.from(Instant.now()), instance);
                return Optional.empty();
            } catch (DuplicateKeyException e) {
                List<Owner> holder = jdbc.query("SELECT INSTANCE_ID, HOST, PID FROM INGEST_SPEC_LAUNCH WHERE SPEC = ?"
                                + " AND LOCKED_AT > ?", (rs, i) -> new Owner(rs.getString(1) == null ? "" : rs.getString(1),
                                rs.getString(2), rs.getLong(3)), spec, Timestamp.from(Instant.now().minus(LAUNCH_LOCK_STALE)));
                if (!holder.isEmpty() && !holder.get(0).deadHere(instance, host)) {
                    return Optional.of(holder.get(0));
                }
                if (holder.isEmpty()) {
                    // released meanwhile, or older than any launch takes: its process died on another host
                    jdbc.update("DELETE FROM INGEST_SPEC_LAUNCH WHERE SPEC = ? AND LOCKED_AT <= ?", spec,
                            Timestamp.from(Instant.now().minus(LAUNCH_LOCK_STALE)));
                    continue;
                }
                jdbc.update("DELETE FROM INGEST_SPEC_LAUNCH WHERE SPEC = ? AND HOST = ? AND PID = ?", spec,
                        holder.get(0).host(), holder.get(0).pid());
            }
        }
        return Optional.of(new Owner("", "unknown", -1));
    }

    public void unlockLaunch(String spec) {
        jdbc.update("DELETE FROM INGEST_SPEC_LAUNCH WHERE SPEC = ? AND INSTANCE_ID = ?", spec, instance);
    }
}
