package io.polyphony.ingest.job;

import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.roomindex.Retrying.RedisUnavailableException;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.schedule.JobSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.launch.JobRestartException;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.EmptyResultDataAccessException;
import org.springframework.stereotype.Component;

/**
 * Starting and resuming ingest runs. A run is identified by what it ingests (path, room) plus a start
 * time, so the same command after a completed run is a new run, while after a crash or failure it finds
 * the unfinished run and continues it from its last committed files.
 */
@Component
public class IngestRuns {

    private static final Logger log = LoggerFactory.getLogger(IngestRuns.class);

    /** Step-context key of the run's file list (see {@link UploadedFilesReader}). */
    public static final String FILES_KEY = "uploadedFiles.paths";

    private final JobOperator jobOperator;
    private final JobRepository jobRepository;
    private final Job ingestJob;
    private final FileResults fileResults;
    private final RunOwners owners;
    private final ObjectProvider<RunQueue> queue;
    private final org.springframework.jdbc.core.JdbcTemplate jdbc;
    private final Evictions evictions;

    public IngestRuns(JobOperator jobOperator, JobRepository jobRepository, Job ingestJob, FileResults fileResults,
                      RunOwners owners, ObjectProvider<RunQueue> queue, org.springframework.jdbc.core.JdbcTemplate jdbc,
                      Evictions evictions) {
        this.evictions = evictions;
        this.jobOperator = jobOperator;
        this.jobRepository = jobRepository;
        this.ingestJob = ingestJob;
        this.fileResults = fileResults;
        this.owners = owners;
        this.queue = queue;
        this.jdbc = jdbc;
    }

    /**
     * A launched execution: in a server it is {@code STARTING} and goes into the shared run queue, for a worker of any
     * server; the command line has run it already.
     */
    private JobExecution launched(JobExecution e) {
        if (e.getStatus() == BatchStatus.STARTING) {
            queue.ifAvailable(q -> q.submit(e));
        }
        return e;
    }

    /**
     * Starts a new run for one uploaded file, even while an earlier upload of the same name is queued or running: the
     * run queue ingests the two one after the other (see {@link RunQueue}).
     */
    public JobExecution upload(Path file, String room) throws Exception {
        RoomKeys.requireValidRoom(room);
        JobParameters params = new JobParametersBuilder()
                .addString("path", file.toAbsolutePath().normalize().toString())
                .addString("room", room)
                .addLong("run", System.currentTimeMillis())
                .addString("upload", java.util.UUID.randomUUID().toString())
                .toJobParameters();
        return launched(jobOperator.start(ingestJob, params));
    }

    /**
     * Rebuilds a room from its archived uploads ({@code <data-dir>/uploads/<room>/}). After an eviction, exactly the
     * documents the room held then (by name and SHA-256), ingested again deterministically to the chunks the room held;
     * any the archive no longer has, or has with other content, is reported {@code missing}. A room never evicted (its
     * Redis data lost some other way) is rebuilt from everything its archive holds.
     */
    public JobExecution rehydrate(String room, Path uploadsDir) throws Exception {
        RoomKeys.requireValidRoom(room);
        Path dir = uploadsDir.resolve(room);
        Optional<Evictions.Evicted> evicted = evictions.last(room);
        if (evicted.isEmpty() && !java.nio.file.Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no archived uploads for room " + room + " (looked in " + dir + ")");
        }
        if (evicted.isEmpty()) {
            log.info("room {} was never evicted: rebuilding it from all {} holds", room, dir);
            return run(dir, room);
        }
        log.info("rebuilding room {} as it was evicted at {}: {} documents", room, evicted.get().evictedAt(),
                evicted.get().documents().size());
        return run(dir, room, new JobParametersBuilder()
                .addLong(IngestJobConfiguration.REHYDRATE_OF, evicted.get().id()).toJobParameters());
    }

    /** A job spec's run was asked for while an execution of it is still running. */
    public static final class RunConflictException extends IllegalStateException {
        private final long running;

        RunConflictException(String message, long running) {
            super(message);
            this.running = running;
        }

        public long running() {
            return running;
        }
    }

    /**
     * Starts (or resumes) the run of a declared job over its source folder, with its overrides as job
     * parameters. Refused while an execution of the same job is running, in this process or another: the
     * check and the start happen under the spec's launch lock in the database.
     */
    public synchronized JobExecution runSpec(JobSpec spec) throws Exception {
        Optional<RunOwners.Owner> busy = owners.lockLaunch(spec.name());
        if (busy.isPresent()) {
            throw new RunConflictException("job " + spec.name() + " is being started by process " + busy.get().pid()
                    + " on " + busy.get().host(), -1);
        }
        try {
            return startSpec(spec);
        } finally {
            owners.unlockLaunch(spec.name());
        }
    }

    private JobExecution startSpec(JobSpec spec) throws Exception {
        Optional<JobExecution> running = runningSpec(spec.name());
        if (running.isPresent()) {
            throw new RunConflictException("job " + spec.name() + " is already running (execution "
                    + running.get().getId() + ")", running.get().getId());
        }
        JobParametersBuilder extra = new JobParametersBuilder().addString(IngestJobConfiguration.SPEC, spec.name(), false);
        spec.maxFileBytes().ifPresent(v -> extra.addLong(IngestJobConfiguration.MAX_FILE_BYTES, v, false));
        spec.maxChunksPerFile().ifPresent(v -> extra.addLong(IngestJobConfiguration.MAX_CHUNKS_PER_FILE, (long) v, false));
        spec.maxChunksPerRoom().ifPresent(v -> extra.addLong(IngestJobConfiguration.MAX_CHUNKS_PER_ROOM, (long) v, false));
        return run(spec.source(), null, extra.toJobParameters());
    }

    /** The running execution started for a job spec, if any. */
    public Optional<JobExecution> runningSpec(String spec) {
        return jobRepository.findRunningJobExecutions(IngestJobConfiguration.JOB).stream()
                .filter(e -> spec.equals(e.getJobParameters().getString(IngestJobConfiguration.SPEC)))
                .filter(e -> !owners.expired(e.getId()))
                .findFirst();
    }

    /** Asks a running execution to stop after its current transaction. */
    public JobExecution stop(long executionId) throws Exception {
        JobExecution e = execution(executionId);
        if (!e.getStatus().isRunning()) {
            throw new IllegalArgumentException("execution " + executionId + " is " + e.getStatus() + ", not running");
        }
        markStopping(executionId);
        return jobRepository.getJobExecution(executionId);
    }

    /**
     * {@code STOPPING} in the database only (its version bumped): the running step reads it at its next commit and stops
     * there; a queued execution is stopped by the worker that takes it. ({@code JobOperator.stop} would also write the
     * running step's execution, racing the step's own write of it: a lost race leaves the run {@code UNKNOWN}, which no
     * restart accepts.)
     */
    private void markStopping(long executionId) {
        jdbc.update("UPDATE BATCH_JOB_EXECUTION SET STATUS = 'STOPPING', VERSION = VERSION + 1"
                + " WHERE JOB_EXECUTION_ID = ? AND STATUS IN ('STARTING', 'STARTED')", executionId);
    }

    /** An execution by id; {@link IllegalArgumentException} naming it when there is none. */
    public JobExecution execution(long executionId) {
        JobExecution e;
        try {
            e = jobRepository.getJobExecution(executionId);
        } catch (EmptyResultDataAccessException ex) {
            e = null; // Batch 6 throws rather than returning null for an unknown id
        }
        if (e == null) {
            throw new NoSuchRunException(executionId);
        }
        return e;
    }

    /** The newest execution of the given execution's run. */
    JobExecution last(JobExecution e) {
        JobExecution last = jobRepository.getLastJobExecution(e.getJobInstance());
        return last == null ? e : last;
    }

    /** No execution with that id. */
    public static final class NoSuchRunException extends IllegalArgumentException {
        NoSuchRunException(long id) {
            super("no ingest execution " + id);
        }
    }

    /** Every ingest execution, newest first, optionally only those with the given status. */
    public List<JobExecution> executions(BatchStatus status, int max) {
        List<JobExecution> out = new ArrayList<>();
        for (JobInstance instance : jobRepository.findJobInstancesByJobName(IngestJobConfiguration.JOB, 0, 10_000)) {
            for (JobExecution e : jobRepository.getJobExecutions(instance)) {
                if (status == null || e.getStatus() == status) {
                    out.add(e);
                }
            }
        }
        out.sort(Comparator.comparingLong(JobExecution::getId).reversed());
        return out.size() > max ? out.subList(0, max) : out;
    }

    /**
     * Executions left {@code STARTED} by a process that died (kill -9, power loss), marked failed so they
     * can be restarted. Each is claimed in the database first, so two processes starting together never
     * both recover one, and a run another live process is working on is left alone.
     */
    public List<JobExecution> recoverInterrupted() {
        List<JobExecution> out = new ArrayList<>();
        for (JobExecution e : jobRepository.findRunningJobExecutions(IngestJobConfiguration.JOB)) {
            if (owners.claimInterrupted(e.getId())) {
                HaltPoints.reached("recovery-claimed");
                log.warn("run {} (execution {}) was interrupted (its owner's lease expired or its process is gone);"
                        + " marked FAILED", e.getJobInstance().getId(), e.getId());
                out.add(jobOperator.recover(e));
                HaltPoints.reached("recovered");
            }
        }
        return out;
    }

    /**
     * Stops every execution running in this process at its next transaction boundary because the process shuts
     * down, records each as handed over, and waits up to {@code grace} for them to end {@code STOPPED} (their
     * leases are released as they end). Another server, or this one after its restart, continues them.
     *
     * @return executions still running when the grace period ran out (their leases will expire instead)
     */
    public List<Long> handOverRunningHere(Duration grace) {
        List<JobExecution> mine = jobRepository.findRunningJobExecutions(IngestJobConfiguration.JOB).stream()
                .filter(e -> owners.activeHere(e.getJobInstance().getId())).toList();
        for (JobExecution e : mine) {
            owners.handOver(e.getId());
            try {
                markStopping(e.getId());
                log.warn("shutting down: run {} (execution {}) stops after its current transaction; it is handed over",
                        e.getJobInstance().getId(), e.getId());
            } catch (Exception ex) {
                log.warn("shutting down: run {} (execution {}) could not be stopped: {}", e.getJobInstance().getId(),
                        e.getId(), ex.getMessage());
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (mine.stream().anyMatch(e -> owners.activeHere(e.getJobInstance().getId())) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return mine.stream().filter(e -> owners.activeHere(e.getJobInstance().getId())).map(JobExecution::getId).toList();
    }

    /**
     * Recovers every interrupted execution this process claims (see {@link #recoverInterrupted}) and restarts
     * its run here, from its last committed files: what a surviving server does for a dead one; and continues
     * executions that a server shutting down handed over. Empty when there was nothing to take over.
     */
    public List<JobExecution> takeOverInterrupted() {
        List<JobExecution> restarted = new ArrayList<>();
        for (long id : owners.handedOver()) {
            JobExecution stopped;
            try {
                stopped = execution(id);
            } catch (NoSuchRunException gone) {
                owners.claimHandover(id);
                continue;
            }
            if (stopped.getStatus().isRunning()) {
                continue; // still stopping in the server that shuts down (or its lease will expire)
            }
            if (!owners.claimHandover(id)) {
                continue;
            }
            JobExecution last = jobRepository.getLastJobExecution(stopped.getJobInstance());
            if (last.getId() != id || last.getStatus() != BatchStatus.STOPPED) {
                continue; // already continued, or ended otherwise
            }
            try {
                JobExecution e = resume(last);
                log.warn("run {} (execution {}) was handed over by a server that shut down; continued here as execution {}",
                        last.getJobInstance().getId(), id, e.getId());
                restarted.add(e);
            } catch (RuntimeException e) {
                log.error("run {} (execution {}) handed over could not be continued: {}", last.getJobInstance().getId(), id,
                        e.getMessage());
            }
        }
        for (long id : owners.unfinishedRecoveries()) {
            // claimed by a process that died during its recovery: finish it (mark it failed, if it was not yet; restart)
            if (!owners.reclaimStale(id)) {
                continue;
            }
            try {
                JobExecution e = execution(id);
                if (e.getStatus().isRunning()) {
                    e = jobOperator.recover(e);
                    HaltPoints.reached("recovered");
                }
                JobExecution last = jobRepository.getLastJobExecution(e.getJobInstance());
                if (last.getId() != id || !isUnfinished(last.getStatus())) {
                    owners.recoveredAs(id, last.getId()); // continued meanwhile (a replay): nothing left to do
                    continue;
                }
                JobExecution next = resume(last);
                log.warn("run {} (execution {}), whose recovery was cut short, restarted here as execution {}",
                        last.getJobInstance().getId(), id, next.getId());
                restarted.add(next);
            } catch (NoSuchRunException gone) {
                owners.recoveredAs(id, -1);
            } catch (RuntimeException ex) {
                log.error("run of execution {} could not be recovered: {}", id, ex.getMessage());
            }
        }
        for (JobExecution recovered : recoverInterrupted()) {
            try {
                JobExecution e = resume(recovered);
                log.warn("run {} (execution {}) restarted here as execution {}", recovered.getJobInstance().getId(),
                        recovered.getId(), e.getId());
                restarted.add(e);
            } catch (RuntimeException e) {
                log.error("run {} (execution {}) could not be restarted: {}; POST /api/runs/{}/restart once the cause"
                        + " is fixed", recovered.getJobInstance().getId(), recovered.getId(), e.getMessage(), recovered.getId());
            }
        }
        return restarted;
    }

    /** Resumes the unfinished run of the same path and room, or starts a new one. */
    public JobExecution run(Path path, String room) throws Exception {
        return run(path, room, new JobParameters());
    }

    private JobExecution run(Path path, String room, JobParameters extra) throws Exception {
        String p = path.toAbsolutePath().normalize().toString();
        if (room != null) {
            RoomKeys.requireValidRoom(room);
        }
        Optional<JobExecution> unfinished = unfinished(p, room);
        if (unfinished.isPresent()) {
            return resume(unfinished.get());
        }
        JobParameters params = new JobParametersBuilder()
                .addString("path", p)
                .addString("room", room == null ? "" : room)
                .addLong("run", System.currentTimeMillis())
                .addJobParameters(extra)
                .toJobParameters();
        return launched(jobOperator.start(ingestJob, params));
    }

    /**
     * Replays a failed, stopped or interrupted run from where it stopped, by any of its executions' ids; for a
     * completed run, retries the files that failed for a passing cause (memory budget, timeout, internal) in a new run.
     */
    public JobExecution replay(long executionId) throws Exception {
        JobExecution given = execution(executionId);
        JobExecution last = jobRepository.getLastJobExecution(given.getJobInstance());
        if (last.getStatus() == BatchStatus.COMPLETED) {
            return retryFailedFiles(last);
        }
        if (last.getStatus() == BatchStatus.ABANDONED) {
            throw new IllegalArgumentException("run " + given.getJobInstance().getId() + " was abandoned");
        }
        return resume(last);
    }

    /** A new run over the completed run's files that failed for a passing cause, with the same path, room and limits. */
    private JobExecution retryFailedFiles(JobExecution completed) throws Exception {
        long run = completed.getJobInstance().getId();
        if (fileResults.retryable(run).isEmpty()) {
            throw new IllegalArgumentException("run " + run + " (execution " + completed.getId() + ") completed: nothing to"
                    + " replay (no file failed for a passing cause: memory_budget, timeout or internal; the others would"
                    + " fail the same way again)");
        }
        JobParameters p = completed.getJobParameters();
        JobParametersBuilder b = new JobParametersBuilder()
                .addString("path", p.getString("path"))
                .addString("room", p.getString("room") == null ? "" : p.getString("room"))
                .addLong("run", System.currentTimeMillis())
                .addLong(IngestJobConfiguration.RETRY_OF, run);
        if (p.getString(IngestJobConfiguration.SPEC) != null) {
            b.addString(IngestJobConfiguration.SPEC, p.getString(IngestJobConfiguration.SPEC), false);
        }
        for (String limit : List.of(IngestJobConfiguration.MAX_FILE_BYTES, IngestJobConfiguration.MAX_CHUNKS_PER_FILE,
                IngestJobConfiguration.MAX_CHUNKS_PER_ROOM)) {
            if (p.getLong(limit) != null) {
                b.addLong(limit, p.getLong(limit), false);
            }
        }
        log.info("retrying the files of run {} that failed for a passing cause", run);
        return launched(jobOperator.start(ingestJob, b.toJobParameters()));
    }

    /** Replays every run whose last execution failed, stopped or was interrupted, oldest first. */
    public List<JobExecution> replayFailed() {
        List<JobInstance> instances = new ArrayList<>(
                jobRepository.findJobInstancesByJobName(IngestJobConfiguration.JOB, 0, 10_000));
        Collections.reverse(instances);
        List<JobExecution> out = new ArrayList<>();
        for (JobInstance instance : instances) {
            JobExecution last = jobRepository.getLastJobExecution(instance);
            if (last != null && isUnfinished(last.getStatus())) {
                out.add(resume(last));
            }
        }
        return out;
    }

    private JobExecution resume(JobExecution last) {
        if (owners.activeHere(last.getJobInstance().getId())) {
            throw new IllegalStateException("run " + last.getJobInstance().getId() + " (execution " + last.getId()
                    + ") is still finishing its current transaction; try again in a moment");
        }
        if (last.getStatus().isRunning()) {
            if (!owners.claimInterrupted(last.getId())) {
                Optional<RunOwners.Owner> o = owners.owner(last.getId());
                throw new IllegalStateException("run " + last.getJobInstance().getId() + " (execution " + last.getId()
                        + ") is running" + o.map(w -> " in instance " + w.instance() + " (process " + w.pid() + " on "
                        + w.host() + ")").orElse("") + " or was just recovered by another process");
            }
            // left STARTED by a process that died: mark it failed so it can be restarted
            log.info("run {} (execution {}) was interrupted; recovering it", last.getJobInstance().getId(), last.getId());
            last = jobOperator.recover(last);
        }
        log.info("resuming run {} from execution {}", last.getJobInstance().getId(), last.getId());
        try {
            JobExecution next = jobOperator.restart(last);
            owners.recoveredAs(last.getId(), next.getId()); // a recovery of it, if there was one, is finished
            return launched(next);
        } catch (JobRestartException e) {
            throw new IllegalStateException("cannot restart run " + last.getJobInstance().getId() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isUnfinished(BatchStatus s) {
        return s == BatchStatus.FAILED || s == BatchStatus.STOPPED || s.isRunning() || s == BatchStatus.UNKNOWN;
    }

    Optional<JobExecution> unfinished(String path, String room) {
        // newest first
        List<JobInstance> instances = jobRepository.findJobInstancesByJobName(IngestJobConfiguration.JOB, 0, 100);
        for (JobInstance instance : instances) {
            JobExecution last = jobRepository.getLastJobExecution(instance);
            if (last == null) {
                continue;
            }
            JobParameters params = last.getJobParameters();
            boolean same = path.equals(params.getString("path"))
                    && Objects.equals(room == null ? "" : room, params.getString("room"));
            if (!same) {
                continue;
            }
            // only the newest run of this path and room counts: an older failure was superseded
            return isUnfinished(last.getStatus()) ? Optional.of(last) : Optional.empty();
        }
        return Optional.empty();
    }

    /** Why a run failed, in words: the innermost cause, not the framework's wrapper ("Unable to process chunk"). */
    public static String failureMessage(JobExecution execution) {
        for (Throwable t : execution.getAllFailureExceptions()) {
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) {
                if (root instanceof RedisUnavailableException) {
                    break;
                }
                root = root.getCause();
            }
            return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        }
        // read back from the job repository: only the stored description remains; its first line says why
        String d = execution.getExitStatus().getExitDescription();
        if (d == null || d.isBlank()) {
            return null;
        }
        // the innermost "Caused by:" names the real reason; a Redis outage is reported as such
        List<String> lines = d.strip().lines().toList();
        String why = lines.get(0);
        for (String line : lines) {
            if (line.startsWith("Caused by: ")) {
                why = line.substring("Caused by: ".length());
                if (why.contains(RedisUnavailableException.class.getSimpleName())) {
                    break;
                }
            }
        }
        return why.replaceFirst("^[\\w.$]+(Exception|Error): ", "");
    }

    public List<FileResult> results(JobExecution execution) {
        return fileResults.forInstance(execution.getJobInstance().getId());
    }
}
