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
    void aWarmedUpPoolParsesTheNextDocumentAndAPoolClosedWhileWarmingUpSaysNothing() throws IOException {
        ExtractionLimits limits = ExtractionLimits.defaults().withTimeout(TIMEOUT);
        ParserProcesses.Settings settings = new ParserProcesses.Settings(1, 128L * 1024 * 1024, TIMEOUT, limits.maxChars(),
                Duration.ofMinutes(1));
        try (ParserProcesses warm = new ParserProcesses(settings); TextExtractor ex = new TextExtractor(limits, warm)) {
            warm.warmUp();
            // waits for the warm-up's parse to hand the child over, then uses the same child
            Extraction e = ex.extract(TestDocuments.docx(dir, "warm.docx", "Minutes", "warm child parses"));
            assertThat(e.ok()).as("%s", e.problem()).isTrue();
            assertThat(e.text()).contains("warm child parses");
        }
        ParserProcesses closing = new ParserProcesses(settings);
        closing.warmUp();
        closing.close(); // the warm-up's parse fails quietly; nothing is left running
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

    @Test
    void anXfaFormWithExternalEntitiesReadsNoFileAndCallsNoServer() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "SECRET-XXE-MARKER-4711");
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (java.net.Socket ignored = listener.accept()) {
                        calls.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Path pdf = TestDocuments.xfaPdf(dir, "form.pdf", "<!DOCTYPE xdp [<!ENTITY secret SYSTEM \"" + secret.toUri()
                    + "\"><!ENTITY net SYSTEM \"http://127.0.0.1:" + listener.getLocalPort() + "/xxe\">]>",
                    "Budget form &secret; &net;");
            // the control: the same form without entities is read, XFA included
            Extraction plain = extractor.extract(TestDocuments.xfaPdf(dir, "plain-form.pdf", "", "Budget form"));
            assertThat(plain.ok()).as("%s", plain.problem()).isTrue();
            assertThat(plain.text()).contains("budget review field value");
            Extraction e = extractor.extract(pdf);
            assertThat(e.ok() ? e.text() : e.problem().message()).doesNotContain("SECRET-XXE-MARKER-4711");
            Thread.sleep(200);
            assertThat(calls.get()).as("connections to the entity's server").isZero();
        }
    }

    @Test
    void aPdfBombInsideAnOle2WorkbookExpandsInTheChildOnly() throws IOException {
        Path bomb = TestDocuments.pdfBomb(dir, "inner.pdf", 512L * 1024 * 1024);
        Path xls = TestDocuments.xlsWithEmbedded(dir, "numbers.xls", "Quarterly numbers", Files.readAllBytes(bomb), "inner.pdf");
        assertThat(Files.size(xls)).isLessThan(3L * 1024 * 1024);
        Extraction e = extractor.extract(xls);
        assertThat(e.problem()).as("the embedded PDF is parsed too").isNotNull();
        assertThat(e.problem().reason()).isEqualTo(Reason.PARSER_CRASH);
        stillParses();
    }

    @Test
    void anRtfOf200000NestedGroupsEndsWithAReasonOrText() throws IOException {
        Path rtf = Files.writeString(dir.resolve("deep.rtf"), "{\\rtf1\\ansi " + "{".repeat(200_000) + "budget review"
                + "}".repeat(200_000) + "}", UTF_8);
        Extraction e = extractor.extract(rtf);
        // whatever the RTF parser makes of it, it ends (text, or a reason) and the next file parses
        assertThat(e.ok() ? e.text() : e.problem().reason().code()).isNotBlank();
        stillParses();
    }

    @Test
    void archivesNested20DeepAreRefusedUnread() throws IOException {
        byte[] inner = "budget review".getBytes(UTF_8);
        String name = "note.txt";
        for (int depth = 0; depth < 20; depth++) {
            java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
            try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
                z.putNextEntry(new java.util.zip.ZipEntry(name));
                z.write(inner);
                z.closeEntry();
            }
            inner = zip.toByteArray();
            name = "level" + depth + ".zip";
        }
        Extraction e = extractor.extract(Files.write(dir.resolve("nested.zip"), inner));
        assertThat(e.problem().reason()).isEqualTo(Reason.UNSUPPORTED);
        assertThat(e.problem().message()).isEqualTo("unsupported file type application/zip");
    }
}
