package io.polyphony.ingest.job;

import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepExecution;

/**
 * An execution of a run as the API and the command line see it: Spring Batch stays inside {@code job/}.
 *
 * @param execution  the execution's id
 * @param run        the run's id (Spring Batch's job instance): its executions continue one another
 * @param spec       the declared job that started it, if any
 * @param status     {@code STARTING}, {@code STARTED}, {@code STOPPING}, {@code STOPPED}, {@code FAILED},
 *                   {@code COMPLETED}, {@code ABANDONED} or {@code UNKNOWN}
 * @param filesTotal files the run works through, once its step has listed them
 * @param failure    why it ended without completing, in words; null when it completed or still runs
 */
public record RunRecord(long execution, long run, String spec, String status, String exitCode, String path, String room,
                        LocalDateTime startTime, LocalDateTime endTime, Integer filesTotal, String failure) {

    /** Every status a run can have. */
    public static final List<String> STATUSES = Arrays.stream(BatchStatus.values()).map(Enum::name).toList();

    public boolean completed() {
        return "COMPLETED".equals(status);
    }

    static RunRecord of(JobExecution e) {
        String room = e.getJobParameters().getString("room");
        return new RunRecord(e.getId(), e.getJobInstance().getId(), e.getJobParameters().getString(IngestJobConfiguration.SPEC),
                e.getStatus().name(), e.getExitStatus().getExitCode(), e.getJobParameters().getString("path"),
                room == null || room.isEmpty() ? null : room, e.getStartTime(), e.getEndTime(), filesTotal(e),
                e.getStatus() != BatchStatus.COMPLETED && !e.getStatus().isRunning() ? IngestRuns.failureMessage(e) : null);
    }

    /** The run's file list is saved in its step's context when the step opens. */
    private static Integer filesTotal(JobExecution e) {
        for (StepExecution s : e.getStepExecutions()) {
            Object files = s.getExecutionContext().get(IngestRuns.FILES_KEY);
            if (files instanceof List<?> l) {
                return l.size();
            }
        }
        return null;
    }
}
