package io.polyphony.ingest.cli;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.extract.Extraction;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.sample.ChunkSampler;
import io.polyphony.ingest.sample.CoverageReport;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** {@code bench-sample [files...]}: how well the sampler covers long documents, against stride and first-N. */
@Component
public class BenchSampleCommand implements Command {

    private final ObjectProvider<Embedder> embedder;
    private final ObjectProvider<TextExtractor> extractor;
    private final PolyphonyProperties props;

    public BenchSampleCommand(ObjectProvider<Embedder> embedder, ObjectProvider<TextExtractor> extractor, PolyphonyProperties props) {
        this.embedder = embedder;
        this.extractor = extractor;
        this.props = props;
    }

    @Override
    public String name() {
        return "bench-sample";
    }

    @Override
    public String usage() {
        return "[files...]: sampling coverage report (default: sample-docs' handbook and two generated documents)";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        Embedder model = embedder.getObject();
        var ingest = props.ingest();
        TextChunker chunker = TextChunker.forModel(ingest.chunking(), model);
        CoverageReport report = new CoverageReport(model, new ChunkSampler(ingest.maxChunksPerFile(), 10));
        List<String[]> docs = new ArrayList<>();
        List<String> files = args.isEmpty() ? List.of("sample-docs/employee-handbook.md") : args;
        for (String f : files) {
            Extraction e = extractor.getObject().extract(Path.of(f));
            if (!e.ok()) {
                err.println(f + ": " + e.problem());
                continue;
            }
            docs.add(new String[] {Path.of(f).getFileName().toString(), e.text()});
        }
        if (args.isEmpty()) {
            docs.addAll(CoverageReport.generatedDocuments());
        }
        List<CoverageReport.Row> rows = new ArrayList<>();
        for (String[] d : docs) {
            List<String> chunks = chunker.chunk(d[1]);
            if (chunks.size() <= ingest.maxChunksPerFile()) {
                err.println(d[0] + ": only " + chunks.size() + " chunks, nothing to sample");
                continue;
            }
            err.println(d[0] + ": embedding " + chunks.size() + " chunks");
            rows.add(report.measure(d[0], chunks));
        }
        out.println("mean over all chunks of the best cosine to a kept chunk (higher covers the document better)");
        CoverageReport.print(rows, out);
        return 0;
    }
}
