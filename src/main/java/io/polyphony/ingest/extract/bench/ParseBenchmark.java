package io.polyphony.ingest.extract.bench;

import io.polyphony.ingest.embed.bench.ProcessMemory;
import io.polyphony.ingest.extract.Extraction;
import io.polyphony.ingest.extract.ExtractionLimits;
import io.polyphony.ingest.extract.TextExtractor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.sax.BodyContentHandler;

/**
 * What parsing in child processes costs: files/s and resident memory (this process and its parser processes) of
 * {@link TextExtractor} against Tika's parser called in this process, as it was before isolation, on the same files,
 * in one run.
 */
public final class ParseBenchmark {

    private final TextExtractor isolated;
    private final int rounds;
    private final PrintStream out;

    public ParseBenchmark(TextExtractor isolated, int rounds, PrintStream out) {
        this.isolated = isolated;
        this.rounds = rounds;
        this.out = out;
    }

    /** Two corpora: the given files, and a text of just under 10 MiB as .txt and as .html. */
    public void run(List<Path> files, Path scratch) throws IOException {
        Path txt = scratch.resolve("ten-mib.txt");
        Path html = scratch.resolve("ten-mib.html");
        String text = tenMibOfText(ExtractionLimits.TEN_MIB - 64 * 1024);
        Files.writeString(txt, text, StandardCharsets.UTF_8);
        String body = text.substring(0, (int) (text.length() * 0.9)); // room for the tags under the 10 MiB limit
        Files.writeString(html, "<html><body><p>" + body.replace("\n\n", "</p>\n<p>") + "</p></body></html>",
                StandardCharsets.UTF_8);
        out.printf(Locale.ROOT, "%-22s %-12s %9s %9s %10s %10s %10s%n", "corpus", "parsing", "files/s", "first s",
                "main MiB", "main +MiB", "child MiB");
        measure("sample-docs (" + files.size() + ")", files);
        measure("10 MiB .txt + .html", List.of(txt, html));
    }

    private void measure(String corpus, List<Path> files) {
        // isolated first: the in-process parser loads its classes into this heap for good
        row(corpus, "processes", files, true, f -> isolated.extract(f).ok());
        AutoDetectParser parser = new AutoDetectParser();
        row(corpus, "in-process", files, false, f -> inProcess(parser, f));
    }

    private interface Parse {
        boolean parse(Path file) throws Exception;
    }

    /** One row: median files/s over the rounds after the first, and peak RSS sampled every 20 ms. */
    private void row(String corpus, String mode, List<Path> files, boolean children, Parse parse) {
        long mainAtStart = ProcessMemory.rssMiB();
        AtomicLong mainPeak = new AtomicLong();
        AtomicLong childPeak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                mainPeak.accumulateAndGet(ProcessMemory.rssMiB(), Math::max);
                childPeak.accumulateAndGet(ProcessMemory.descendantsRssMiB(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        double first = 0;
        List<Double> rates = new ArrayList<>();
        int failed = 0;
        for (int r = 0; r <= rounds; r++) {
            long start = System.nanoTime();
            for (Path f : files) {
                try {
                    failed += parse.parse(f) ? 0 : 1;
                } catch (Exception e) {
                    failed++;
                }
            }
            double s = (System.nanoTime() - start) / 1e9;
            if (r == 0) {
                first = s; // includes starting the parser processes, or loading the parsers' classes
            } else {
                rates.add(files.size() / s);
            }
        }
        sampler.interrupt();
        Collections.sort(rates);
        out.printf(Locale.ROOT, "%-22s %-12s %9.1f %9.1f %10d %10d %10s%s%n", corpus, mode, rates.get(rates.size() / 2),
                first, mainPeak.get(), mainPeak.get() - mainAtStart, children ? Long.toString(childPeak.get()) : "-",
                failed == 0 ? "" : "  (" + failed + " not ok)");
    }

    private static boolean inProcess(AutoDetectParser parser, Path file) throws Exception {
        BodyContentHandler handler = new BodyContentHandler(ExtractionLimits.defaults().maxChars());
        Metadata md = new Metadata();
        md.set(TikaCoreProperties.RESOURCE_NAME_KEY, file.getFileName().toString());
        try (InputStream in = Files.newInputStream(file)) {
            parser.parse(in, handler, md, new ParseContext());
        }
        return !handler.toString().isBlank();
    }

    /** Meeting-like prose, paragraph after paragraph, up to about {@code bytes}. */
    static String tenMibOfText(long bytes) {
        StringBuilder sb = new StringBuilder();
        String[] topics = {"budget", "hiring", "roadmap", "security review", "office move", "customer feedback"};
        for (int i = 0; sb.length() < bytes; i++) {
            sb.append("Item ").append(i).append(": the team discussed the ").append(topics[i % topics.length])
                    .append(" and agreed on next steps, owners and a date for the follow-up meeting. ")
                    .append("Open questions were noted for the next session.\n\n");
        }
        return sb.substring(0, (int) bytes);
    }
}
