package io.polyphony.ingest.embed.onnx;

import java.io.EOFException;
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
 * Reads an ONNX ModelProto as a stream, with a minimal protobuf decoder: we need the graph's nodes and
 * initializers only, and pulling in protobuf-java plus generated ONNX classes for that is not worth it.
 * One pass over the stream: the structure, and each weight handed to a sink as it streams by, one at a time, in
 * one reused direct buffer (the file itself is never held whole: the bge file is 133 MB). Field numbers are from onnx/onnx.proto3 (ModelProto.graph = 7,
 * GraphProto.node = 1, GraphProto.initializer = 5, TensorProto.raw_data = 9, ...).
 */
public final class OnnxReader {

    /** Receives one initializer; {@code data} (little-endian) is only valid during the call. */
    @FunctionalInterface
    public interface InitializerSink {
        void accept(OnnxGraph.Tensor header, ByteBuffer data) throws IOException;
    }

    private OnnxReader() {
    }

    /**
     * One pass: nodes and initializer headers, and every initializer's data through {@code sink} as it streams by
     * (for a loader that keeps the weights anyway: the file is read, and inflated out of a jar, once).
     */
    public static OnnxGraph read(InputStream in, InitializerSink sink) throws IOException {
        List<OnnxGraph.Node> nodes = new ArrayList<>();
        Map<String, OnnxGraph.Tensor> initializers = new LinkedHashMap<>();
        Staging staging = new Staging();
        try {
            forEachGraphField(in, (field, graph) -> {
                if (field == 1) {
                    nodes.add(readNode(ByteBuffer.wrap(graph.bytes())));
                } else if (field == 5) {
                    OnnxGraph.Tensor t = readTensor(graph.nested(), staging);
                    initializers.put(t.name(), t);
                    sink.accept(t, staging.buffer.duplicate().flip().order(ByteOrder.LITTLE_ENDIAN));
                } else {
                    graph.skipValue();
                }
            });
        } finally {
            staging.release();
        }
        return new OnnxGraph(List.copyOf(nodes), initializers);
    }

    @FunctionalInterface
    private interface GraphFieldHandler {
        void handle(int field, StreamProto graph) throws IOException;
    }

    private static void forEachGraphField(InputStream in, GraphFieldHandler handler) throws IOException {
        StreamProto model = new StreamProto(in, Long.MAX_VALUE);
        boolean sawGraph = false;
        while (model.hasMore()) {
            int tag = model.tag();
            if (tag == -1) {
                break;
            }
            if (tag >>> 3 == 7 && (tag & 7) == 2) {
                sawGraph = true;
                StreamProto graph = model.nested();
                while (graph.hasMore()) {
                    int gtag = graph.tag();
                    graph.wire = gtag & 7;
                    handler.handle(gtag >>> 3, graph);
                }
            } else {
                model.wire = tag & 7;
                model.skipValue();
            }
        }
        if (!sawGraph) {
            throw new IOException("not an ONNX model: no graph found");
        }
    }

    private static OnnxGraph.Node readNode(ByteBuffer node) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = "";
        BufferProto p = new BufferProto(node);
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

    /** Reads a TensorProto; its raw data goes into {@code staging}. */
    private static OnnxGraph.Tensor readTensor(StreamProto p, Staging staging) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        boolean hasData = false;
        while (p.hasMore()) {
            int tag = p.tag();
            int wire = tag & 7;
            p.wire = wire;
            switch (tag >>> 3) {
                case 1 -> {
                    if (wire == 2) {
                        BufferProto packed = new BufferProto(ByteBuffer.wrap(p.bytes()));
                        while (packed.hasMore()) {
                            dims.add(packed.varint());
                        }
                    } else {
                        dims.add(p.varint());
                    }
                }
                case 2 -> dataType = (int) p.varint();
                case 8 -> name = new String(p.bytes(), StandardCharsets.UTF_8);
                case 4, 9 -> { // float_data (packed little-endian floats) or raw_data: the same bytes
                    if (wire != 2) {
                        throw new IOException("tensor " + name + ": unpacked float_data is not supported");
                    }
                    staging.fill(p, p.varint());
                    hasData = true;
                }
                case 14 -> {
                    if (p.varint() == 1) {
                        throw new IOException("tensor " + name + " keeps its data in an external file, which is not supported");
                    }
                }
                default -> p.skipValue();
            }
        }
        if (!hasData) {
            staging.fill(null, 0);
        }
        return new OnnxGraph.Tensor(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType);
    }

    /** One direct buffer, grown as needed and freed at the end: weights never pass through the heap whole. */
    private static final class Staging {
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);
        private final byte[] transfer = new byte[1 << 20];

        void fill(StreamProto p, long length) throws IOException {
            if (length > Integer.MAX_VALUE) {
                throw new IOException("tensor of " + length + " bytes is too large");
            }
            if (buffer.capacity() < length) {
                DirectBuffers.free(buffer);
                buffer = ByteBuffer.allocateDirect((int) length).order(ByteOrder.nativeOrder());
            }
            buffer.clear();
            long left = length;
            while (left > 0) {
                int n = p.read(transfer, (int) Math.min(transfer.length, left));
                buffer.put(transfer, 0, n);
                left -= n;
            }
        }

        void release() {
            DirectBuffers.free(buffer);
        }
    }

    /** Cursor over a protobuf message read from a stream, bounded by the message's length. */
    private static final class StreamProto {
        private final InputStream in;
        private long remaining;
        int wire;

        StreamProto(InputStream in, long length) {
            this.in = in;
            this.remaining = length;
        }

        boolean hasMore() {
            return remaining > 0;
        }

        /** The next field's tag, or -1 at the end of an unbounded (top-level) stream. */
        int tag() throws IOException {
            if (remaining == Long.MAX_VALUE) {
                int first = in.read();
                if (first == -1) {
                    remaining = 0;
                    return -1;
                }
                return (int) varintFrom(first);
            }
            return (int) varint();
        }

        long varint() throws IOException {
            return varintFrom(readByte());
        }

        private long varintFrom(int first) throws IOException {
            long result = first & 0x7f;
            int b = first;
            for (int shift = 7; (b & 0x80) != 0; shift += 7) {
                if (shift >= 64) {
                    throw new IOException("malformed varint in ONNX file");
                }
                b = readByte();
                result |= (long) (b & 0x7f) << shift;
            }
            return result;
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("ONNX file ends in the middle of a message");
            }
            consume(1);
            return b;
        }

        byte[] bytes() throws IOException {
            long length = varint();
            if (length > 64L << 20) {
                throw new IOException("field of " + length + " bytes is too large for metadata");
            }
            byte[] b = in.readNBytes((int) length);
            if (b.length != length) {
                throw new EOFException("ONNX file ends in the middle of a field");
            }
            consume(length);
            return b;
        }

        int read(byte[] into, int max) throws IOException {
            int n = in.read(into, 0, max);
            if (n <= 0) {
                throw new EOFException("ONNX file ends in the middle of a tensor");
            }
            consume(n);
            return n;
        }

        StreamProto nested() throws IOException {
            long length = varint();
            consume(length); // the nested message's bytes are accounted to it
            return new StreamProto(in, length);
        }

        void skipBytes(long length) throws IOException {
            long left = length;
            while (left > 0) {
                long n = in.skip(left);
                if (n <= 0) {
                    if (in.read() == -1) {
                        throw new EOFException("ONNX file ends in the middle of a field");
                    }
                    n = 1;
                }
                left -= n;
            }
            consume(length);
        }

        void skipValue() throws IOException {
            switch (wire) {
                case 0 -> varint();
                case 1 -> skipBytes(8);
                case 2 -> skipBytes(varint());
                case 5 -> skipBytes(4);
                default -> throw new IOException("unsupported protobuf wire type " + wire);
            }
        }

        private void consume(long n) throws IOException {
            if (remaining != Long.MAX_VALUE) {
                remaining -= n;
                if (remaining < 0) {
                    throw new IOException("malformed ONNX file: a field runs past its message");
                }
            }
        }
    }

    /** Cursor over a small protobuf message already in memory (a node). */
    private static final class BufferProto {
        private final ByteBuffer buf;

        BufferProto(ByteBuffer buf) {
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

        String string() {
            int len = Math.toIntExact(varint());
            byte[] arr = new byte[len];
            buf.get(arr);
            return new String(arr, StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> buf.position(buf.position() + 8);
                case 2 -> {
                    int length = Math.toIntExact(varint()); // read before taking the position it moves
                    buf.position(buf.position() + length);
                }
                case 5 -> buf.position(buf.position() + 4);
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + (tag & 7));
            }
        }
    }
}
