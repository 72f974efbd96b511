package io.polyphony.ingest.embed.bert;

import io.polyphony.ingest.embed.Precision;
import io.polyphony.ingest.embed.TorchScriptWriter;
import io.polyphony.ingest.embed.TorchScriptWriter.Buffer;
import io.polyphony.ingest.embed.TorchScriptWriter.Storage;
import io.polyphony.ingest.embed.onnx.OnnxGraph.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT encoder as a TorchScript module, generated from its weights: the whole forward pass (embeddings, attention,
 * feed-forward, layer norms, pooling, normalisation) in one {@code forward(input_ids, attention_mask)} that returns
 * unit vectors, so a batch crosses into libtorch once. In {@link Precision#BF16} the projection and feed-forward
 * weights are stored as bfloat16 and the residual stream, products and attention run in bfloat16 (oneDNN's
 * AVX512-BF16/AMX kernels; libtorch's layer norm and GELU compute in fp32 inside); the attention scores are
 * converted to fp32 for the softmax; embeddings and pooling stay fp32.
 *
 * <p>Attention is written out (two batched products and a softmax) rather than {@code scaled_dot_product_attention}:
 * at these lengths libtorch's CPU flash-attention kernel was the slower of the two (1.12× on one thread, 1.24–1.46×
 * on two lanes for the whole model, docs/speed.md). Its 1/√d scale is folded into the query weights here, once.
 */
final class BertModule {

    static final String CLASS = "PolyphonyBert";

    private BertModule() {
    }

    /** The module's weights and code, written as a TorchScript archive. */
    static void write(Path file, BertWeights w, Map<String, ByteBuffer> data, int heads, float eps,
                      BertEncoder.Pooling pooling, Precision precision) throws IOException {
        Storage low = precision == Precision.BF16 ? Storage.BFLOAT16 : Storage.FLOAT;
        int h = w.hidden();
        float queryScale = (float) (1 / Math.sqrt((double) h / heads));
        List<Buffer> buffers = new ArrayList<>();
        Source src = new Source(data);
        buffers.add(new Buffer("emb_word", Storage.FLOAT, dims(w.tensor("embeddings.word_embeddings.weight")),
                src.raw(w.tensor("embeddings.word_embeddings.weight"))));
        buffers.add(new Buffer("emb_pos", Storage.FLOAT, dims(w.tensor("embeddings.position_embeddings.weight")),
                src.raw(w.tensor("embeddings.position_embeddings.weight"))));
        buffers.add(new Buffer("emb_type", Storage.FLOAT, new long[] {h},
                slice(src.raw(w.tensor("embeddings.token_type_embeddings.weight")), 0, h)));
        buffers.add(new Buffer("emb_ln_w", Storage.FLOAT, new long[] {h}, src.raw(w.tensor("embeddings.LayerNorm.weight"))));
        buffers.add(new Buffer("emb_ln_b", Storage.FLOAT, new long[] {h}, src.raw(w.tensor("embeddings.LayerNorm.bias"))));
        for (int i = 0; i < w.layers(); i++) {
            String p = "l" + i + "_";
            // ONNX keeps Linear weights as [in, out]; torch.linear wants [out, in]: transposed here, once
            buffers.add(new Buffer(p + "qkv_w", low, new long[] {3L * h, h}, transposed(low,
                    scaled(src.floats(w.layer(i, "attention.self.query.weight")), queryScale),
                    src.floats(w.layer(i, "attention.self.key.weight")),
                    src.floats(w.layer(i, "attention.self.value.weight")))));
            buffers.add(new Buffer(p + "qkv_b", low, new long[] {3L * h}, converted(low,
                    scaled(src.floats(w.layer(i, "attention.self.query.bias")), queryScale),
                    src.floats(w.layer(i, "attention.self.key.bias")),
                    src.floats(w.layer(i, "attention.self.value.bias")))));
            linear(buffers, src, w, i, p + "o", "attention.output.dense", low);
            norm(buffers, src, w, i, p + "ln1", "attention.output.LayerNorm", low);
            linear(buffers, src, w, i, p + "i", "intermediate.dense", low);
            linear(buffers, src, w, i, p + "f", "output.dense", low);
            norm(buffers, src, w, i, p + "ln2", "output.LayerNorm", low);
        }
        TorchScriptWriter.write(file, CLASS, code(buffers, w.layers(), h, heads, eps, pooling, precision), buffers);
    }

    private static void linear(List<Buffer> out, Source src, BertWeights w, int layer, String name, String hf, Storage low) {
        Tensor weight = w.layer(layer, hf + ".weight");
        long[] d = weight.dims(); // [in, out]
        out.add(new Buffer(name + "_w", low, new long[] {d[1], d[0]}, transposed(low, src.floats(weight))));
        out.add(new Buffer(name + "_b", low, new long[] {d[1]}, converted(low, src.floats(w.layer(layer, hf + ".bias")))));
    }

    private static void norm(List<Buffer> out, Source src, BertWeights w, int layer, String name, String hf, Storage low) {
        Tensor weight = w.layer(layer, hf + ".weight");
        out.add(new Buffer(name + "_w", low, dims(weight), converted(low, src.floats(weight))));
        out.add(new Buffer(name + "_b", low, dims(weight), converted(low, src.floats(w.layer(layer, hf + ".bias")))));
    }

    /** The weights' data by initializer name: little-endian float32, as the ONNX file holds them. */
    private record Source(Map<String, ByteBuffer> data) {
        ByteBuffer raw(Tensor t) {
            ByteBuffer b = data.get(t.name());
            if (b == null) {
                throw new IllegalArgumentException("weight " + t.name() + " was not loaded");
            }
            return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        Matrix floats(Tensor t) {
            long[] d = t.dims();
            return new Matrix(raw(t).asFloatBuffer(), d.length == 1 ? 1 : Math.toIntExact(d[0]),
                    Math.toIntExact(d[d.length - 1]));
        }
    }

    /** A row-major [rows, cols] float matrix (a vector is one row). */
    private record Matrix(FloatBuffer values, int rows, int cols) {
    }

    /** {@code m} times {@code factor}, as a new matrix. */
    private static Matrix scaled(Matrix m, float factor) {
        FloatBuffer out = FloatBuffer.allocate(m.rows() * m.cols());
        for (int k = 0; k < m.rows() * m.cols(); k++) {
            out.put(m.values().get(k) * factor);
        }
        return new Matrix(out.flip(), m.rows(), m.cols());
    }

    private static long[] dims(Tensor t) {
        return t.dims().clone();
    }

    private static ByteBuffer slice(ByteBuffer b, int fromFloat, int floats) {
        ByteBuffer s = b.duplicate().position(fromFloat * 4).limit((fromFloat + floats) * 4).slice();
        return s.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The matrices' transposes stacked ([cols, rows] each, one after the other), in the given storage. */
    private static ByteBuffer transposed(Storage s, Matrix... parts) {
        int total = 0;
        for (Matrix m : parts) {
            total += m.rows() * m.cols();
        }
        ByteBuffer out = ByteBuffer.allocate(total * (s == Storage.BFLOAT16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (Matrix m : parts) {
            for (int c = 0; c < m.cols(); c++) {
                for (int r = 0; r < m.rows(); r++) {
                    put(out, s, m.values().get(r * m.cols() + c));
                }
            }
        }
        return out.flip();
    }

    /** The vectors, one after the other, in the given storage. */
    private static ByteBuffer converted(Storage s, Matrix... parts) {
        int total = 0;
        for (Matrix m : parts) {
            total += m.rows() * m.cols();
        }
        ByteBuffer out = ByteBuffer.allocate(total * (s == Storage.BFLOAT16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (Matrix m : parts) {
            for (int k = 0; k < m.rows() * m.cols(); k++) {
                put(out, s, m.values().get(k));
            }
        }
        return out.flip();
    }

    private static void put(ByteBuffer out, Storage s, float v) {
        if (s == Storage.BFLOAT16) {
            out.putShort(bfloat16(v));
        } else {
            out.putFloat(v);
        }
    }

    /** float32 to bfloat16, rounding to nearest even (as torch does); weights are finite. */
    static short bfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** The TorchScript source of the module: attributes, then the forward pass with every layer written out. */
    static String code(List<Buffer> buffers, int layers, int hidden, int heads, float eps, BertEncoder.Pooling pooling,
                       Precision precision) {
        int d = hidden / heads;
        String e = num(eps);
        boolean bf16 = precision == Precision.BF16;
        StringBuilder c = new StringBuilder();
        c.append("class ").append(CLASS).append("(Module):\n");
        c.append("  __parameters__ = []\n");
        c.append("  __buffers__ = [");
        for (Buffer b : buffers) {
            c.append('"').append(b.name()).append("\", ");
        }
        c.append("]\n  training : bool\n");
        for (Buffer b : buffers) {
            c.append("  ").append(b.name()).append(" : Tensor\n");
        }
        c.append("  def forward(self: __torch__.").append(CLASS).append(",\n    input_ids: Tensor,\n    attention_mask: Tensor) -> Tensor:\n");
        line(c, "b = torch.size(input_ids, 0)");
        line(c, "t = torch.size(input_ids, 1)");
        line(c, "x = torch.embedding(self.emb_word, input_ids)");
        line(c, "x = torch.add(torch.add(x, torch.slice(self.emb_pos, 0, 0, t)), self.emb_type)");
        line(c, "x = torch.layer_norm(x, [" + hidden + "], self.emb_ln_w, self.emb_ln_b, " + e + ")");
        line(c, "keep = torch.to(attention_mask, 6)");
        // in bf16 the residual stream stays bf16 between layers: one conversion in, one out; libtorch's bf16 layer
        // norm and GELU compute in fp32 inside and round their results
        line(c, "x = " + toLow(bf16, "x"));
        // padding keys get -10000 added to their scores: nothing after the softmax (every row has its [CLS]). The mask
        // is fp32, so in bf16 adding it turns the scores into fp32 in the same pass, and the softmax runs libtorch's
        // fp32 kernel: its bf16 kernel took ~14 % of a lane's time (profiled), the fp32 one and the casts about half
        line(c, "pad = torch.mul(torch.sub(torch.unsqueeze(torch.unsqueeze(keep, 1), 2), 1.0), 10000.0)");
        for (int i = 0; i < layers; i++) {
            String p = "self.l" + i + "_";
            line(c, "qkv = torch.linear(x, " + p + "qkv_w, " + p + "qkv_b)");
            line(c, "qkv = torch.permute(torch.reshape(qkv, [b, t, 3, " + heads + ", " + d + "]), [2, 0, 3, 1, 4])");
            line(c, "s = torch.add(torch.matmul(torch.select(qkv, 0, 0), torch.transpose(torch.select(qkv, 0, 1), 2, 3)), pad)");
            line(c, "ctx = torch.matmul(" + toLow(bf16, "torch.softmax(s, -1)") + ", torch.select(qkv, 0, 2))");
            line(c, "ctx = torch.reshape(torch.transpose(ctx, 1, 2), [b, t, " + hidden + "])");
            line(c, "a = torch.linear(ctx, " + p + "o_w, " + p + "o_b)");
            line(c, "x = torch.layer_norm(torch.add(a, x), [" + hidden + "], " + p + "ln1_w, " + p + "ln1_b, " + e + ")");
            line(c, "f = torch.gelu(torch.linear(x, " + p + "i_w, " + p + "i_b))");
            line(c, "f = torch.linear(f, " + p + "f_w, " + p + "f_b)");
            line(c, "x = torch.layer_norm(torch.add(f, x), [" + hidden + "], " + p + "ln2_w, " + p + "ln2_b, " + e + ")");
        }
        line(c, "x = " + toFloat(bf16, "x"));
        if (pooling == BertEncoder.Pooling.CLS) {
            line(c, "v = torch.select(x, 1, 0)");
        } else {
            line(c, "m = torch.unsqueeze(keep, 2)");
            line(c, "v = torch.div(torch.sum(torch.mul(x, m), [1]), torch.sum(m, [1]))");
        }
        line(c, "return torch.div(v, torch.sqrt(torch.sum(torch.mul(v, v), [1], True)))");
        return c.toString();
    }

    private static void line(StringBuilder c, String s) {
        c.append("    ").append(s).append('\n');
    }

    /** To bfloat16 (scalar type 15) for a bf16 product; fp32 stays as it is. */
    private static String toLow(boolean bf16, String x) {
        return bf16 ? "torch.to(" + x + ", 15)" : x;
    }

    /** Back to float32 (scalar type 6) after a bf16 product. */
    private static String toFloat(boolean bf16, String x) {
        return bf16 ? "torch.to(" + x + ", 6)" : x;
    }

    private static String num(float v) {
        return String.format(Locale.ROOT, "%.9e", v);
    }
}
