package io.polyphony.ingest.embed;

import java.util.List;
import java.util.OptionalDouble;
import java.util.function.IntConsumer;

/**
 * Where chunks become vectors. Implementations are thread-safe, keep their model loaded for their
 * whole life, and never cut input: a text over {@link ModelInfo#maxTokens()} is a
 * {@link TokenLimitExceededException}, so the chunker must size chunks with {@link #countTokens}.
 */
public interface Embedder extends AutoCloseable {

    ModelInfo info();

    /** Tokens the model would see for this text, special tokens included. */
    int countTokens(String text);

    /** {@link #countTokens(String)} of each text, in input order; models may count a list faster than one by one. */
    default int[] countTokens(List<String> texts) {
        return texts.stream().mapToInt(this::countTokens).toArray();
    }

    /** One unit-length vector of {@code info().dimensions()} floats per text, in input order. */
    List<float[]> embed(List<String> texts);

    /**
     * As {@link #embed(List)}, telling {@code embedded} how many texts each batch finished, as it goes (progress).
     * Models that run batches hold their model for one batch at a time, so another caller (a search) waits at most
     * one batch, never a whole call.
     */
    default List<float[]> embed(List<String> texts, IntConsumer embedded) {
        List<float[]> out = embed(texts);
        embedded.accept(texts.size());
        return out;
    }

    /**
     * Multiply-add FLOPs (2 per MAC) that {@link #embed} spends on these texts, padding included, for
     * benchmarks; empty when the model cannot tell.
     */
    default OptionalDouble forwardFlops(List<String> texts) {
        return OptionalDouble.empty();
    }

    @Override
    void close();
}
