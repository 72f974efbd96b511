package io.polyphony.ingest.cli;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.bench.ProcessMemory;
import io.polyphony.ingest.embed.bench.SyntheticChunks;
import io.polyphony.ingest.extract.Extraction;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.job.FileResult;
import io.polyphony.ingest.job.RunHistory;
import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.job.RunRecord;
import io.polyphony.ingest.sample.ChunkSampler;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * {@code bench-ingest}: end-to-end throughput of the ingest job against model-only throughput on the same
 * chunks, measured in one process, on sample-docs and on a generated corpus; then the process's RSS while
 * ingesting a 10 MiB file. Writes into rooms named {@code bench-...} of the configured Redis.
 */
@Component
public class BenchIngestCommand implements Command {

    private final ObjectProvider<Embedder> embedder;
    private final ObjectProvider<TextExtractor> extractor;
    private final RunLauncher runs;
    private final RunHistory history;
    private final PolyphonyProperties props;

    public BenchIngestCommand(ObjectProvider<Embedder> embedder, ObjectProvider<TextExtractor> extractor, RunLauncher runs,
                              RunHistory history, PolyphonyProperties props) {
        this.embedder = embedder;
        this.extractor = extractor;
        this.runs = runs;
        this.history = history;
        this.props = props;
    }

    @Override
    public String name() {
        return "bench-ingest";
    }

    @Override
    public String usage() {
        return "[--files 120] [--sample-docs sample-docs]: end-to-end ingest vs model-only throughput, RSS on a 10 MiB file";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of("--files", "--sample-docs"), List.of());
        Embedder model = embedder.getObject();
        // warm-up: libtorch's first forward passes compile and profile the module; neither pass below should pay it
        model.embed(SyntheticChunks.generate(96, 500, 1));
        out.printf("model            %s at %s%n", model.info().name(), io.polyphony.ingest.embed.Precision.cpuModel());
        Path work = Files.createTempDirectory("polyphony-bench");
        long stamp = System.currentTimeMillis() % 1_000_000;
        out.printf("%-22s %6s %8s %12s %12s %10s %8s%n", "corpus", "files", "chunks", "model ch/s", "e2e ch/s", "e2e/model", "files/s");
        Path sd = Path.of(a.value("--sample-docs", "sample-docs"));
        if (Files.isDirectory(sd)) {
            compare("sample-docs", sd, "bench-sd-" + stamp, model, out);
        }
        Path generated = generateCorpus(work.resolve("generated"), a.intValue("--files", 120), "bench-gen-" + stamp);
        compare("generated", generated, null, model, out);

        Path big = work.resolve("big").resolve("ten-mib.txt");
        Files.createDirectories(big.getParent());
        StringBuilder sb = new StringBuilder();
        List<String> chunks = SyntheticChunks.generate(400, 500, 99);
        for (int i = 0; sb.length() < 10 * 1024 * 1024 - 1000; i++) {
            sb.append("Section ").append(i).append(". ").append(chunks.get(i % chunks.size())).append("\n\n");
        }
        Files.writeString(big, sb);
        long before = ProcessMemory.rssMiB();
        long t0 = System.nanoTime();
        RunRecord e = runs.run(big, "bench-big-" + stamp);
        FileResult r = history.results(e.execution()).get(0);
        out.printf(Locale.ROOT, "%n10 MiB text file: %s, %s in %.1f s; RSS %d MiB before, %d MiB after, process peak %d MiB%n",
                r.outcome(), r.message(), (System.nanoTime() - t0) / 1e9, before, ProcessMemory.rssMiB(), ProcessMemory.peakRssMiB());
        return 0;
    }

    private void compare(String label, Path dir, String room, Embedder model, PrintStream out) throws Exception {
        var ingest = props.ingest();
        TextChunker chunker = TextChunker.forModel(ingest.chunking(), model);
        ChunkSampler sampler = new ChunkSampler(ingest.maxChunksPerFile(), 10);
        List<List<String>> perFile = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
        }
        for (Path f : files) {
            Extraction e = extractor.getObject().extract(f);
            if (e.ok()) {
                List<String> c = chunker.chunk(e.text());
                perFile.add(sampler.select(c).apply(c));
            }
        }
        // model only: the same chunks, in the same groups of files the job embeds together
        long t0 = System.nanoTime();
        int chunks = 0;
        for (int i = 0; i < perFile.size(); i += ingest.filesPerChunk()) {
            List<String> group = new ArrayList<>();
            perFile.subList(i, Math.min(perFile.size(), i + ingest.filesPerChunk())).forEach(group::addAll);
            model.embed(group);
            chunks += group.size();
        }
        double modelSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        RunRecord e = runs.run(dir, room);
        double e2eSeconds = (System.nanoTime() - t0) / 1e9;
        long written = history.results(e.execution()).stream().filter(r -> r.outcome() == Outcome.INGESTED || r.outcome() == Outcome.SAMPLED)
                .mapToLong(FileResult::chunks).sum();
        double modelRate = chunks / modelSeconds;
        double e2eRate = written / e2eSeconds;
        out.printf(Locale.ROOT, "%-22s %6d %8d %12.1f %12.1f %9.0f%% %8.2f%n", label, files.size(), written, modelRate, e2eRate,
                100 * e2eRate / modelRate, files.size() / e2eSeconds);
    }

    /**
     * Files of 2 to 30 chunks in several formats, as text the chunker and sampler see in real uploads, in
     * room folders of about 30 files each, so no room reaches its 1,000-chunk budget.
     */
    static Path generateCorpus(Path dir, int count, String roomPrefix) throws IOException {
        int rooms = Math.max(1, (count + 29) / 30);
        Random r = new Random(5);
        List<String> pool = SyntheticChunks.generate(2000, 480, 21);
        for (int i = 0; i < count; i++) {
            int n = 2 + r.nextInt(29);
            StringBuilder sb = new StringBuilder("Document " + i + "\n\n");
            for (int c = 0; c < n; c++) {
                sb.append(pool.get(r.nextInt(pool.size()))).append("\n\n");
            }
            String name = String.format("doc-%03d", i);
            Path room = Files.createDirectories(dir.resolve(roomPrefix + "-" + (i % rooms)));
            switch (i % 3) {
                case 0 -> Files.writeString(room.resolve(name + ".md"), sb);
                case 1 -> Files.writeString(room.resolve(name + ".txt"), sb);
                default -> Files.writeString(room.resolve(name + ".html"), "<html><body><p>"
                        + sb.toString().replace("\n\n", "</p><p>") + "</p></body></html>");
            }
        }
        return dir;
    }
}
