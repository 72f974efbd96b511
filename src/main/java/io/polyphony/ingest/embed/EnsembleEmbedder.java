package io.polyphony.ingest.embed;

import io.polyphony.ingest.embed.bert.OnnxBertEmbedder;
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
    public int[] countTokens(List<String> texts) {
        int[] max = new int[texts.size()];
        for (Embedder m : members) {
            int[] n = m.countTokens(texts);
            for (int i = 0; i < max.length; i++) {
                max[i] = Math.max(max[i], n[i]);
            }
        }
        return max;
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
        // members that take token ids are given the ids they were counted with: each text is tokenised once per member
        long[][][] ids = new long[members.size()][][];
        int[] lengths = new int[texts.size()];
        for (int k = 0; k < members.size(); k++) {
            int[] n;
            if (members.get(k) instanceof OnnxBertEmbedder bert) {
                ids[k] = bert.tokenIds(texts);
                n = java.util.Arrays.stream(ids[k]).mapToInt(a -> a.length).toArray();
            } else {
                n = members.get(k).countTokens(texts);
            }
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = Math.max(lengths[i], n[i]);
            }
        }
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] > info.maxTokens()) {
                throw new TokenLimitExceededException(info.name(), i, lengths[i], info.maxTokens());
            }
        }
        try {
            return java.util.Arrays.asList(LengthBuckets.run(lengths, batchSize, lanes, idx -> batch(texts, ids, idx, embedded)));
        } finally {
            if (!Lanes.onLane()) {
                NativeMemory.trim();
            }
        }
    }

    private float[][] batch(List<String> texts, long[][][] ids, int[] idx, IntConsumer embedded) {
        List<String> batch = new ArrayList<>(idx.length);
        for (int i : idx) {
            batch.add(texts.get(i));
        }
        List<List<float[]>> parts = new ArrayList<>();
        for (int k = 0; k < members.size(); k++) {
            if (ids[k] != null) {
                long[][] some = new long[idx.length][];
                for (int j = 0; j < idx.length; j++) {
                    some[j] = ids[k][idx[j]];
                }
                parts.add(java.util.Arrays.asList(((OnnxBertEmbedder) members.get(k)).embedIds(some, n -> { })));
            } else {
                parts.add(members.get(k).embed(batch));
            }
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
