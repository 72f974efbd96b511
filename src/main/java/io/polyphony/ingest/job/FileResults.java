package io.polyphony.ingest.job;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Reason;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Per-file results of runs, in the job repository's database (table INGEST_FILE), written in the step's
 * transaction. Keyed by job instance and file position, so a restarted run adds to its own results.
 */
public class FileResults {

    private final JdbcTemplate jdbc;

    public FileResults(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Replaces the results of these files of the run (portable: a delete and an insert in the caller's transaction). A
     * file that failed for a passing cause gets the command that retries it in its message.
     */
    public void record(long jobInstanceId, long jobExecutionId, List<FileResult> given) {
        List<FileResult> results = given.stream().map(r -> r.reason() != null && r.reason().retryable()
                ? new FileResult(r.seq(), r.path(), r.room(), r.outcome(), r.reason(), r.message() + retryHint(jobExecutionId),
                        r.chunks(), r.totalChunks(), r.sha256())
                : r).toList();
        jdbc.batchUpdate("DELETE FROM INGEST_FILE WHERE JOB_INSTANCE_ID = ? AND SEQ = ?", results, results.size(), (ps, r) -> {
            ps.setLong(1, jobInstanceId);
            ps.setInt(2, r.seq());
        });
        jdbc.batchUpdate("INSERT INTO INGEST_FILE (JOB_INSTANCE_ID, SEQ, JOB_EXECUTION_ID, PATH, ROOM, OUTCOME, REASON,"
                        + " MESSAGE, CHUNKS, TOTAL_CHUNKS, SHA256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                results, results.size(), (ps, r) -> {
                    ps.setLong(1, jobInstanceId);
                    ps.setInt(2, r.seq());
                    ps.setLong(3, jobExecutionId);
                    ps.setString(4, r.path());
                    ps.setString(5, r.room());
                    ps.setString(6, r.outcome().name());
                    ps.setString(7, r.reason() == null ? null : r.reason().code());
                    ps.setString(8, r.message() == null ? null : r.message().substring(0, Math.min(2000, r.message().length())));
                    ps.setInt(9, r.chunks());
                    ps.setInt(10, r.totalChunks());
                    ps.setString(11, r.sha256());
                });
    }

    /** How to retry a run's files that failed for a passing cause, once the cause is gone. */
    static String retryHint(long jobExecutionId) {
        return "; once the cause is gone, retry this run's failed files: replay " + jobExecutionId
                + " (POST /api/runs/" + jobExecutionId + "/restart)";
    }

    /** Paths of the run's files that failed for a passing cause ({@link Reason#retryable()}), in file order. */
    public List<String> retryable(long jobInstanceId) {
        return forInstance(jobInstanceId).stream().filter(r -> r.reason() != null && r.reason().retryable())
                .map(FileResult::path).toList();
    }

    public List<FileResult> forInstance(long jobInstanceId) {
        return jdbc.query("SELECT SEQ, PATH, ROOM, OUTCOME, REASON, MESSAGE, CHUNKS, TOTAL_CHUNKS, SHA256 FROM INGEST_FILE"
                        + " WHERE JOB_INSTANCE_ID = ? ORDER BY SEQ",
                (rs, i) -> new FileResult(rs.getInt(1), rs.getString(2), rs.getString(3), Outcome.valueOf(rs.getString(4)),
                        rs.getString(5) == null ? null : Reason.fromCode(rs.getString(5)), rs.getString(6), rs.getInt(7), rs.getInt(8), rs.getString(9)),
                jobInstanceId);
    }
}
