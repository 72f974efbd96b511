package io.polyphony.ingest.embed.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.polyphony.ingest.embed.Embedder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Supplier;

/**
 * Throughput and memory of an {@link Embedder}, with a plain fp32 GEMM on the same engine as the roofline.
 * Everything is measured in one run so the ratios hold on a shared, noisy machine; each figure is the
 * median of {@code repeats} timings.
 */
public final class EmbeddingBenchmark {

    public record Options(List<Integer> batchSizes, int chunks, int repeats, int soakChunks, int chunkChars) {
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
            double flops = 2.0 * m * k * n;
            int inner = Math.max(1, (int) (2e10 / flops)); // about 20 GFLOP per timing
            a.matMul(b).close(); // warm-up
            double[] gflops = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    a.matMul(b).close(); // PyTorch CPU ops are synchronous: the product is done here
                }
                gflops[r] = flops * inner / (System.nanoTime() - t0);
            }
            return median(gflops);
        }
    }

    public List<BatchResult> run(Supplier<Embedder> loader, Options o) {
        out.printf("threads          PyTorch intra-op %s, inter-op %s, %d cores%n",
                System.getProperty("ai.djl.pytorch.num_threads"), System.getProperty("ai.djl.pytorch.num_interop_threads"),
                Runtime.getRuntime().availableProcessors());
        // the roofline is the best of several square fp32 GEMMs, so no lucky or unlucky shape flatters us
        double roof = 0;
        StringBuilder gemms = new StringBuilder();
        for (int n : new int[] {1024, 2048, 3072}) {
            double g = gemmGflops(n, n, n, o.repeats());
            roof = Math.max(roof, g);
            gemms.append(String.format(" %d^3: %.1f", n, g));
        }
        out.printf("roofline         fp32 GEMM %.1f GFLOP/s (best of%s; model-shaped 4096x384x1536: %.1f)%n", roof, gemms,
                gemmGflops(4096, 384, 1536, o.repeats()));

        List<String> chunks = SyntheticChunks.generate(o.chunks(), o.chunkChars(), 42);
        List<BatchResult> results = new ArrayList<>();
        long rssBefore = ProcessMemory.settledRssMiB();
        long t0 = System.nanoTime();
        Embedder embedder = loader.get();
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        long peakLoading = ProcessMemory.peakRssMiB();
        long rssLoaded = ProcessMemory.settledRssMiB();
        out.printf("%nmodel            %s (%d dims, max %d tokens)%n", embedder.info().name(),
                embedder.info().dimensions(), embedder.info().maxTokens());
        out.printf("model load       %.2f s; RSS %d MiB before, %d MiB after load (process peak so far %d MiB)%n",
                loadSeconds, rssBefore, rssLoaded, peakLoading);
        double avgChars = chunks.stream().mapToInt(String::length).average().orElse(0);
        double avgTokens = chunks.stream().mapToInt(embedder::countTokens).average().orElse(0);
        out.printf("input            %d chunks, %.0f chars and %.0f tokens on average%n", chunks.size(), avgChars, avgTokens);
        embedder.embed(chunks); // warm-up
        out.printf("%10s %12s %12s %10s%n", "batch", "chunks/s", "GFLOP/s", "of roof");
        for (int batch : o.batchSizes()) {
            results.add(measure(embedder, chunks, batch, o.repeats(), roof));
        }
        if (o.soakChunks() > 0) {
            soak(embedder, o);
        }
        embedder.close();
        return results;
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
