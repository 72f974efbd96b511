package io.polyphony.ingest.extract;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_16;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Reason;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextExtractorTests {

    static final String PHRASE = "Größe café naïve — budget review";
    static final TextExtractor extractor = new TextExtractor(ExtractionLimits.defaults());

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        extractor.close();
    }

    private Extraction extract(Path file) {
        return extractor.extract(file);
    }

    @Nested
    class Formats {

        @Test
        void utf8TextThatStartsWithPlainAsciiKeepsItsAccents() throws IOException {
            String text = "Meeting notes for the whole team, written in plain ASCII for a long while before "
                    .repeat(20) + PHRASE;
            Extraction e = extract(TestDocuments.text(dir, "notes.txt", text, UTF_8));
            assertThat(e.ok()).as("%s", e.problem()).isTrue();
            assertThat(e.text()).endsWith(PHRASE);
            assertThat(e.mediaType()).isEqualTo("text/plain");
        }

        @Test
        void latin1AndUtf16AreDecodedToo() throws IOException {
            String latin = "Protokoll der Sitzung: Größe der Räume, Maßnahmen und Änderungen für das Büro in Köln.";
            assertThat(extract(TestDocuments.text(dir, "latin1.txt", latin, ISO_8859_1)).text()).isEqualTo(latin);
            assertThat(extract(TestDocuments.text(dir, "utf16.txt", PHRASE, UTF_16)).text()).isEqualTo(PHRASE);
        }

        @Test
        void markdownAndHtml() throws IOException {
            assertThat(extract(TestDocuments.text(dir, "spec.md", "# Spec\n\n" + PHRASE + "\n", UTF_8)).text()).contains(PHRASE);
            Extraction html = extract(TestDocuments.text(dir, "page.html",
                    "<html><head><meta charset=\"utf-8\"><title>T</title></head><body><h1>Spec</h1><p>" + PHRASE
                            + "</p><script>var hidden = 1;</script></body></html>", UTF_8));
            assertThat(html.text()).contains(PHRASE).doesNotContain("var hidden");
        }

        @Test
        void officeOpenXml() throws IOException {
            assertThat(extract(TestDocuments.docx(dir, "minutes.docx", "Minutes", PHRASE)).text()).contains(PHRASE);
            assertThat(extract(TestDocuments.pptx(dir, "deck.pptx", "Roadmap", PHRASE)).text()).contains(PHRASE);
            assertThat(extract(TestDocuments.xlsx(dir, "budget.xlsx", "Item", PHRASE)).text()).contains(PHRASE);
        }

        @Test
        void openDocumentAndEpub() throws IOException {
            assertThat(extract(TestDocuments.odt(dir, "notes.odt", PHRASE)).text()).contains(PHRASE);
            assertThat(extract(TestDocuments.epub(dir, "book.epub", PHRASE)).text()).contains(PHRASE);
        }

        @Test
        void pdfRtfAndEmail() throws IOException {
            assertThat(extract(TestDocuments.pdf(dir, "report.pdf", null, "Quarterly report", "budget review")).text())
                    .contains("Quarterly report").contains("budget review");
            String rtf = "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\f0 Gr\\'f6\\'dfe caf\\'e9 budget review\\par}";
            assertThat(extract(TestDocuments.text(dir, "memo.rtf", rtf, ISO_8859_1)).text()).contains("Größe café budget review");
            String eml = "From: alice@example.com\r\nTo: team@example.com\r\nSubject: Budget\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + PHRASE + "\r\n";
            assertThat(extract(TestDocuments.text(dir, "mail.eml", eml, UTF_8)).text()).contains(PHRASE);
        }

        @Test
        void theResultCarriesTheContentHashAndSize() throws IOException {
            Path f = TestDocuments.text(dir, "a.txt", "same content", UTF_8);
            Path g = TestDocuments.text(dir, "b.txt", "same content", UTF_8);
            assertThat(extract(f).sha256()).hasSize(64).isEqualTo(extract(g).sha256());
            assertThat(extract(f).bytes()).isEqualTo(12);
        }
    }

    @Nested
    class Refusals {

        @Test
        void overTenMibIsRejectedBeforeReading() throws IOException {
            Path f = dir.resolve("huge.txt");
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(13_002_342); // sparse: the guard must not need the content
            }
            Extraction e = extract(f);
            assertThat(e.problem().reason()).isEqualTo(Reason.TOO_LARGE);
            assertThat(e.problem().outcome()).isEqualTo(Outcome.REJECTED);
            assertThat(e.problem().message()).isEqualTo("12.4 MiB > 10 MiB limit");
        }

        @Test
        void exactlyTenMibIsAcceptedAndOneByteMoreIsNot() throws IOException {
            byte[] line = "Budget review notes for the quarter.\n".getBytes(UTF_8);
            byte[] content = new byte[(int) ExtractionLimits.TEN_MIB];
            for (int i = 0; i < content.length; i++) {
                content[i] = line[i % line.length];
            }
            Path exact = Files.write(dir.resolve("exact.txt"), content);
            assertThat(extract(exact).ok()).isTrue();
            Path over = Files.write(dir.resolve("over.txt"), java.util.Arrays.copyOf(content, content.length + 1));
            assertThat(extract(over).problem().message()).isEqualTo("10485761 bytes > 10485760 bytes limit");
        }

        @Test
        void emptyAndWhitespaceOnly() throws IOException {
            assertThat(extract(Files.write(dir.resolve("empty.txt"), new byte[0])).problem().reason()).isEqualTo(Reason.EMPTY);
            assertThat(extract(TestDocuments.text(dir, "blank.txt", " \n\t \r\n ", UTF_8)).problem().reason()).isEqualTo(Reason.EMPTY);
        }

        @Test
        void anExecutableRenamedTxtIsUnsupportedNotEmpty() throws IOException {
            Extraction e = extract(TestDocuments.executable(dir, "readme.txt"));
            assertThat(e.problem().reason()).isEqualTo(Reason.UNSUPPORTED);
            assertThat(e.problem().message()).contains("unsupported file type application/x-");
        }

        @Test
        void binaryNoiseNamedTxtIsUnsupported() throws IOException {
            byte[] noise = new byte[2048];
            new java.util.Random(5).nextBytes(noise);
            assertThat(extract(Files.write(dir.resolve("noise.txt"), noise)).problem().reason()).isEqualTo(Reason.UNSUPPORTED);
        }

        @Test
        void imagesAndTextlessPdfsHaveNoText() throws IOException {
            assertThat(extract(TestDocuments.png(dir, "scan.png")).problem().reason()).isEqualTo(Reason.NO_TEXT);
            Extraction pdf = extract(TestDocuments.pdfWithoutText(dir, "scan.pdf"));
            assertThat(pdf.problem().reason()).isEqualTo(Reason.NO_TEXT);
            assertThat(pdf.problem().message()).contains("scanned or image-only");
        }

        @Test
        void encryptedPdfDocxAndOdtAreAllEncrypted() throws Exception {
            assertThat(extract(TestDocuments.pdf(dir, "locked.pdf", "secret", "hidden text")).problem().reason())
                    .isEqualTo(Reason.ENCRYPTED);
            Extraction docx = extract(TestDocuments.encryptedDocx(dir, "locked.docx", "secret"));
            assertThat(docx.problem().reason()).isEqualTo(Reason.ENCRYPTED);
            assertThat(docx.problem().outcome()).isEqualTo(Outcome.FAILED);
            Extraction odt = extract(TestDocuments.encryptedOdt(dir, "locked.odt"));
            assertThat(odt.problem().reason()).isEqualTo(Reason.ENCRYPTED);
            assertThat(odt.problem().message()).contains("password-protected OpenDocument");
        }

        @Test
        void corruptFilesAreUnparseable() throws IOException {
            Path pdf = TestDocuments.pdf(dir, "good.pdf", null, "text");
            byte[] b = Files.readAllBytes(pdf);
            Path truncated = Files.write(dir.resolve("truncated.pdf"), java.util.Arrays.copyOf(b, 40));
            assertThat(extract(truncated).problem().reason()).isEqualTo(Reason.UNPARSEABLE);
            Path docx = TestDocuments.docx(dir, "good.docx", "text");
            byte[] d = Files.readAllBytes(docx);
            Path broken = Files.write(dir.resolve("broken.docx"), java.util.Arrays.copyOf(d, d.length / 2));
            assertThat(extract(broken).problem().outcome()).isEqualTo(Outcome.FAILED);
        }

        @Test
        void aZipBombIsRefusedBeforeParsing() throws IOException {
            Path bomb = TestDocuments.zipBombDocx(dir, "bomb.docx", 320L << 20);
            assertThat(Files.size(bomb)).isLessThan(ExtractionLimits.TEN_MIB);
            Extraction e = extract(bomb);
            assertThat(e.problem().reason()).isEqualTo(Reason.TOO_MUCH_TEXT);
            assertThat(e.problem().message()).contains("unpacks to more than 256 MiB").contains("zip bomb");
        }

        @Test
        void aParseThatTakesTooLongTimesOut() throws IOException {
            String[] lines = new String[40];
            java.util.Arrays.fill(lines, "A line of a long report that takes a while to lay out and parse.");
            Path pdf = TestDocuments.pdf(dir, "slow.pdf", null, lines);
            try (TextExtractor impatient = new TextExtractor(ExtractionLimits.defaults().withTimeout(Duration.ofNanos(1)))) {
                Extraction e = impatient.extract(pdf);
                assertThat(e.problem().reason()).isEqualTo(Reason.TIMEOUT);
                assertThat(e.problem().message()).startsWith("parsing took longer than");
            }
        }

        @Test
        void tooMuchTextFailsWithItsReason() throws IOException {
            try (TextExtractor small = new TextExtractor(new ExtractionLimits(ExtractionLimits.TEN_MIB, 100,
                    Duration.ofSeconds(30), 256L << 20, 10_000))) {
                assertThat(small.extract(TestDocuments.docx(dir, "long.docx", "word ".repeat(100))).problem().reason())
                        .isEqualTo(Reason.TOO_MUCH_TEXT);
                assertThat(small.extract(TestDocuments.text(dir, "long.txt", "word ".repeat(100), UTF_8)).problem().message())
                        .isEqualTo("more than 100 characters of text");
            }
        }
    }
}
