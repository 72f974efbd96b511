package io.polyphony.ingest;

/** What happened to one uploaded file: the vocabulary of summaries, the API and the job repository. */
public enum Outcome {
    /** All of its chunks were embedded and written. */
    INGESTED,
    /** More chunks than a file may have: a representative subset was embedded and written. */
    SAMPLED,
    /** The room already holds this content: nothing was written. */
    UNCHANGED,
    /** Refused for what the file is (too large, empty, no text, unsupported); retrying cannot help. */
    REJECTED,
    /** Something went wrong reading or storing it; see the reason. */
    FAILED
}
