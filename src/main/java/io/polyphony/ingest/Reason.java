package io.polyphony.ingest;

import java.util.Locale;

/** Why a file was {@link Outcome#REJECTED} or {@link Outcome#FAILED}; {@link #code()} is the wire form. */
public enum Reason {
    TOO_LARGE(Outcome.REJECTED),
    EMPTY(Outcome.REJECTED),
    NO_TEXT(Outcome.REJECTED),
    UNSUPPORTED(Outcome.REJECTED),
    /** The document would take its room over its chunk budget. */
    ROOM_FULL(Outcome.REJECTED),
    UNPARSEABLE(Outcome.FAILED),
    ENCRYPTED(Outcome.FAILED),
    TOO_MUCH_TEXT(Outcome.FAILED),
    TIMEOUT(Outcome.FAILED, true),
    /** The parser's process ran out of memory or died on this file (it was replaced; the run went on). */
    PARSER_CRASH(Outcome.FAILED, true),
    INTERNAL(Outcome.FAILED, true),
    /**
     * The room cannot take the file as it stands: it holds another model's vectors or another layout, or a malformed
     * value; fixing or deleting the room is up to an operator.
     */
    ROOM_ERROR(Outcome.FAILED),
    /** A rehydrate could not rebuild a document the room held: the archive no longer has it, or other content. */
    MISSING(Outcome.FAILED),
    /** Redis has no memory left within the budget and no inactive room could be evicted; retry later. */
    MEMORY_BUDGET(Outcome.FAILED, true);

    private final Outcome outcome;
    private final boolean retryable;

    Reason(Outcome outcome) {
        this(outcome, false);
    }

    Reason(Outcome outcome, boolean retryable) {
        this.outcome = outcome;
        this.retryable = retryable;
    }

    /**
     * A passing cause (a full Redis, a slow parse, a fault of ours): the same file may go through later, so a completed
     * run's files that failed for it can be retried ({@code replay}); the others would fail the same way again.
     */
    public boolean retryable() {
        return retryable;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** {@code too_large}, {@code no_text}, ... */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Reason fromCode(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
