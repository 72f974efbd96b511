package io.polyphony.ingest.job;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;

/**
 * The recorded result of one file of a run: its outcome, reason and message, chunks written and total, and the
 * SHA-256 of the content the room holds for it (null when the file was not ingested).
 */
public record FileResult(int seq, String path, String room, Outcome outcome, Reason reason, String message,
                         int chunks, int totalChunks, String sha256) {

    static FileResult of(FileTask t, Problem p) {
        return new FileResult(t.seq(), t.path(), t.room(), p.outcome(), p.reason(), p.message(), 0, 0, null);
    }

    static FileResult of(FileTask t, Outcome outcome, String message, int chunks, int totalChunks, String sha256) {
        return new FileResult(t.seq(), t.path(), t.room(), outcome, null, message, chunks, totalChunks, sha256);
    }
}
