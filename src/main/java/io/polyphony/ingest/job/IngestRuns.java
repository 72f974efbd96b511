package io.polyphony.ingest.job;

import io.polyphony.ingest.roomindex.Retrying.RedisUnavailableException;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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

    private final JobOperator jobOperator;
    private final JobRepository jobRepository;
    private final Job ingestJob;
    private final FileResults fileResults;

    public IngestRuns(JobOperator jobOperator, JobRepository jobRepository, Job ingestJob, FileResults fileResults) {
        this.jobOperator = jobOperator;
        this.jobRepository = jobRepository;
        this.ingestJob = ingestJob;
        this.fileResults = fileResults;
    }

    /** Resumes the unfinished run of the same path and room, or starts a new one. */
    public JobExecution run(Path path, String room) throws Exception {
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
                .toJobParameters();
        return jobOperator.start(ingestJob, params);
    }

    /** Replays a failed, stopped or interrupted run from where it stopped, by any of its executions' ids. */
    public JobExecution replay(long executionId) {
        JobExecution given;
        try {
            given = jobRepository.getJobExecution(executionId);
        } catch (EmptyResultDataAccessException e) {
            given = null; // Batch 6 throws rather than returning null for an unknown id
        }
        if (given == null) {
            throw new IllegalArgumentException("no ingest execution " + executionId);
        }
        JobExecution last = jobRepository.getLastJobExecution(given.getJobInstance());
        if (last.getStatus() == BatchStatus.COMPLETED) {
            throw new IllegalArgumentException("run " + given.getJobInstance().getId() + " (execution " + last.getId()
                    + ") completed: nothing to replay");
        }
        if (last.getStatus() == BatchStatus.ABANDONED) {
            throw new IllegalArgumentException("run " + given.getJobInstance().getId() + " was abandoned");
        }
        return resume(last);
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
        if (last.getStatus().isRunning()) {
            // left STARTED by a process that died: mark it failed so it can be restarted
            log.info("run {} (execution {}) was interrupted; recovering it", last.getJobInstance().getId(), last.getId());
            last = jobOperator.recover(last);
        }
        log.info("resuming run {} from execution {}", last.getJobInstance().getId(), last.getId());
        try {
            return jobOperator.restart(last);
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
        return execution.getExitStatus().getExitDescription();
    }

    public List<FileResult> results(JobExecution execution) {
        return fileResults.forInstance(execution.getJobInstance().getId());
    }
}
