package io.polyphony.ingest.job;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Records which process (host and pid) runs each execution, and lets exactly one process claim an
 * interrupted execution for recovery. A run left {@code STARTED} whose owner is alive on this host is
 * not interrupted: another process is working on it.
 */
public class RunOwners implements JobExecutionListener {

    /** Owner of an execution. */
    public record Owner(String host, long pid) {

        /** True when the owner is this host and its process is gone (or it is a different host: unknown). */
        boolean deadHere() {
            return host.equals(HOST) && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        }
    }

    static final String HOST = hostName();
    /** A launch (check, then create the execution) takes well under this; an older lock is a dead process's. */
    static final java.time.Duration LAUNCH_LOCK_STALE = java.time.Duration.ofMinutes(2);
    static final long PID = ProcessHandle.current().pid();

    private final JdbcTemplate jdbc;
    /** Runs (job instances) whose execution thread is still working in this process, even if marked stopped. */
    private final Set<Long> activeHere = ConcurrentHashMap.newKeySet();

    public RunOwners(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** True while an execution of this run is still executing in this process (a stop waits for its transaction). */
    public boolean activeHere(long jobInstanceId) {
        return activeHere.contains(jobInstanceId);
    }

    @Override
    public void afterJob(JobExecution execution) {
        activeHere.remove(execution.getJobInstance().getId());
    }

    @Override
    public void beforeJob(JobExecution execution) {
        activeHere.add(execution.getJobInstance().getId());
        jdbc.update("DELETE FROM INGEST_RUN_OWNER WHERE JOB_EXECUTION_ID = ?", execution.getId());
        jdbc.update("INSERT INTO INGEST_RUN_OWNER (JOB_EXECUTION_ID, HOST, PID, STARTED_AT) VALUES (?, ?, ?, ?)",
                execution.getId(), HOST, PID, Timestamp.from(Instant.now()));
    }

    public Optional<Owner> owner(long executionId) {
        List<Owner> rows = jdbc.query("SELECT HOST, PID FROM INGEST_RUN_OWNER WHERE JOB_EXECUTION_ID = ?",
                (rs, i) -> new Owner(rs.getString(1), rs.getLong(2)), executionId);
        return rows.stream().findFirst();
    }

    /**
     * True when this process may treat the execution as interrupted: no live owner on this host, and no
     * other process claimed it first (the insert is the lock).
     */
    public boolean claimInterrupted(long executionId) {
        Optional<Owner> owner = owner(executionId);
        if (owner.isPresent() && !owner.get().deadHere()) {
            return false;
        }
        try {
            jdbc.update("INSERT INTO INGEST_RECOVERY (JOB_EXECUTION_ID, HOST, PID, RECOVERED_AT) VALUES (?, ?, ?, ?)",
                    executionId, HOST, PID, Timestamp.from(Instant.now()));
            return true;
        } catch (DuplicateKeyException e) {
            return false;
        }
    }

    /**
     * Takes the launch lock of a job spec (a row keyed by the spec's name), so that checking whether the
     * job runs and starting it happen in one process at a time. A lock left by a process that died is
     * taken over; empty means another live process holds it.
     */
    public Optional<Owner> lockLaunch(String spec) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                jdbc.update("INSERT INTO INGEST_SPEC_LAUNCH (SPEC, HOST, PID, LOCKED_AT) VALUES (?, ?, ?, ?)",
                        spec, HOST, PID, Timestamp.from(Instant.now()));
                return Optional.empty();
            } catch (DuplicateKeyException e) {
                List<Owner> holder = jdbc.query("SELECT HOST, PID FROM INGEST_SPEC_LAUNCH WHERE SPEC = ? AND LOCKED_AT > ?",
                        (rs, i) -> new Owner(rs.getString(1), rs.getLong(2)), spec,
                        Timestamp.from(Instant.now().minus(LAUNCH_LOCK_STALE)));
                if (!holder.isEmpty() && !holder.get(0).deadHere()) {
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
        return Optional.of(new Owner("unknown", -1));
    }

    public void unlockLaunch(String spec) {
        jdbc.update("DELETE FROM INGEST_SPEC_LAUNCH WHERE SPEC = ? AND HOST = ? AND PID = ?", spec, HOST, PID);
    }
}
