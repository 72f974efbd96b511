package io.polyphony.ingest.embed.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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

    /** An initializer; {@code data} is a little-endian view into the model file, not a copy. */
    public record Tensor(String name, long[] dims, int dataType, ByteBuffer data) {

        /** ONNX TensorProto.DataType FLOAT. */
        public static final int FLOAT = 1;

        public FloatBuffer floats() {
            if (dataType != FLOAT) {
                throw new IllegalStateException("tensor " + name + " has ONNX data type " + dataType + ", not FLOAT");
            }
            return data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }

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
