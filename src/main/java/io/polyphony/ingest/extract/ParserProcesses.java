package io.polyphony.ingest.extract;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.launch.ClassArchive;
import io.polyphony.ingest.launch.FastStart;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.tika.exception.TikaConfigException;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.microsoft.OfficeParserConfig;
import org.apache.tika.pipes.FetchEmitTuple;
import org.apache.tika.pipes.HandlerConfig;
import org.apache.tika.pipes.PipesConfig;
import org.apache.tika.pipes.PipesException;
import org.apache.tika.pipes.PipesParser;
import org.apache.tika.pipes.PipesResult;
import org.apache.tika.pipes.emitter.EmitKey;
import org.apache.tika.pipes.fetcher.FetchKey;
import org.apache.tika.sax.BasicContentHandlerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tika's parsers in pooled child JVMs ({@link PipesParser}), so that a hostile document's expansion, a parser that
 * spins past its time limit or one that kills its JVM costs a child process, never this one: each child has its own
 * heap limit, a parse over the time limit kills its child, and a dead child is replaced for the next file. The text
 * comes back over the child's pipe; a failure comes back as a {@link Problem} ({@code timeout}, {@code parser_crash},
 * {@code encrypted}, {@code too_much_text}, {@code unparseable}).
 *
 * <p>Children start on first use and leave after a while without work. In a Spring Boot jar they run the same jar
 * through its {@code PropertiesLauncher} with {@link ParserChild} as the main class; elsewhere (tests, an IDE) with
 * this JVM's class path.
 */
public final class ParserProcesses implements AutoCloseable {

    /**
     * @param processes child JVMs (at most this many files parse at once)
     * @param heapBytes each child's maximum heap ({@code -Xmx})
     * @param timeout   longest one file may take; the child is killed after it
     * @param maxChars  text beyond this fails the file as {@code too_much_text}
     * @param idle      a child without work for this long exits (started again on demand)
     */
    public record Settings(int processes, long heapBytes, Duration timeout, int maxChars, Duration idle) {
        public Settings {
            if (processes < 1) {
                throw new IllegalArgumentException("parser processes must be at least 1, not " + processes);
            }
            if (heapBytes < 64L * 1024 * 1024) {
                throw new IllegalArgumentException("a parser process needs at least 64 MiB of heap");
            }
        }

        public static Settings of(ExtractionLimits limits) {
            return new Settings(1, 384L * 1024 * 1024, limits.timeout(), limits.maxChars(), Duration.ofMinutes(5));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ParserProcesses.class);
    private static final String FETCHER = "file";

    private final Settings settings;
    private final Path configDir;
    private final PipesParser pipes;
    /** Where the children write their class archive when they exit (the first run after a fast start), else null. */
    private final String archiveWritten;
    private volatile boolean closed;

    public ParserProcesses(Settings settings) {
        this.settings = settings;
        try {
            configDir = Files.createTempDirectory("polyphony-tika-");
            Path config = configDir.resolve("tika-config.xml");
            Files.writeString(config, """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <properties>
                      <fetchers>
                        <fetcher class="org.apache.tika.pipes.fetcher.fs.FileSystemFetcher">
                          <name>%s</name>
                          <allowAbsolutePaths>true</allowAbsolutePaths>
                        </fetcher>
                      </fetchers>
                      <emitters></emitters>
                      <pipes><params><numClients>%d</numClients></params></pipes>
                    </properties>
                    """.formatted(FETCHER, settings.processes()), StandardCharsets.UTF_8);
            PipesConfig pipesConfig = PipesConfig.load(config);
            pipesConfig.setJavaPath(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> jvmArgs = childJvmArgs(settings);
            archiveWritten = jvmArgs.stream().filter(a -> a.startsWith(ClassArchive.WRITE_OPTION)).findFirst().orElse(null);
            pipesConfig.setForkedJvmArgs(jvmArgs);
            pipesConfig.setTimeoutMillis(settings.timeout().toMillis());
            pipesConfig.setShutdownClientAfterMillis(settings.idle().toMillis());
            pipesConfig.setMaxFilesProcessedPerProcess(1000);
            // every text comes back over the pipe (Tika would hand larger ones to an emitter)
            pipesConfig.setMaxForEmitBatchBytes(Long.MAX_VALUE);
            // callers beyond the pool wait their turn (the ingest workers bound them), never fail for it
            pipesConfig.setMaxWaitForClientMillis(Duration.ofHours(1).toMillis());
            pipes = new PipesParser(pipesConfig);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the parser processes", e);
        } catch (TikaConfigException e) {
            throw new IllegalStateException("cannot set up the parser processes: " + e.getMessage(), e);
        }
    }

    /**
     * Starts a parser process now, on another thread, by parsing a one-line document, so that the first real document
     * does not wait the seconds a JVM takes to start (a command that is about to ingest calls this while it starts).
     */
    public void warmUp() {
        Thread t = new Thread(() -> {
            Path file = null;
            try {
                file = Files.createTempFile(configDir, "warm-up-", ".html");
                Files.writeString(file, "<html><body><p>warm-up</p></body></html>", StandardCharsets.UTF_8);
                long t0 = System.nanoTime();
                Object r = parse(file, "warm-up.html");
                log.debug("parser process warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
                if (r instanceof Problem p && !closed) {
                    log.warn("the parser process did not start ahead of the first document: {}", p);
                }
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                log.warn("the parser process did not start ahead of the first document: {}", e.toString());
            } finally {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // a temporary file in a temporary folder
                    }
                }
            }
        }, "parser-warm-up");
        t.setDaemon(true);
        t.start();
    }

    public Settings settings() {
        return settings;
    }

    private static List<String> childJvmArgs(Settings s) {
        List<String> args = new ArrayList<>(List.of("-Xmx" + s.heapBytes() / 1024 / 1024 + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss4m", "-Dlogback.configurationFile=polyphony-parser-logback.xml",
                "-Dai.djl.offline=true"));
        FastStart.BootJar.path().ifPresent(jar -> args.addAll(List.of("-cp", jar.toString(), "-Dloader.main=" + ParserChild.class.getName(),
                "org.springframework.boot.loader.launch.PropertiesLauncher")));
        // after a fast start the children run the unpacked classes too, with an archive of theirs (Tika's parsers)
        args.addAll(FastStart.classArchiveOptions("parser", args));
        return args;
    }

    /** The text of the file, or why there is none; {@code name} is the file's name as uploaded (a type hint). */
    public Object parse(Path file, String name) {
        Metadata md = new Metadata();
        md.set(TikaCoreProperties.RESOURCE_NAME_KEY, name);
        ParseContext ctx = new ParseContext();
        ctx.set(HandlerConfig.class, new HandlerConfig(BasicContentHandlerFactory.HANDLER_TYPE.BODY,
                HandlerConfig.PARSE_MODE.CONCATENATE, settings.maxChars(), -1, true));
        OfficeParserConfig office = new OfficeParserConfig();
        // streaming (SAX) extractors: the DOM-based ones hold a whole document.xml in memory
        office.setUseSAXDocxExtractor(true);
        office.setUseSAXPptxExtractor(true);
        ctx.set(OfficeParserConfig.class, office);
        FetchEmitTuple t = new FetchEmitTuple(name, new FetchKey(FETCHER, file.toAbsolutePath().toString()),
                new EmitKey("", ""), md, ctx, FetchEmitTuple.ON_PARSE_EXCEPTION.EMIT);
        PipesResult r;
        try {
            r = pipes.parse(t);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Problem(Reason.INTERNAL, "interrupted while parsing");
        } catch (PipesException | IOException | RuntimeException e) {
            return new Problem(Reason.PARSER_CRASH, "the parser process could not be used: " + e.getMessage());
        }
        return outcome(r);
    }

    private Object outcome(PipesResult r) {
        return switch (r.getStatus()) {
            case PARSE_SUCCESS, PARSE_SUCCESS_WITH_EXCEPTION, PARSE_EXCEPTION_EMIT, EMIT_SUCCESS,
                 EMIT_SUCCESS_PARSE_EXCEPTION -> parsed(r);
            case EMPTY_OUTPUT -> "";
            case PARSE_EXCEPTION_NO_EMIT -> failure(r.getMessage(), settings.maxChars());
            case TIMEOUT -> new Problem(Reason.TIMEOUT, "parsing took longer than " + settings.timeout().toSeconds()
                    + " s; the parser process was stopped");
            case OOM -> new Problem(Reason.PARSER_CRASH, "the parser ran out of memory (its process has "
                    + settings.heapBytes() / 1024 / 1024 + " MiB of heap): the document expands too much");
            case UNSPECIFIED_CRASH -> new Problem(Reason.PARSER_CRASH, "the parser process died while parsing this file");
            case INTERRUPTED_EXCEPTION -> new Problem(Reason.INTERNAL, "interrupted while parsing");
            default -> new Problem(Reason.INTERNAL, "parser process: " + r.getStatus().name().toLowerCase(Locale.ROOT)
                    + (r.getMessage() == null ? "" : ": " + firstLine(r.getMessage())));
        };
    }

    private Object parsed(PipesResult r) {
        List<Metadata> list = r.getEmitData() == null ? List.of() : r.getEmitData().getMetadataList();
        if (list.isEmpty()) {
            return "";
        }
        Metadata md = list.get(0);
        String exception = md.get(TikaCoreProperties.CONTAINER_EXCEPTION);
        if (exception == null && r.getEmitData().getContainerStackTrace() != null
                && !r.getEmitData().getContainerStackTrace().isBlank()) {
            exception = r.getEmitData().getContainerStackTrace();
        }
        if (exception != null) {
            return failure(exception, settings.maxChars());
        }
        String text = md.get(TikaCoreProperties.TIKA_CONTENT);
        return text == null ? "" : text;
    }

    /** The child reports a parse's exception as its stack trace: the exception's class names are the contract. */
    static Problem failure(String stackTrace, int maxChars) {
        String trace = stackTrace == null ? "" : stackTrace;
        if (trace.contains("EncryptedDocumentException")) {
            return new Problem(Reason.ENCRYPTED, "encrypted or password-protected document");
        }
        if (trace.contains("WriteLimitReachedException")) {
            return TextExtractor.tooMuchText(maxChars);
        }
        return new Problem(Reason.UNPARSEABLE, "cannot parse: " + rootCause(trace));
    }

    /** The last "Caused by" of a stack trace (or its first line), without the package names. */
    private static String rootCause(String trace) {
        String line = firstLine(trace);
        int caused = trace.lastIndexOf("Caused by: ");
        if (caused >= 0) {
            line = firstLine(trace.substring(caused + "Caused by: ".length()));
        }
        int colon = line.indexOf(':');
        String type = colon < 0 ? line : line.substring(0, colon);
        String simple = type.substring(type.lastIndexOf('.') + 1);
        String rest = colon < 0 ? "" : line.substring(colon);
        String m = simple + rest;
        return m.length() > 240 ? m.substring(0, 240) + "…" : m;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    @Override
    public void close() {
        closed = true;
        if (archiveWritten != null) {
            // Tika ends its children with SIGKILL; a child that is to write its class archive gets the time to do it
            ProcessHandle.current().children().filter(c -> c.info().arguments().map(a -> List.of(a).contains(archiveWritten))
                    .orElse(false)).forEach(FastStart::endWritingArchive);
        }
        try {
            pipes.close();
        } catch (IOException e) {
            // the children are being killed anyway
        }
        try (var files = Files.list(configDir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(configDir);
        } catch (IOException e) {
            // a temp folder left behind
        }
    }
}
