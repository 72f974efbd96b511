package io.polyphony.ingest.embed.onnx;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of an ONNX model that a weight loader needs: the nodes (to find out what an anonymous
 * initializer is for) and the initializers themselves.
 */
public record OnnxGraph(List<Node> nodes, Map<String, Tensor> initializers) {

    public record Node(String opType, String name, List<String> inputs, List<String> outputs) {
    }

    /** An initializer's header; its data is streamed separately ({@link OnnxReader#read}). */
    public record Tensor(String name, long[] dims, int dataType) {

        /** ONNX TensorProto.DataType FLOAT. */
        public static final int FLOAT = 1;

        public long elementCount() {
            return Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        }
    }

    public Optional<Tensor> initializer(String name) {
        return Optional.ofNullable(initializers.get(name));
    }

    /** The nodes that read {@code valueName}. */
    public List<Node> consumers(String valueName) {
        return nodes.stream().filter(n -> n.inputs().contains(valueName)).toList();
    }
}
