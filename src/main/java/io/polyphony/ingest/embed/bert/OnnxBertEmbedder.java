package io.polyphony.ingest.embed.bert;

import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.Lanes;
import io.polyphony.ingest.embed.LengthBuckets;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.embed.NativeMemory;
import io.polyphony.ingest.embed.TokenLimitExceededException;
import io.polyphony.ingest.embed.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.IntConsumer;

/** A BERT sentence encoder: tokenizer, {@link BertEncoder} forward pass, length-bucketed batches. */
public final class OnnxBertEmbedder implements Embedder {

    private final ModelInfo info;
    private final Tokenizer tokenizer;
    private final BertEncoder encoder;
    private final int batchSize;
    private final Lanes lanes;

    public OnnxBertEmbedder(String name, Tokenizer tokenizer, BertEncoder encoder, int maxTokens, int batchSize) {
        this(name, tokenizer, encoder, maxTokens, batchSize, Lanes.of(1));
    }

    /** {@code lanes}: batches whose forward passes may run at once (the encoder is safe to call from several threads). */
    public OnnxBertEmbedder(String name, Tokenizer tokenizer, BertEncoder encoder, int maxTokens, int batchSize, Lanes lanes) {
        if (maxTokens > encoder.maxPositions()) {
            throw new IllegalArgumentException("model " + name + ": maxTokens " + maxTokens
                    + " exceeds its " + encoder.maxPositions() + " position embeddings");
        }
        this.info = new ModelInfo(name, encoder.dimensions(), maxTokens);
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.batchSize = batchSize;
        this.lanes = lanes;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public int countTokens(String text) {
        return tokenizer.count(text);
    }

    /** Counted in parallel, token ids only (see {@link Tokenizer#ids}). */
    @Override
    public int[] countTokens(List<String> texts) {
        return Arrays.stream(tokenIds(texts)).mapToInt(a -> a.length).toArray();
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        return embed(texts, n -> { });
    }

    @Override
    public List<float[]> embed(List<String> texts, IntConsumer embedded) {
        return Arrays.asList(embedIds(ids(texts), embedded));
    }

    /** Token ids of each text as the tokenizer gives them, the limit not checked (see {@link #ids}). */
    public long[][] tokenIds(List<String> texts) {
        return tokenizer.ids(texts);
    }

    /** Token ids of each text, refusing any over the limit. */
    public long[][] ids(List<String> texts) {
        long[][] ids = tokenIds(texts);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].length > info.maxTokens()) {
                throw new TokenLimitExceededException(info.name(), i, ids[i].length, info.maxTokens());
            }
        }
        return ids;
    }

    /**
     * Embeds already tokenised texts (within the limit), batches on the lanes; the batches' native memory is handed
     * back at the end.
     */
    public float[][] embedIds(long[][] ids, IntConsumer embedded) {
        int[] lengths = Arrays.stream(ids).mapToInt(a -> a.length).toArray();
        try {
            return LengthBuckets.run(lengths, batchSize, lanes, idx -> {
                long[][] batch = new long[idx.length][];
                for (int j = 0; j < idx.length; j++) {
                    batch[j] = ids[idx[j]];
                }
                float[][] vectors = encoder.encode(batch);
                embedded.accept(idx.length);
                return vectors;
            });
        } finally {
            if (!Lanes.onLane()) {
                NativeMemory.trim();
            }
        }
    }

    @Override
    public OptionalDouble forwardFlops(List<String> texts) {
        int[] lengths = Arrays.stream(ids(texts)).mapToInt(a -> a.length).toArray();
        double flops = 0;
        for (int[] batch : LengthBuckets.batches(lengths, batchSize)) {
            int longest = Arrays.stream(batch).map(i -> lengths[i]).max().orElse(0);
            flops += encoder.flops(batch.length, longest);
        }
        return OptionalDouble.of(flops);
    }

    @Override
    public void close() {
        encoder.close();
        tokenizer.close();
    }
}
