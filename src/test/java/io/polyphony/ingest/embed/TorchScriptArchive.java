package io.polyphony.ingest.embed;

import io.polyphony.ingest.testing.Zips;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipOutputStream;

/**
 * Writes a real TorchScript archive, as {@code torch.jit.save} lays it out, for a bag-of-words text
 * encoder: {@code forward(input_ids, attention_mask) = embedding(weight, input_ids)}, i.e. a
 * last_hidden_state of shape [batch, tokens, dims]. No Python is available here, so tests build the
 * model file a DJL converter folder would hold; libtorch compiles the code and unpickles the weight.
 */
final class TorchScriptArchive {

    private TorchScriptArchive() {
    }

    static final String CODE = """
            class BagOfWords(Module):
              __parameters__ = []
              __buffers__ = ["weight", ]
              training : bool
              weight : Tensor
              def forward(self: __torch__.BagOfWords,
                input_ids: Tensor,
                attention_mask: Tensor) -> Tensor:
                weight = self.weight
                return torch.embedding(weight, input_ids)
            """;

    static void write(Path file, float[][] weight) throws IOException {
        int rows = weight.length;
        int cols = weight[0].length;
        ByteBuffer data = ByteBuffer.allocate(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : weight) {
            for (float f : row) {
                data.putFloat(f);
            }
        }
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            Zips.stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            Zips.stored(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            Zips.stored(zip, "archive/code/__torch__.py", CODE.getBytes(StandardCharsets.UTF_8));
            Zips.stored(zip, "archive/data.pkl", dataPickle(rows, cols));
            Zips.stored(zip, "archive/data/0", data.array());
        }
    }

    /** Pickle protocol 2 of the module object with its {@code training} flag and {@code weight} tensor. */
    private static byte[] dataPickle(int rows, int cols) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        global(p, "__torch__", "BagOfWords");
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        p.write('('); // MARK
        unicode(p, "training");
        p.write(0x89); // NEWFALSE
        unicode(p, "weight");
        global(p, "torch._utils", "_rebuild_tensor_v2");
        p.write('(');
        p.write('(');
        unicode(p, "storage");
        global(p, "torch", "FloatStorage");
        unicode(p, "0");
        unicode(p, "cpu");
        binint(p, rows * cols);
        p.write('t'); // TUPLE
        p.write('Q'); // BINPERSID
        binint(p, 0); // storage offset
        p.write('(');
        binint(p, rows);
        binint(p, cols);
        p.write('t'); // size
        p.write('(');
        binint(p, cols);
        binint(p, 1);
        p.write('t'); // stride
        p.write(0x89); // requires_grad False
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R'); // REDUCE: backward hooks
        p.write('t'); // TUPLE of the 6 arguments
        p.write('R'); // REDUCE: the tensor
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
