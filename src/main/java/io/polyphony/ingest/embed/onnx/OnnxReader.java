package io.polyphony.ingest.embed.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX ModelProto with a minimal protobuf decoder: we only need the graph's nodes and
 * initializers, and pulling in protobuf-java plus generated ONNX classes for that is not worth it.
 * Field numbers are from onnx/onnx.proto3 (ModelProto.graph = 7, GraphProto.node = 1,
 * GraphProto.initializer = 5, ...).
 */
public final class OnnxReader {

    private OnnxReader() {
    }

    public static OnnxGraph read(InputStream in) throws IOException {
        return read(ByteBuffer.wrap(in.readAllBytes()));
    }

    public static OnnxGraph read(ByteBuffer model) {
        ByteBuffer graph = null;
        Proto p = new Proto(model);
        while (p.hasMore()) {
            int tag = p.tag();
            if (tag >>> 3 == 7 && (tag & 7) == 2) {
                graph = p.bytes();
            } else {
                p.skip(tag);
            }
        }
        if (graph == null) {
            throw new IllegalArgumentException("not an ONNX model: no graph found");
        }
        return readGraph(graph);
    }

    private static OnnxGraph readGraph(ByteBuffer graph) {
        List<OnnxGraph.Node> nodes = new ArrayList<>();
        Map<String, OnnxGraph.Tensor> initializers = new LinkedHashMap<>();
        Proto p = new Proto(graph);
        while (p.hasMore()) {
            int tag = p.tag();
            switch (tag >>> 3) {
                case 1 -> nodes.add(readNode(p.bytes()));
                case 5 -> {
                    OnnxGraph.Tensor t = readTensor(p.bytes());
                    initializers.put(t.name(), t);
                }
                default -> p.skip(tag);
            }
        }
        return new OnnxGraph(List.copyOf(nodes), initializers);
    }

    private static OnnxGraph.Node readNode(ByteBuffer node) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = "";
        Proto p = new Proto(node);
        while (p.hasMore()) {
            int tag = p.tag();
            switch (tag >>> 3) {
                case 1 -> inputs.add(p.string());
                case 2 -> outputs.add(p.string());
                case 3 -> name = p.string();
                case 4 -> op = p.string();
                default -> p.skip(tag);
            }
        }
        return new OnnxGraph.Node(op, name, List.copyOf(inputs), List.copyOf(outputs));
    }

    private static OnnxGraph.Tensor readTensor(ByteBuffer tensor) {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        ByteBuffer floatData = null;
        Proto p = new Proto(tensor);
        while (p.hasMore()) {
            int tag = p.tag();
            int wire = tag & 7;
            switch (tag >>> 3) {
                case 1 -> {
                    if (wire == 2) {
                        Proto packed = new Proto(p.bytes());
                        while (packed.hasMore()) {
                            dims.add(packed.varint());
                        }
                    } else {
                        dims.add(p.varint());
                    }
                }
                case 2 -> dataType = (int) p.varint();
                case 4 -> {
                    if (wire != 2) {
                        throw new IllegalArgumentException("unpacked float_data is not supported (tensor " + name + ")");
                    }
                    floatData = p.bytes();
                }
                case 8 -> name = p.string();
                case 9 -> raw = p.bytes();
                case 14 -> {
                    if (p.varint() == 1) {
                        throw new IllegalArgumentException("tensor " + name + " keeps its data in an external file, which is not supported");
                    }
                }
                default -> p.skip(tag);
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        ByteBuffer data = raw != null ? raw : floatData != null ? floatData : ByteBuffer.allocate(0);
        return new OnnxGraph.Tensor(name, d, dataType, data.order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Cursor over one protobuf message. */
    private static final class Proto {
        private final ByteBuffer buf;

        Proto(ByteBuffer buf) {
            this.buf = buf.slice();
        }

        boolean hasMore() {
            return buf.hasRemaining();
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = buf.get();
                result |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return result;
                }
            }
            throw new IllegalArgumentException("malformed varint in ONNX file");
        }

        ByteBuffer bytes() {
            int len = Math.toIntExact(varint());
            ByteBuffer slice = buf.slice(buf.position(), len);
            buf.position(buf.position() + len);
            return slice;
        }

        String string() {
            ByteBuffer b = bytes();
            byte[] arr = new byte[b.remaining()];
            b.get(arr);
            return new String(arr, StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> buf.position(buf.position() + 8);
                case 2 -> bytes();
                case 5 -> buf.position(buf.position() + 4);
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + (tag & 7));
            }
        }
    }
}
