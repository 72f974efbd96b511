package io.polyphony.ingest.embed.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.polyphony.ingest.embed.onnx.OnnxGraph.Tensor;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT encoder's forward pass written with DJL NDArray operations, so it runs on whatever engine
 * DJL loads (PyTorch here) from weights we read ourselves. Output rows are pooled and L2-normalised.
 *
 * <p>Q, K and V are fused into one [3h, h] projection: one large GEMM is faster than three small ones.
 */
public final class BertEncoder implements AutoCloseable {

    public enum Pooling {
        MEAN, CLS;

        public static Pooling parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    private record Layer(NDArray qkvW, NDArray qkvB, NDArray outW, NDArray outB, NDArray ln1W, NDArray ln1B,
                         NDArray inW, NDArray inB, NDArray ffOutW, NDArray ffOutB, NDArray ln2W, NDArray ln2B) {
    }

    private final NDManager manager;
    private final NDArray wordEmb;
    private final NDArray posEmb;
    private final NDArray typeEmb0;
    private final NDArray embLnW;
    private final NDArray embLnB;
    private final Layer[] layers;
    private final int hidden;
    private final int intermediate;
    private final int heads;
    private final int maxPositions;
    private final float eps;
    private final Pooling pooling;

    /**
     * @param arrays the weights by initializer name, as loaded onto {@code manager}, which the encoder
     *               then owns (ONNX Linear weights still [in, out])
     */
    public BertEncoder(BertWeights w, Map<String, NDArray> arrays, int heads, float eps, Pooling pooling, NDManager manager) {
        if (w.hidden() % heads != 0) {
            throw new IllegalArgumentException("hidden size " + w.hidden() + " is not divisible by " + heads + " heads");
        }
        this.manager = manager;
        this.hidden = w.hidden();
        this.intermediate = w.intermediate();
        this.heads = heads;
        this.eps = eps;
        this.pooling = pooling;
        this.maxPositions = w.maxPositions();
        Weights up = new Weights(arrays);
        this.wordEmb = up.nd(w.tensor("embeddings.word_embeddings.weight"));
        this.posEmb = up.nd(w.tensor("embeddings.position_embeddings.weight"));
        this.typeEmb0 = up.nd(w.tensor("embeddings.token_type_embeddings.weight")).get(0);
        this.embLnW = up.nd(w.tensor("embeddings.LayerNorm.weight"));
        this.embLnB = up.nd(w.tensor("embeddings.LayerNorm.bias"));
        this.layers = new Layer[w.layers()];
        for (int i = 0; i < layers.length; i++) {
            NDArray qkvW = fused(1, up.nd(w.layer(i, "attention.self.query.weight")),
                    up.nd(w.layer(i, "attention.self.key.weight")), up.nd(w.layer(i, "attention.self.value.weight")));
            NDArray qkvB = fused(0, up.nd(w.layer(i, "attention.self.query.bias")),
                    up.nd(w.layer(i, "attention.self.key.bias")), up.nd(w.layer(i, "attention.self.value.bias")));
            // ONNX stores Linear weights as [in, out]; DJL's linear wants [out, in]. A transposed view
            // makes torch multiply by the original contiguous [in, out] matrix, with no copy.
            layers[i] = new Layer(qkvW.transpose(), qkvB,
                    up.nd(w.layer(i, "attention.output.dense.weight")).transpose(), up.nd(w.layer(i, "attention.output.dense.bias")),
                    up.nd(w.layer(i, "attention.output.LayerNorm.weight")), up.nd(w.layer(i, "attention.output.LayerNorm.bias")),
                    up.nd(w.layer(i, "intermediate.dense.weight")).transpose(), up.nd(w.layer(i, "intermediate.dense.bias")),
                    up.nd(w.layer(i, "output.dense.weight")).transpose(), up.nd(w.layer(i, "output.dense.bias")),
                    up.nd(w.layer(i, "output.LayerNorm.weight")), up.nd(w.layer(i, "output.LayerNorm.bias")));
        }
    }

    private static NDArray fused(int axis, NDArray... parts) {
        NDList list = new NDList(parts);
        NDArray joined = NDArrays.concat(list, axis);
        list.close();
        return joined;
    }

    /** The loaded arrays by initializer name, with a clear error for a missing one. */
    private record Weights(Map<String, NDArray> arrays) {
        NDArray nd(Tensor t) {
            NDArray a = arrays.get(t.name());
            if (a == null) {
                throw new IllegalArgumentException("weight " + t.name() + " was not loaded");
            }
            return a;
        }
    }

    public int dimensions() {
        return hidden;
    }

    public int layerCount() {
        return layers.length;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /**
     * Multiply-add FLOPs (2 per MAC) of one forward pass over a padded [batch, seq] input: the
     * projections, the feed-forward block and the two attention products.
     */
    public double flops(int batch, int seq) {
        double tokens = (double) batch * seq;
        double linear = 2 * tokens * ((double) hidden * 3 * hidden + (double) hidden * hidden + 2.0 * hidden * intermediate);
        double attention = 2 * 2 * (double) batch * seq * seq * hidden;
        return layers.length * (linear + attention);
    }

    /**
     * Encodes sequences of token ids (each already including [CLS] and [SEP]) padded to the batch's
     * longest; returns one unit vector per sequence.
     */
    public float[][] encode(long[][] ids) {
        int b = ids.length;
        int t = 0;
        for (long[] s : ids) {
            t = Math.max(t, s.length);
        }
        if (t > maxPositions) {
            throw new IllegalArgumentException("sequence of " + t + " tokens exceeds the model's " + maxPositions + " positions");
        }
        long[] flat = new long[b * t];
        float[] keep = new float[b * t];
        float[] additive = new float[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids[i], 0, flat, i * t, ids[i].length);
            for (int j = 0; j < t; j++) {
                boolean real = j < ids[i].length;
                keep[i * t + j] = real ? 1f : 0f;
                additive[i * t + j] = real ? 0f : -1e9f;
            }
        }
        int d = hidden / heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        try (NDManager m = manager.newSubManager()) {
            NDArray idArr = m.create(flat, new Shape(b, t));
            NDArray positions = m.arange(0, t, 1, DataType.INT64);
            NDArray x = embed(idArr, wordEmb)
                    .addi(embed(positions, posEmb))
                    .addi(typeEmb0);
            x = layerNorm(x, embLnW, embLnB).reshape(b * t, hidden);
            NDArray mask = m.create(additive, new Shape(b, 1, 1, t));
            for (Layer l : layers) {
                try (NDManager lm = m.newSubManager()) {
                    x.attach(lm);
                    NDArray qkv = linear(x, l.qkvW, l.qkvB).reshape(b, t, 3, heads, d).transpose(2, 0, 3, 1, 4);
                    NDArray q = qkv.get(0).mul(scale);
                    NDArray k = qkv.get(1);
                    NDArray v = qkv.get(2);
                    NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).addi(mask).softmax(-1);
                    NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b * t, hidden);
                    NDArray h = layerNorm(linear(ctx, l.outW, l.outB).addi(x), l.ln1W, l.ln1B);
                    NDArray ff = linear(h, l.inW, l.inB).getNDArrayInternal().gelu();
                    NDArray out = layerNorm(linear(ff, l.ffOutW, l.ffOutB).addi(h), l.ln2W, l.ln2B);
                    out.attach(m);
                    x = out;
                }
            }
            NDArray states = x.reshape(b, t, hidden);
            NDArray pooled;
            if (pooling == Pooling.CLS) {
                pooled = states.get(":, 0, :");
            } else {
                NDArray keepArr = m.create(keep, new Shape(b, t, 1));
                pooled = states.mul(keepArr).sum(new int[] {1}).div(keepArr.sum(new int[] {1}));
            }
            pooled = pooled.div(pooled.norm(new int[] {1}, true));
            float[] all = pooled.toFloatArray();
            float[][] rows = new float[b][hidden];
            for (int i = 0; i < b; i++) {
                System.arraycopy(all, i * hidden, rows[i], 0, hidden);
            }
            return rows;
        }
    }

    private static NDArray embed(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private static NDArray linear(NDArray x, NDArray w, NDArray bias) {
        return x.getNDArrayInternal().linear(x, w, bias).singletonOrThrow();
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(hidden), gamma, beta, eps).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
