package io.polyphony.ingest.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassArchiveTests {

    @TempDir
    Path dir;

    /** Writers 100 and 200 are alive; every other process id is gone. */
    private ClassArchive archive() {
        return new ClassArchive(dir.resolve("cds"), "ingest-abc", pid -> Set.of(100L, 200L).contains(pid));
    }

    private Path part(long pid, boolean whole) throws Exception {
        Files.createDirectories(dir.resolve("cds"));
        byte[] bytes = new byte[4096];
        if (whole) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(ClassArchive.DYNAMIC_MAGIC);
        }
        return Files.write(dir.resolve("cds").resolve("ingest-abc." + pid + ".part"), bytes);
    }

    @Test
    void withoutAnArchiveTheProcessWritesItsOwnPartAtExit() throws Exception {
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:ArchiveClassesAtExit=" + dir.resolve("cds/ingest-abc.42.part"));
        assertThat(dir.resolve("cds")).isDirectory();
    }

    @Test
    void aWholePartOfAWriterThatIsGoneBecomesTheArchive() throws Exception {
        part(7, true);
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:SharedArchiveFile=" + dir.resolve("cds/ingest-abc.jsa"));
        assertThat(dir.resolve("cds/ingest-abc.7.part")).doesNotExist();
        assertThat(ClassArchive.whole(dir.resolve("cds/ingest-abc.jsa"))).isTrue();
    }

    @Test
    void aPartWithoutItsHeaderWasCutShortAndIsDeleted() throws Exception {
        part(7, false); // killed while writing: the JVM writes the header last
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:ArchiveClassesAtExit=" + dir.resolve("cds/ingest-abc.42.part"));
        assertThat(dir.resolve("cds/ingest-abc.7.part")).doesNotExist();
        assertThat(dir.resolve("cds/ingest-abc.jsa")).doesNotExist();
    }

    @Test
    void whileAnotherProcessWritesItNobodyElseStartsWriting() throws Exception {
        part(100, false);
        assertThat(archive().jvmOptions(42)).isEmpty();
        assertThat(dir.resolve("cds/ingest-abc.100.part")).exists(); // left to its writer
    }

    @Test
    void anArchiveIsReadWhateverPartsAreStillBeingWritten() throws Exception {
        part(7, true);
        part(200, false);
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:SharedArchiveFile=" + dir.resolve("cds/ingest-abc.jsa"));
        assertThat(dir.resolve("cds/ingest-abc.200.part")).exists();
    }

    @Test
    void partsWrittenBesideAnArchiveAreDeletedOnceTheirWritersAreGone() throws Exception {
        part(7, true);
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:SharedArchiveFile=" + dir.resolve("cds/ingest-abc.jsa"));
        byte[] promoted = Files.readAllBytes(dir.resolve("cds/ingest-abc.jsa"));
        Path second = part(8, true); // two processes started together: each wrote one
        Files.write(second, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        assertThat(archive().jvmOptions(42)).containsExactly("-XX:SharedArchiveFile=" + dir.resolve("cds/ingest-abc.jsa"));
        assertThat(second).doesNotExist();
        assertThat(Files.readAllBytes(dir.resolve("cds/ingest-abc.jsa"))).isEqualTo(promoted); // not replaced
    }

    @Test
    void archivesOfOtherNamesAreNotTouched() throws Exception {
        Files.createDirectories(dir.resolve("cds"));
        Path other = Files.write(dir.resolve("cds/parser-abc.7.part"), new byte[16]);
        assertThat(archive().jvmOptions(42)).hasSize(1).first().asString().startsWith("-XX:ArchiveClassesAtExit=");
        assertThat(other).exists();
    }
}
