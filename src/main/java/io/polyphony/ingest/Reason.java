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
    TIMEOUT(Outcome.FAILED),
    INTERNAL(Outcome.FAILED),
    /** Redis has no memory left within the budget and no inactive room could be evicted; replay later. */
    MEMORY_BUDGET(Outcome.FAILED);

    private final Outcome outcome;

    Reason(Outcome outcome) {
        this.outcome = outcome;
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
