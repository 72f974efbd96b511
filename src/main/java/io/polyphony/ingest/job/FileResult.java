package io.polyphony.ingest.job;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;

/** The recorded result of one file of a run: its outcome, reason and message, chunks written and total. */
public record FileResult(int seq, String path, String room, Outcome outcome, Reason reason, String message,
                         int chunks, int totalChunks) {

    static FileResult of(FileTask t, Problem p) {
        return new FileResult(t.seq(), t.path(), t.room(), p.outcome(), p.reason(), p.message(), 0, 0);
    }

    static FileResult of(FileTask t, Outcome outcome, String message, int chunks, int totalChunks) {
        return new FileResult(t.seq(), t.path(), t.room(), outcome, null, message, chunks, totalChunks);
    }
}
