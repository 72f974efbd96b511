package io.polyphony.ingest.cli;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.embed.ModelLoader;
import io.polyphony.ingest.embed.Precision;
import io.polyphony.ingest.embed.bench.EmbeddingBenchmark;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.springframework.stereotype.Component;

/** {@code bench-embed}: model throughput against the engine's GEMM roofline, and memory over a long run. */
@Component
public class BenchEmbedCommand implements Command {

    private final ModelLoader loader;
    private final PolyphonyProperties props;

    public BenchEmbedCommand(ModelLoader loader, PolyphonyProperties props) {
        this.loader = loader;
        this.props = props;
    }

    @Override
    public String name() {
        return "bench-embed";
    }

    @Override
    public String usage() {
        return "[--precisions fp32,bf16] [--batch-sizes 1,4,8,16,32,256] [--chunks 256] [--repeats 3] [--soak 10000] [--chars 500]:"
                + " model benchmark per precision";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        CliArgs a = CliArgs.parse(args, List.of("--precisions", "--batch-sizes", "--chunks", "--repeats", "--soak", "--chars"),
                List.of());
        List<Precision> precisions = Arrays.stream(a.value("--precisions", "fp32,bf16").split(",")).map(String::trim)
                .map(Precision::parse).toList();
        var options = new EmbeddingBenchmark.Options(
                Arrays.stream(a.value("--batch-sizes", "1,4,8,16,32,256").split(",")).map(String::trim).map(Integer::valueOf).toList(),
                a.intValue("--chunks", 256), a.intValue("--repeats", 3), a.intValue("--soak", 10_000), a.intValue("--chars", 500),
                loader.lanes(), props.embedding().batchSize());
        new EmbeddingBenchmark(out).run(p -> loader.withPrecision(p).load(props.embedding().model()), precisions, options);
        return 0;
    }
}
