package io.polyphony.ingest.embed;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.IntConsumer;

/**
 * Concatenates unit vectors of several models and rescales: v = [a/|a| ; b/|b|] / sqrt(n). The result
 * is unit length and its cosine with another such vector is the mean of the members' cosines.
 */
public final class EnsembleEmbedder implements Embedder {

    private final List<Embedder> members;
    private final ModelInfo info;
    private final float scale;
    private final int batchSize;
    private final Lanes lanes;

    public EnsembleEmbedder(String name, List<Embedder> members) {
        this(name, members, 32, Lanes.of(1));
    }

    /**
     * {@code batchSize}: texts per batch that every member embeds in turn; {@code lanes}: batches that run at once
     * (each on its own thread, every member inside it).
     */
    public EnsembleEmbedder(String name, List<Embedder> members, int batchSize, Lanes lanes) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one member");
        }
        this.members = List.copyOf(members);
        int dims = members.stream().mapToInt(m -> m.info().dimensions()).sum();
        int maxTokens = members.stream().mapToInt(m -> m.info().maxTokens()).min().orElseThrow();
        this.info = new ModelInfo(name, dims, maxTokens);
        this.scale = (float) (1.0 / Math.sqrt(members.size()));
        this.batchSize = batchSize;
        this.lanes = lanes;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** The largest count among members, so a chunk that fits here fits every member. */
    @Override
    public int countTokens(String text) {
        return members.stream().mapToInt(m -> m.countTokens(text)).max().orElseThrow();
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        return embed(texts, n -> { });
    }

    /**
     * Batch by batch (texts of similar length together), up to one batch per lane at once; in a batch every member
     * embeds in turn, and progress moves per batch.
     */
    @Override
    public List<float[]> embed(List<String> texts, IntConsumer embedded) {
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            lengths[i] = countTokens(texts.get(i));
            if (lengths[i] > info.maxTokens()) {
                throw new TokenLimitExceededException(info.name(), i, lengths[i], info.maxTokens());
            }
        }
        try {
            return java.util.Arrays.asList(LengthBuckets.run(lengths, batchSize, lanes, idx -> batch(texts, idx, embedded)));
        } finally {
            if (!Lanes.onLane()) {
                NativeMemory.trim();
            }
        }
    }

    private float[][] batch(List<String> texts, int[] idx, IntConsumer embedded) {
        List<String> batch = new ArrayList<>(idx.length);
        for (int i : idx) {
            batch.add(texts.get(i));
        }
        List<List<float[]>> parts = new ArrayList<>();
        for (Embedder m : members) {
            parts.add(m.embed(batch));
        }
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            float[] v = new float[info.dimensions()];
            int off = 0;
            for (List<float[]> p : parts) {
                float[] u = p.get(i);
                for (int j = 0; j < u.length; j++) {
                    v[off + j] = u[j] * scale;
                }
                off += u.length;
            }
            out[i] = v;
        }
        embedded.accept(idx.length);
        return out;
    }

    @Override
    public OptionalDouble forwardFlops(List<String> texts) {
        double sum = 0;
        for (Embedder m : members) {
            OptionalDouble f = m.forwardFlops(texts);
            if (f.isEmpty()) {
                return OptionalDouble.empty();
            }
            sum += f.getAsDouble();
        }
        return OptionalDouble.of(sum);
    }

    public List<Embedder> members() {
        return members;
    }

    @Override
    public void close() {
        members.forEach(Embedder::close);
    }
}
