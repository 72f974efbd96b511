package io.polyphony.ingest.embed;

/** A text longer than the model can read. We refuse it instead of silently embedding a prefix. */
public final class TokenLimitExceededException extends IllegalArgumentException {

    private final int index;
    private final int tokens;
    private final int limit;

    public TokenLimitExceededException(String model, int index, int tokens, int limit) {
        super("text " + index + " has " + tokens + " tokens > " + limit + "-token limit of model '" + model + "'");
        this.index = index;
        this.tokens = tokens;
        this.limit = limit;
    }

    public int index() {
        return index;
    }

    public int tokens() {
        return tokens;
    }

    public int limit() {
        return limit;
    }
}
