package io.polyphony.ingest.cli;

import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.extract.bench.ParseBenchmark;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** {@code bench-parse [--rounds N] [files...]}: the cost of parsing in child processes (files/s, RSS). */
@Component
public class BenchParseCommand implements Command {

    private final ObjectProvider<TextExtractor> extractor;

    public BenchParseCommand(ObjectProvider<TextExtractor> extractor) {
        this.extractor = extractor;
    }

    @Override
    public String name() {
        return "bench-parse";
    }

    @Override
    public String usage() {
        return "[--rounds N] [files...]: files/s and RSS of parsing in child processes against in-process"
                + " (default: sample-docs, and a 10 MiB text)";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of("--rounds"), List.of());
        List<Path> files;
        if (a.positional().isEmpty()) {
            try (Stream<Path> s = Files.list(Path.of("sample-docs"))) {
                files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("README.md"))
                        .sorted().toList();
            }
        } else {
            files = a.positional().stream().map(Path::of).toList();
        }
        Path scratch = Files.createTempDirectory("bench-parse-");
        try {
            new ParseBenchmark(extractor.getObject(), a.intValue("--rounds", 5), out).run(files, scratch);
        } finally {
            try (Stream<Path> s = Files.list(scratch)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(scratch);
        }
        return 0;
    }
}
