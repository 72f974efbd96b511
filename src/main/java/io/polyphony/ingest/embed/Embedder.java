package io.polyphony.ingest.embed;

import java.util.List;

/**
 * Where chunks become vectors. Implementations are thread-safe, keep their model loaded for their
 * whole life, and never cut input: a text over {@link ModelInfo#maxTokens()} is a
 * {@link TokenLimitExceededException}, so the chunker must size chunks with {@link #countTokens}.
 */
public interface Embedder extends AutoCloseable {

    ModelInfo info();

    /** Tokens the model would see for this text, special tokens included. */
    int countTokens(String text);

    /** One unit-length vector of {@code info().dimensions()} floats per text, in input order. */
    List<float[]> embed(List<String> texts);

    @Override
    void close();
}
