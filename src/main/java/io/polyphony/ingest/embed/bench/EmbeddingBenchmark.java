package io.polyphony.ingest.embed.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.Precision;
import io.polyphony.ingest.embed.TorchScriptWriter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Map;
import java.util.function.Function;

/**
 * Throughput and memory of an {@link Embedder} at each precision, with plain GEMMs of that precision on the same
 * engine as the roofline.
 * Everything is measured in one run so the ratios hold on a shared, noisy machine; each figure is the
 * median of {@code repeats} timings.
 */
public final class EmbeddingBenchmark {

    /** {@code lanes} and {@code batchSize}: the embedder's, for the report. */
    public record Options(List<Integer> batchSizes, int chunks, int repeats, int soakChunks, int chunkChars, int lanes,
                          int batchSize) {
    }

    public record BatchResult(int batchSize, double chunksPerSecond, double gflops, double roofFraction) {
    }

    private final PrintStream out;

    public EmbeddingBenchmark(PrintStream out) {
        this.out = out;
    }

    /** fp32 GEMM GFLOP/s, median of {@code repeats}: C[m,n] = A[m,k] B[k,n]. */
    public static double gemmGflops(int m, int k, int n, int repeats) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(m, k));
            NDArray b = manager.randomUniform(-1, 1, new Shape(k, n));
            return timed(2.0 * m * k * n, repeats, () -> a.matMul(b).close());
        }
    }

    /**
     * bf16 GEMM GFLOP/s, median of {@code repeats}: the product inside a TorchScript module whose B is stored as
     * bfloat16 (as the model's weights are), A cast to bfloat16 and C back to float32 around it.
     */
    public static double bf16GemmGflops(int m, int k, int n, int repeats) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 * k * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < k * n; i++) {
            b.putShort((short) (Float.floatToRawIntBits(r.nextFloat() * 2 - 1) >>> 16));
        }
        b.flip();
        String code = "class Gemm(Module):\n  __parameters__ = []\n  __buffers__ = [\"b\", ]\n  training : bool\n  b : Tensor\n"
                + "  def forward(self: __torch__.Gemm,\n    a: Tensor) -> Tensor:\n"
                + "    return torch.to(torch.matmul(torch.to(a, 15), self.b), 6)\n";
        java.nio.file.Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory("polyphony-gemm");
            TorchScriptWriter.write(dir.resolve("gemm.pt"), "Gemm", code, List.of(new TorchScriptWriter.Buffer("b",
                    TorchScriptWriter.Storage.BFLOAT16, new long[] {k, n}, b)));
            try (ai.djl.Model model = ai.djl.Model.newInstance("gemm", ai.djl.Device.cpu(), "PyTorch")) {
                model.load(dir, "gemm");
                NDManager manager = model.getNDManager();
                ai.djl.ndarray.NDList in = new ai.djl.ndarray.NDList(manager.randomUniform(-1, 1, new Shape(m, k)));
                ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(manager, false);
                return timed(2.0 * m * k * n, repeats, () -> model.getBlock().forward(ps, in, false).close());
            }
        } catch (java.io.IOException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("bf16 GEMM module: " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                try {
                    java.nio.file.Files.deleteIfExists(dir.resolve("gemm.pt"));
                    java.nio.file.Files.deleteIfExists(dir);
                } catch (java.io.IOException ignored) {
                    // a temporary file
                }
            }
        }
    }

    /** GFLOP/s of an operation of {@code flops}, median of {@code repeats} timings of about 20 GFLOP each. */
    private static double timed(double flops, int repeats, Runnable op) {
        int inner = Math.max(1, (int) (2e10 / flops));
        op.run(); // warm-up; PyTorch CPU ops are synchronous: the product is done when the call returns
        double[] gflops = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                op.run();
            }
            gflops[r] = flops * inner / (System.nanoTime() - t0);
        }
        return median(gflops);
    }

    /** The best of several square GEMMs at this precision, so no lucky or unlucky shape flatters us. */
    private double roofline(Precision p, int repeats) {
        // every core on each product: the ceiling of all lanes together
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch
        ai.djl.pytorch.jni.JniUtils.setNumThreads(Runtime.getRuntime().availableProcessors());
        try {
            return rooflineOnAllCores(p, repeats);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads",
                    Integer.toString(Runtime.getRuntime().availableProcessors()))));
        }
    }

    private double rooflineOnAllCores(Precision p, int repeats) {
        double roof = 0;
        StringBuilder gemms = new StringBuilder();
        for (int n : new int[] {1024, 2048, 3072}) {
            double g = p == Precision.BF16 ? bf16GemmGflops(n, n, n, repeats) : gemmGflops(n, n, n, repeats);
            roof = Math.max(roof, g);
            gemms.append(String.format(" %d^3: %.1f", n, g));
        }
        double shaped = p == Precision.BF16 ? bf16GemmGflops(4096, 384, 1536, repeats) : gemmGflops(4096, 384, 1536, repeats);
        out.printf("roofline         %s GEMM %.1f GFLOP/s (best of%s; model-shaped 4096x384x1536: %.1f)%n", p.label(),
                roof, gemms, shaped);
        return roof;
    }

    /**
     * For each precision: its GEMM roofline, the model loaded at it and its throughput per batch size; then the min
     * cosine between the precisions' vectors, and a memory soak at the last one.
     */
    public List<BatchResult> run(Function<Precision, Embedder> loader, List<Precision> precisions, Options o) {
        out.printf("processor        %s; native bf16 products: %s; default precision: %s%n", Precision.cpuModel(),
                Precision.detect() == Precision.BF16 ? "yes" : "no", Precision.detect().label());
        out.printf("threads          PyTorch intra-op %s per forward pass, inter-op %s, %d cores; %d lane(s) (batches at once),"
                        + " batches of %d%n", System.getProperty("ai.djl.pytorch.num_threads"),
                System.getProperty("ai.djl.pytorch.num_interop_threads"), Runtime.getRuntime().availableProcessors(),
                o.lanes(), o.batchSize());
        Map<Precision, Double> roofs = new java.util.EnumMap<>(Precision.class);
        for (Precision p : precisions) {
            roofs.put(p, roofline(p, o.repeats()));
        }
        List<String> chunks = SyntheticChunks.generate(o.chunks(), o.chunkChars(), 42);
        List<BatchResult> results = new ArrayList<>();
        Map<Precision, List<float[]>> vectors = new java.util.EnumMap<>(Precision.class);
        for (int i = 0; i < precisions.size(); i++) {
            Precision p = precisions.get(i);
            long rssBefore = ProcessMemory.settledRssMiB();
            long t0 = System.nanoTime();
            Embedder embedder = loader.apply(p);
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            long peakLoading = ProcessMemory.peakRssMiB();
            long rssLoaded = ProcessMemory.settledRssMiB();
            out.printf("%nmodel            %s at %s (%d dims, max %d tokens)%n", embedder.info().name(), p.label(),
                    embedder.info().dimensions(), embedder.info().maxTokens());
            out.printf("model load       %.2f s; RSS %d MiB before, %d MiB after load (process peak so far %d MiB)%n",
                    loadSeconds, rssBefore, rssLoaded, peakLoading);
            double avgChars = chunks.stream().mapToInt(String::length).average().orElse(0);
            double avgTokens = chunks.stream().mapToInt(embedder::countTokens).average().orElse(0);
            out.printf("input            %d chunks, %.0f chars and %.0f tokens on average%n", chunks.size(), avgChars, avgTokens);
            vectors.put(p, embedder.embed(chunks)); // also the warm-up
            // a call of up to one batch runs on one lane; a larger call (as an ingest makes) fills every lane
            out.printf("%10s %12s %12s %10s%n", "per call", "chunks/s", "GFLOP/s", "of roof");
            for (int batch : o.batchSizes()) {
                results.add(measure(embedder, chunks, batch, o.repeats(), roofs.get(p)));
            }
            if (o.soakChunks() > 0 && i == precisions.size() - 1) {
                soak(embedder, o);
            }
            embedder.close();
        }
        if (vectors.size() == 2) {
            List<float[]> a = vectors.get(precisions.get(0));
            List<float[]> b = vectors.get(precisions.get(1));
            double min = 1;
            for (int i = 0; i < a.size(); i++) {
                min = Math.min(min, cosine(a.get(i), b.get(i)));
            }
            out.printf("%nmin cosine       %s against %s over %d chunks: %.6f%n", precisions.get(1).label(),
                    precisions.get(0).label(), a.size(), min);
        }
        return results;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private BatchResult measure(Embedder embedder, List<String> chunks, int batch, int repeats, double roof) {
        List<List<String>> groups = partition(chunks, batch);
        double flops = 0;
        boolean known = true;
        for (List<String> g : groups) {
            OptionalDouble f = embedder.forwardFlops(g);
            known &= f.isPresent();
            flops += f.orElse(0);
        }
        double[] seconds = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long s = System.nanoTime();
            for (List<String> g : groups) {
                embedder.embed(g);
            }
            seconds[r] = (System.nanoTime() - s) / 1e9;
        }
        double sec = median(seconds);
        double gflops = known ? flops / sec / 1e9 : Double.NaN;
        BatchResult br = new BatchResult(batch, chunks.size() / sec, gflops, gflops / roof);
        out.printf("%10d %12.1f %12.1f %9.0f%%%n", batch, br.chunksPerSecond(), br.gflops(), 100 * br.roofFraction());
        return br;
    }

    /** Embeds many chunks in a row and samples RSS: native memory must stay flat. */
    private void soak(Embedder embedder, Options o) {
        int batch = o.batchSizes().stream().max(Integer::compare).orElse(32);
        int every = Math.max(1, o.soakChunks() / 10);
        out.printf("memory soak      %d chunks in batches of %d, RSS sampled every %d chunks%n", o.soakChunks(), batch, every);
        List<String> pool = SyntheticChunks.generate(Math.min(o.soakChunks(), 2000), o.chunkChars(), 7);
        List<Long> samples = new ArrayList<>();
        long start = System.nanoTime();
        int done = 0;
        int nextSample = every;
        while (done < o.soakChunks()) {
            int n = Math.min(batch, o.soakChunks() - done);
            List<String> texts = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                texts.add(pool.get((done + i) % pool.size()));
            }
            embedder.embed(texts);
            done += n;
            if (done >= nextSample) {
                samples.add(ProcessMemory.rssMiB());
                nextSample += every;
            }
        }
        double sec = (System.nanoTime() - start) / 1e9;
        out.printf("RSS MiB          %s%n", samples);
        out.printf("soak             %.1f chunks/s; RSS first %d, last %d, max %d MiB%n", o.soakChunks() / sec,
                samples.get(0), samples.get(samples.size() - 1), samples.stream().mapToLong(Long::longValue).max().orElse(-1));
    }

    private static List<List<String>> partition(List<String> all, int size) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += size) {
            out.add(all.subList(i, Math.min(all.size(), i + size)));
        }
        return out;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
