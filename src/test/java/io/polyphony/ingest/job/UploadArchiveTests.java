package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadArchiveTests {

    @TempDir
    Path root;

    @Test
    void strayPartsOfInterruptedUploadsGoButFilesStillBeingWrittenAndArchivedFilesStay() throws Exception {
        Path room = Files.createDirectories(root.resolve("r1"));
        Path oldIncoming = Files.writeString(room.resolve(".incoming-0b7c"), "half an upload");
        Path oldArchiving = Files.writeString(room.resolve(".notes.md.archiving"), "half a copy");
        Path fresh = Files.writeString(room.resolve(".incoming-9f21"), "another server is receiving this");
        Path kept = Files.writeString(room.resolve("notes.md"), "# Notes");
        FileTime hourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        for (Path p : new Path[] {oldIncoming, oldArchiving, kept}) {
            Files.setLastModifiedTime(p, hourAgo);
        }
        UploadArchive archive = new UploadArchive(root);
        assertThat(archive.removeStrays(Duration.ofMinutes(15))).isEqualTo(2);
        assertThat(oldIncoming).doesNotExist();
        assertThat(oldArchiving).doesNotExist();
        assertThat(fresh).exists();
        assertThat(kept).exists();
        assertThat(new UploadArchive(root.resolve("none")).removeStrays(Duration.ZERO)).isZero();
    }
}
