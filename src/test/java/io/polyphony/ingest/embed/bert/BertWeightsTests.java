package io.polyphony.ingest.embed.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.embed.onnx.OnnxGraph;
import io.polyphony.ingest.embed.onnx.OnnxReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BertWeightsTests {

    static OnnxGraph minilm;
    static final java.util.Map<String, Long> bytes = new java.util.HashMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (InputStream in = BertWeightsTests.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            minilm = OnnxReader.read(in, (header, data) -> bytes.put(header.name(), (long) data.remaining()));
        }
    }

    @Test
    void readsTheGraphAndItsInitializers() {
        assertThat(minilm.nodes()).hasSizeGreaterThan(500);
        assertThat(minilm.initializer("embeddings.word_embeddings.weight").orElseThrow().dims()).containsExactly(30522, 384);
        assertThat(minilm.initializer("embeddings.word_embeddings.weight").orElseThrow().dataType()).isEqualTo(OnnxGraph.Tensor.FLOAT);
    }

    @Test
    void namesTheAnonymousMatMulWeightsByTheirBias() {
        BertWeights w = BertWeights.fromOnnx(minilm);
        assertThat(w.layers()).isEqualTo(6);
        assertThat(w.hidden()).isEqualTo(384);
        assertThat(w.intermediate()).isEqualTo(1536);
        assertThat(w.maxPositions()).isEqualTo(512);
        // cross-check with the exporter's node names, which our mapping does not use
        for (int layer = 0; layer < 6; layer++) {
            for (String part : List.of("attention/self/query", "attention/self/key", "attention/self/value",
                    "attention/output/dense", "intermediate/dense", "output/dense")) {
                String nodeName = "/encoder/layer." + layer + "/" + part + "/MatMul";
                OnnxGraph.Node node = minilm.nodes().stream().filter(n -> n.name().equals(nodeName)).findFirst().orElseThrow();
                String hfName = "encoder.layer." + layer + "." + part.replace('/', '.') + ".weight";
                assertThat(w.tensor(hfName).name()).as(hfName).isEqualTo(node.inputs().get(1)).startsWith("onnx::MatMul_");
            }
        }
    }

    @Test
    void theSamePassStreamsEveryWeightWithItsBytes() {
        assertThat(bytes).hasSameSizeAs(minilm.initializers());
        assertThat(bytes.get("embeddings.word_embeddings.weight")).isEqualTo(30522L * 384 * 4);
        assertThat(bytes.get("embeddings.LayerNorm.bias")).isEqualTo(384L * 4);
    }

    @Test
    void aMatMulWeightWithoutANamedBiasIsRefused() {
        var weight = new OnnxGraph.Tensor("onnx::MatMul_1", new long[] {2, 2}, OnnxGraph.Tensor.FLOAT);
        var graph = new OnnxGraph(List.of(
                new OnnxGraph.Node("MatMul", "/mystery/MatMul", List.of("x", "onnx::MatMul_1"), List.of("y")),
                new OnnxGraph.Node("Relu", "/mystery/Relu", List.of("y"), List.of("z"))),
                Map.of("onnx::MatMul_1", weight));
        assertThatThrownBy(() -> BertWeights.fromOnnx(graph))
                .hasMessageContaining("cannot tell what weight onnx::MatMul_1 is")
                .hasMessageContaining("/mystery/MatMul");
    }

    @Test
    void aGraphWithoutEncoderLayersIsRefused() {
        assertThatThrownBy(() -> BertWeights.fromOnnx(new OnnxGraph(List.of(), Map.of())))
                .hasMessageContaining("no BERT encoder layers found");
    }

    @Test
    void notAnOnnxFileIsRefused() {
        assertThatThrownBy(() -> OnnxReader.read(new java.io.ByteArrayInputStream("just some text".getBytes()), (h, d) -> { }))
                .isInstanceOf(java.io.IOException.class);
    }
}
