package io.polyphony.ingest.embed.bert;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.polyphony.ingest.embed.Precision;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT encoder run by DJL's PyTorch engine as one TorchScript module ({@link BertModule}), generated at load from
 * weights we read ourselves: one call into libtorch per batch. Output rows are pooled and L2-normalised.
 */
public final class BertEncoder implements AutoCloseable {

    public enum Pooling {
        MEAN, CLS;

        public static Pooling parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    private final Model model;
    private final int hidden;
    private final int intermediate;
    private final int layers;
    private final int maxPositions;
    private final Precision precision;

    private BertEncoder(Model model, ModuleCache.Dimensions d, Precision precision) {
        this.model = model;
        this.hidden = d.hidden();
        this.intermediate = d.intermediate();
        this.layers = d.layers();
        this.maxPositions = d.maxPositions();
        this.precision = precision;
    }

    /**
     * Generates the module from the weights ({@code data}: each initializer's float32 values, little-endian, as the
     * ONNX file holds them) in a temporary file, loads it and deletes the file.
     */
    public static BertEncoder load(String name, BertWeights w, Map<String, ByteBuffer> data, int heads, float eps,
                                   Pooling pooling, Precision precision) throws IOException {
        if (w.hidden() % heads != 0) {
            throw new IllegalArgumentException("hidden size " + w.hidden() + " is not divisible by " + heads + " heads");
        }
        Path dir = Files.createTempDirectory("polyphony-model");
        Path file = dir.resolve("encoder.pt");
        try {
            BertModule.write(file, w, data, heads, eps, pooling, precision);
            Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
            try {
                model.load(dir, "encoder");
            } catch (MalformedModelException | IOException | RuntimeException e) {
                model.close();
                throw new IOException("the generated TorchScript module of " + name + " did not load: " + e.getMessage(), e);
            }
            BertEncoder encoder = new BertEncoder(model, ModuleCache.Dimensions.of(w), precision);
            encoder.warmUp();
            return encoder;
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** The module of cache entry {@code key}, if the cache has it; an entry that does not load is deleted. */
    public static java.util.Optional<BertEncoder> loadCached(ModuleCache cache, String key, String name, Precision precision) {
        java.util.Optional<ModuleCache.Dimensions> d = cache.find(key);
        if (d.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(loadFile(cache, key, name, d.get(), precision));
        } catch (IOException e) {
            cache.evict(key);
            return java.util.Optional.empty();
        }
    }

    /** Generates the module into cache entry {@code key}, then loads it from there. */
    public static BertEncoder generateCached(ModuleCache cache, String key, String name, BertWeights w,
                                             Map<String, ByteBuffer> data, int heads, float eps, Pooling pooling,
                                             Precision precision) throws IOException {
        if (w.hidden() % heads != 0) {
            throw new IllegalArgumentException("hidden size " + w.hidden() + " is not divisible by " + heads + " heads");
        }
        ModuleCache.Dimensions d = ModuleCache.Dimensions.of(w);
        cache.store(key, d, file -> BertModule.write(file, w, data, heads, eps, pooling, precision));
        try {
            return loadFile(cache, key, name, d, precision);
        } catch (IOException e) {
            cache.evict(key);
            throw e;
        }
    }

    private static BertEncoder loadFile(ModuleCache cache, String key, String name, ModuleCache.Dimensions d,
                                        Precision precision) throws IOException {
        Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
        try {
            model.load(cache.dir(), key);
            BertEncoder encoder = new BertEncoder(model, d, precision);
            encoder.warmUp();
            return encoder;
        } catch (MalformedModelException | IOException | RuntimeException e) {
            model.close();
            throw new IOException("the cached TorchScript module " + cache.dir().resolve(key + ".pt") + " of " + name
                    + " did not load: " + e.getMessage(), e);
        }
    }

    /**
     * Two small forward passes: libtorch's graph executor profiles a module's first runs and optimises it after them,
     * which made the first real batch about 0.7 s slower; here that happens while the model loads.
     */
    private void warmUp() {
        long[][] ids = {{101, 2023, 2003, 102}, {101, 102}};
        encode(ids);
        encode(ids);
    }

    public int dimensions() {
        return hidden;
    }

    public int layerCount() {
        return layers;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public Precision precision() {
        return precision;
    }

    /**
     * Multiply-add FLOPs (2 per MAC) of one forward pass over a padded [batch, seq] input: the
     * projections, the feed-forward block and the two attention products.
     */
    public double flops(int batch, int seq) {
        double tokens = (double) batch * seq;
        double linear = 2 * tokens * ((double) hidden * 3 * hidden + (double) hidden * hidden + 2.0 * hidden * intermediate);
        double attention = 2 * 2 * (double) batch * seq * seq * hidden;
        return layers * (linear + attention);
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
        long[] keep = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids[i], 0, flat, i * t, ids[i].length);
            for (int j = 0; j < ids[i].length; j++) {
                keep[i * t + j] = 1;
            }
        }
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDList in = new NDList(m.create(flat, new Shape(b, t)), m.create(keep, new Shape(b, t)));
            NDArray out = model.getBlock().forward(new ParameterStore(m, false), in, false).singletonOrThrow();
            float[] all = out.toFloatArray();
            float[][] rows = new float[b][hidden];
            for (int i = 0; i < b; i++) {
                System.arraycopy(all, i * hidden, rows[i], 0, hidden);
            }
            return rows;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
