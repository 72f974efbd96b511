package io.polyphony.ingest.embed.bert;

import io.polyphony.ingest.embed.onnx.OnnxGraph.Tensor;
import io.polyphony.ingest.embed.onnx.OnnxGraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a BERT encoder exported to ONNX by HF optimum / torch.onnx, under their Hugging Face
 * names. The exporter keeps biases and LayerNorm parameters named, but stores each Linear's weight as an
 * anonymous {@code onnx::MatMul_N} initializer (already transposed to [in, out]). We name those by
 * following the graph: the MatMul that reads the weight feeds an Add whose other input is the named bias.
 */
public final class BertWeights {

    private final Map<String, Tensor> byName;
    private final int layers;
    private final int hidden;
    private final int intermediate;

    private BertWeights(Map<String, Tensor> byName) {
        this.byName = byName;
        int n = 0;
        while (byName.containsKey(layerPrefix(n) + "attention.self.query.weight")) {
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("no BERT encoder layers found (expected encoder.layer.0.attention.self.query.*)");
        }
        this.layers = n;
        this.hidden = Math.toIntExact(tensor("embeddings.word_embeddings.weight").dims()[1]);
        this.intermediate = Math.toIntExact(tensor(layerPrefix(0) + "intermediate.dense.weight").dims()[1]);
        for (int i = 0; i < layers; i++) {
            for (String suffix : LAYER_TENSORS) {
                tensor(layerPrefix(i) + suffix);
            }
        }
    }

    private static final List<String> LAYER_TENSORS = List.of(
            "attention.self.query.weight", "attention.self.query.bias",
            "attention.self.key.weight", "attention.self.key.bias",
            "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias",
            "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias");

    public static BertWeights fromOnnx(OnnxGraph graph) {
        Map<String, Tensor> named = new HashMap<>();
        graph.initializers().forEach((name, t) -> {
            if (!name.startsWith("onnx::")) {
                named.put(name, t);
            }
        });
        for (OnnxGraph.Node matMul : graph.nodes()) {
            if (!matMul.opType().equals("MatMul") || matMul.inputs().size() != 2) {
                continue;
            }
            Tensor weight = graph.initializers().get(matMul.inputs().get(1));
            if (weight == null || !weight.name().startsWith("onnx::")) {
                continue;
            }
            String bias = biasAddedTo(graph, matMul.outputs().get(0));
            if (bias == null) {
                throw new IllegalArgumentException("cannot tell what weight " + weight.name()
                        + " is: the MatMul reading it (" + matMul.name() + ") is not followed by a named bias Add");
            }
            named.put(bias.substring(0, bias.length() - ".bias".length()) + ".weight", weight);
        }
        return new BertWeights(named);
    }

    private static String biasAddedTo(OnnxGraph graph, String value) {
        List<String> candidates = new ArrayList<>();
        for (OnnxGraph.Node add : graph.consumers(value)) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String in : add.inputs()) {
                if (!in.equals(value) && in.endsWith(".bias") && graph.initializers().containsKey(in)) {
                    candidates.add(in);
                }
            }
        }
        return candidates.size() == 1 ? candidates.get(0) : null;
    }

    static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    private static final List<String> EMBEDDING_TENSORS = List.of("embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias");

    /** The initializers an encoder needs (not, e.g., the exporter's int64 position ids), by their ONNX names. */
    public Set<String> initializerNames() {
        Set<String> out = new HashSet<>();
        EMBEDDING_TENSORS.forEach(n -> out.add(tensor(n).name()));
        for (int i = 0; i < layers; i++) {
            for (String suffix : LAYER_TENSORS) {
                out.add(layer(i, suffix).name());
            }
        }
        return out;
    }

    public Tensor tensor(String name) {
        Tensor t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("BERT weight " + name + " not found in the ONNX model");
        }
        return t;
    }

    public Tensor layer(int layer, String suffix) {
        return tensor(layerPrefix(layer) + suffix);
    }

    public int layers() {
        return layers;
    }

    public int hidden() {
        return hidden;
    }

    public int intermediate() {
        return intermediate;
    }

    public int maxPositions() {
        return Math.toIntExact(tensor("embeddings.position_embeddings.weight").dims()[0]);
    }
}
