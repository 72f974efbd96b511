package io.polyphony.ingest.embed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive as {@code torch.jit.save} lays it out (a zip of stored entries: {@code archive/version},
 * {@code constants.pkl}, {@code code/__torch__.py}, {@code data.pkl}, one {@code data/N} per tensor), for a module
 * whose state is a list of named buffers. libtorch compiles the code and unpickles the buffers when DJL's PyTorch
 * engine loads it; no Python is involved. The buffers' element types are those of the storages named here, so
 * bfloat16 tensors never pass through DJL's own type mapping.
 */
public final class TorchScriptWriter {

    private TorchScriptWriter() {
    }

    /** A tensor's element type as a storage class of {@code torch}. */
    public enum Storage {
        FLOAT("FloatStorage", 4), BFLOAT16("BFloat16Storage", 2), LONG("LongStorage", 8);

        final String className;
        final int bytes;

        Storage(String className, int bytes) {
            this.className = className;
            this.bytes = bytes;
        }
    }

    /** A module buffer: its attribute name, element type, shape (row-major, contiguous) and little-endian data. */
    public record Buffer(String name, Storage storage, long[] shape, ByteBuffer data) {
        public Buffer {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (data.remaining() != n * storage.bytes) {
                throw new IllegalArgumentException("buffer " + name + ": " + data.remaining() + " bytes for " + n
                        + " " + storage + " values");
            }
        }

        long elements() {
            return data.remaining() / storage.bytes;
        }
    }

    /**
     * Writes module {@code className}, whose TorchScript source is {@code code} (the class declaration with its
     * buffers as {@code Tensor} attributes and its methods), with these buffers.
     */
    public static void write(Path file, String className, String code, List<Buffer> buffers) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "archive/version", ByteBuffer.wrap("3\n".getBytes(StandardCharsets.US_ASCII)));
            stored(zip, "archive/constants.pkl", ByteBuffer.wrap(new byte[] {(byte) 0x80, 2, ')', '.'}));
            stored(zip, "archive/code/__torch__.py", ByteBuffer.wrap(code.getBytes(StandardCharsets.UTF_8)));
            stored(zip, "archive/data.pkl", ByteBuffer.wrap(dataPickle(className, buffers)));
            for (int i = 0; i < buffers.size(); i++) {
                stored(zip, "archive/data/" + i, buffers.get(i).data().duplicate());
            }
        }
    }

    private static void stored(ZipOutputStream zip, String name, ByteBuffer bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.remaining());
        e.setCompressedSize(bytes.remaining());
        CRC32 crc = new CRC32();
        crc.update(bytes.duplicate());
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        byte[] chunk = new byte[1 << 16];
        ByteBuffer b = bytes.duplicate();
        while (b.hasRemaining()) {
            int n = Math.min(chunk.length, b.remaining());
            b.get(chunk, 0, n);
            zip.write(chunk, 0, n);
        }
        zip.closeEntry();
    }

    /** Pickle protocol 2 of the module object: {@code training} and each buffer, rebuilt from storage {@code i}. */
    private static byte[] dataPickle(String className, List<Buffer> buffers) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        global(p, "__torch__", className);
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        p.write('('); // MARK
        unicode(p, "training");
        p.write(0x89); // NEWFALSE
        for (int i = 0; i < buffers.size(); i++) {
            Buffer b = buffers.get(i);
            unicode(p, b.name());
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('(');
            p.write('(');
            unicode(p, "storage");
            global(p, "torch", b.storage().className);
            unicode(p, Integer.toString(i));
            unicode(p, "cpu");
            binint(p, Math.toIntExact(b.elements()));
            p.write('t'); // TUPLE
            p.write('Q'); // BINPERSID
            binint(p, 0); // storage offset
            p.write('(');
            for (long d : b.shape()) {
                binint(p, Math.toIntExact(d));
            }
            p.write('t'); // size
            p.write('(');
            long stride = 1;
            long[] strides = new long[b.shape().length];
            for (int d = strides.length - 1; d >= 0; d--) {
                strides[d] = stride;
                stride *= b.shape()[d];
            }
            for (long s : strides) {
                binint(p, Math.toIntExact(s));
            }
            p.write('t'); // stride
            p.write(0x89); // requires_grad False
            global(p, "collections", "OrderedDict");
            p.write(')');
            p.write('R'); // REDUCE: backward hooks
            p.write('t'); // TUPLE of the 6 arguments
            p.write('R'); // REDUCE: the tensor
        }
        p.write('u'); // SETITEMS
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void global(OutputStream p, String module, String name) throws IOException {
        p.write('c');
        p.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(OutputStream p, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.write(b);
    }

    private static void binint(OutputStream p, int v) throws IOException {
        p.write('J');
        p.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }
}
