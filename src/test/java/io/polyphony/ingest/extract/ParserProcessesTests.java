package io.polyphony.ingest.extract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parsing in child JVMs, against real misbehaving parsers: Tika's {@code MockParser} (its test jar registers it for
 * {@code <mock>} XML documents) hangs without heeding interrupts, exhausts its heap or exits its JVM on demand. Each
 * such file fails with its reason, and the next file parses in a fresh child.
 */
class ParserProcessesTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(4);

    /** One child, so that every file after a casualty needs the replacement. */
    static ParserProcesses parsers;
    static TextExtractor extractor;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        ExtractionLimits limits = ExtractionLimits.defaults().withTimeout(TIMEOUT);
        parsers = new ParserProcesses(new ParserProcesses.Settings(1, 128L * 1024 * 1024, TIMEOUT, limits.maxChars(),
                Duration.ofMinutes(1)));
        extractor = new TextExtractor(limits, parsers);
    }

    @AfterAll
    static void stop() {
        extractor.close();
        parsers.close();
    }

    private static Path mock(String name, String actions) throws IOException {
        return Files.writeString(dir.resolve(name), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mock>\n"
                + "<write element=\"p\">mock text before the trouble</write>\n" + actions + "\n</mock>\n", UTF_8);
    }

    /** A real document parses after each casualty: the child was replaced, and nothing in this JVM was hurt. */
    private static void stillParses() throws IOException {
        Extraction ok = extractor.extract(TestDocuments.docx(dir, "after-" + System.nanoTime() + ".docx", "Minutes", "budget review"));
        assertThat(ok.ok()).as("%s", ok.problem()).isTrue();
        assertThat(ok.text()).contains("budget review");
    }

    @Test
    void aMockDocumentParsesInTheChild() throws IOException {
        Extraction e = extractor.extract(mock("fine.xml", ""));
        assertThat(e.mediaType()).isEqualTo("application/mock+xml");
        assertThat(e.ok()).as("%s", e.problem()).isTrue();
        assertThat(e.text()).contains("mock text before the trouble");
    }

    @Test
    void aParserThatHangsAndIgnoresInterruptsIsKilledAtTheTimeLimit() throws IOException {
        long start = System.nanoTime();
        Extraction e = extractor.extract(mock("hang.xml", "<hang millis=\"120000\" heavy=\"false\" interruptible=\"false\"/>"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(e.problem().reason()).isEqualTo(Reason.TIMEOUT);
        assertThat(e.problem().message()).isEqualTo("parsing took longer than 4 s; the parser process was stopped");
        // the child may have to start first (a few seconds on a busy machine); never the hang's 120 s
        assertThat(took).isLessThan(TIMEOUT.plusSeconds(20));
        stillParses();
    }

    @Test
    void aParserThatExhaustsItsHeapIsAParserCrash() throws IOException {
        Extraction e = extractor.extract(mock("oom.xml", "<oom/>"));
        assertThat(e.problem().reason()).isEqualTo(Reason.PARSER_CRASH);
        assertThat(e.problem().message()).contains("ran out of memory").contains("128 MiB");
        stillParses();
    }

    @Test
    void aParserThatExitsItsJvmIsAParserCrash() throws IOException {
        Extraction e = extractor.extract(mock("exit.xml", "<system_exit/>"));
        assertThat(e.problem().reason()).isEqualTo(Reason.PARSER_CRASH);
        assertThat(e.problem().message()).isEqualTo("the parser process died while parsing this file");
        stillParses();
    }

    @Test
    void aPdfDecompressionBombExpandsInTheChildOnly() throws IOException {
        // a few hundred kilobytes that inflate to 512 MiB: the child's 128 MiB heap gives out, this JVM never holds it
        Path bomb = TestDocuments.pdfBomb(dir, "bomb.pdf", 512L * 1024 * 1024);
        assertThat(Files.size(bomb)).isLessThan(2L * 1024 * 1024);
        Runtime rt = Runtime.getRuntime();
        Extraction e = extractor.extract(bomb);
        assertThat(e.problem().reason()).as("%s", e.problem()).isEqualTo(Reason.PARSER_CRASH);
        assertThat(e.problem().message()).contains("ran out of memory");
        assertThat(rt.maxMemory()).isGreaterThan(512L * 1024 * 1024); // in-process, this heap could have been filled
        stillParses();
    }

    @Test
    void aParserExceptionIsUnparseableWithItsCause() {
        Problem p = ParserProcesses.failure("org.apache.tika.exception.TikaException: TIKA-198: Illegal IOException\n"
                + "\tat org.apache.tika.parser.CompositeParser.parse(CompositeParser.java:304)\n"
                + "Caused by: java.io.EOFException: Unexpected end of ZLIB input stream\n\tat x.y(Z.java:1)\n", 100);
        assertThat(p.reason()).isEqualTo(Reason.UNPARSEABLE);
        assertThat(p.message()).isEqualTo("cannot parse: EOFException: Unexpected end of ZLIB input stream");
        assertThat(ParserProcesses.failure("org.apache.tika.exception.EncryptedDocumentException: x", 100).reason())
                .isEqualTo(Reason.ENCRYPTED);
        assertThat(ParserProcesses.failure("org.apache.tika.exception.WriteLimitReachedException: y", 100).message())
                .isEqualTo("more than 100 characters of text");
    }
}
