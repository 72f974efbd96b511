package io.polyphony.ingest;

/** A reason with a message a user can act on, e.g. {@code too_large: "12.4 MiB > 10 MiB limit"}. */
public record Problem(Reason reason, String message) {

    public Outcome outcome() {
        return reason.outcome();
    }

    @Override
    public String toString() {
        return reason.code() + ": " + message;
    }
}
