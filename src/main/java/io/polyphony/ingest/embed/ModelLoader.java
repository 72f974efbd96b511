package io.polyphony.ingest.embed;

import io.polyphony.ingest.embed.bert.BertEncoder;
import io.polyphony.ingest.embed.bert.ModuleCache;
import io.polyphony.ingest.embed.bert.BertWeights;
import io.polyphony.ingest.embed.bert.OnnxBertEmbedder;
import io.polyphony.ingest.embed.onnx.OnnxGraph;
import io.polyphony.ingest.embed.onnx.OnnxReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds an {@link Embedder} from a model folder. {@code option.modelType} picks the kind:
 * {@code onnx-bert} (BERT weights read from an ONNX file and run on DJL's PyTorch engine),
 * {@code ensemble} (concatenation of other folders' models), or {@code torchscript}, which is also assumed
 * for a folder from DJL's Hugging Face converter (a {@code .pt} file plus a {@code translatorFactory}).
 */
public final class ModelLoader {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ModelLoader.class);

    private final Path modelsDir;
    private final int batchSize;
    private final Precision precisionOverride;
    private final Lanes lanes;
    private final ModuleCache cache;

    /** One lane per core. */
    public ModelLoader(Path modelsDir, int batchSize) {
        this(modelsDir, batchSize, null);
    }

    /** With every BERT model at this precision, whatever the folders' {@code option.precision} say (benchmarks, tests). */
    public ModelLoader(Path modelsDir, int batchSize, Precision precisionOverride) {
        this(modelsDir, batchSize, precisionOverride, Lanes.resolve(0));
    }

    /** {@code lanes}: batches the models it loads embed at once ({@link Lanes}; threads shared by those models). */
    public ModelLoader(Path modelsDir, int batchSize, Precision precisionOverride, int lanes) {
        this(modelsDir, batchSize, precisionOverride, lanes, ModuleCache.none());
    }

    /** {@code cache}: where generated modules are kept between runs. */
    public ModelLoader(Path modelsDir, int batchSize, Precision precisionOverride, int lanes, ModuleCache cache) {
        this.modelsDir = modelsDir;
        this.batchSize = batchSize;
        this.precisionOverride = precisionOverride;
        this.lanes = Lanes.of(lanes);
        this.cache = cache;
    }

    /** This loader with every BERT model at {@code p}. */
    public ModelLoader withPrecision(Precision p) {
        return new ModelLoader(modelsDir, batchSize, p, lanes.count(), cache);
    }

    public int lanes() {
        return lanes.count();
    }

    public Embedder load(String name) {
        return loadFolder(name);
    }

    private Embedder loadFolder(String name) {
        ModelFolder folder = ModelFolder.open(modelsDir, name);
        String type = folder.option("modelType", folder.property("translatorFactory") != null ? "torchscript" : "");
        try {
            Embedder e = switch (type) {
                case "onnx-bert" -> loadOnnxBert(folder);
                case "ensemble" -> loadEnsemble(folder);
                case "torchscript" -> TorchScriptEmbedder.load(folder, batchSize);
                default -> throw new IllegalArgumentException(folder.dir().resolve("serving.properties")
                        + ": unknown option.modelType '" + type + "' (expected onnx-bert, ensemble or torchscript)");
            };
            // A model file's bytes (up to 133 MB) and staging buffers are garbage now: collect them before
            // the next member loads, so their peaks do not add up, and let the heap shrink back.
            System.gc();
            return e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model '" + name + "': " + e.getMessage(), e);
        }
    }

    private Embedder loadOnnxBert(ModelFolder folder) throws IOException {
        int heads = Integer.parseInt(folder.requireOption("heads"));
        float eps = Float.parseFloat(folder.option("layerNormEps", "1e-12"));
        BertEncoder.Pooling pooling = BertEncoder.Pooling.parse(folder.requireOption("pooling"));
        int maxTokens = Integer.parseInt(folder.requireOption("maxTokens"));
        Tokenizer tokenizer;
        try (InputStream in = folder.openFile(folder.requireOption("tokenizer"))) {
            tokenizer = Tokenizer.load(in);
        }
        String file = folder.requireOption("weights");
        Precision precision = precisionOverride != null ? precisionOverride : Precision.parse(folder.option("precision", "auto"));
        try {
            long t0 = System.nanoTime();
            String key = cache.enabled() ? ModuleCache.key(folder.name() + "-" + precision.label(), folder.identity(file),
                    String.join("|", "heads=" + heads, "eps=" + eps, "pooling=" + pooling)) : null;
            BertEncoder encoder = key == null ? null : BertEncoder.loadCached(cache, key, folder.name(), precision).orElse(null);
            if (encoder != null) {
                log.info("model {}: {} layers in one TorchScript module, {} (option.precision {}; processor {}); loaded from {}"
                                + " in {} ms", folder.name(), encoder.layerCount(), precision.label(), precisionLabel(folder),
                        Precision.cpuModel(), cache.dir(), (System.nanoTime() - t0) / 1_000_000);
                return new OnnxBertEmbedder(folder.name(), tokenizer, encoder, maxTokens, batchSize, lanes);
            }
            Map<String, ByteBuffer> data = new HashMap<>();
            BertWeights weights;
            try (InputStream in = folder.openFile(file)) {
                // one pass: the structure, and each float32 weight copied off the reader's buffer
                weights = BertWeights.fromOnnx(OnnxReader.read(in, (header, bytes) -> {
                    if (header.dataType() == OnnxGraph.Tensor.FLOAT && bytes.remaining() == header.elementCount() * 4) {
                        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
                        copy.put(bytes.duplicate()).flip();
                        data.put(header.name(), copy);
                    }
                }));
            }
            weights.initializerNames().stream().filter(n -> !data.containsKey(n)).findFirst().ifPresent(n -> {
                throw new IllegalArgumentException(folder.name() + ": weight " + n + " is not float32 data in " + file);
            });
            long t1 = System.nanoTime();
            if (key != null) {
                try {
                    encoder = BertEncoder.generateCached(cache, key, folder.name(), weights, data, heads, eps, pooling, precision);
                } catch (IOException e) {
                    // a cache that cannot be written (read-only home, full disk) costs the next start time, not this one
                    log.warn("model {}: the module cache {} cannot be used ({}); generating the module for this run only",
                            folder.name(), cache.dir(), e.getMessage());
                    key = null;
                }
            }
            if (encoder == null) {
                encoder = BertEncoder.load(folder.name(), weights, data, heads, eps, pooling, precision);
            }
            log.info("model {}: {} layers in one TorchScript module, {} (option.precision {}; processor {}); weights read"
                            + " in {} ms, module built and loaded in {} ms{}", folder.name(), encoder.layerCount(), precision.label(),
                    precisionLabel(folder), Precision.cpuModel(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000,
                    key == null ? "" : " (kept in " + cache.dir() + ")");
            return new OnnxBertEmbedder(folder.name(), tokenizer, encoder, maxTokens, batchSize, lanes);
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private String precisionLabel(ModelFolder folder) {
        return precisionOverride != null ? precisionOverride.label() : folder.option("precision", "auto");
    }

    private Embedder loadEnsemble(ModelFolder folder) {
        List<Embedder> members = new ArrayList<>();
        try {
            for (String member : folder.requireOption("members").split(",")) {
                if (member.trim().equals(folder.name())) {
                    throw new IllegalArgumentException("ensemble '" + folder.name() + "' lists itself as a member");
                }
                members.add(loadFolder(member.trim()));
            }
            return new EnsembleEmbedder(folder.name(), members, batchSize, lanes);
        } catch (RuntimeException e) {
            members.forEach(Embedder::close);
            throw e;
        }
    }
}
