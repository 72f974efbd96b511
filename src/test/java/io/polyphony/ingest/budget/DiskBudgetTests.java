package io.polyphony.ingest.budget;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quotas and the floor, on real folders and the real file system's free space. */
class DiskBudgetTests {

    @TempDir
    Path uploads;

    private Path file(String room, String name, int bytes) throws IOException {
        Path dir = Files.createDirectories(uploads.resolve(room));
        return Files.write(dir.resolve(name), new byte[bytes]);
    }

    @Test
    void aRoomQuotaCountsTheRoomsFilesAndUploadsInFlightButNotTheFileReplaced() throws IOException {
        DiskBudget budget = new DiskBudget(10_000, 0, 0);
        file("r1", "a.pdf", 6_000);
        Path incoming = file("r1", ".incoming-1", 3_000);
        assertThatCode(() -> budget.requireQuota(uploads, "r1", "b.pdf", incoming)).doesNotThrowAnyException();
        file("r1", ".incoming-2", 2_000); // another upload being received counts
        assertThatThrownBy(() -> budget.requireQuota(uploads, "r1", "b.pdf", incoming))
                .isInstanceOf(DiskBudget.InsufficientStorageException.class)
                .hasMessage("rejected: room r1's archive holds 7.8 KiB; this file's 2.9 KiB would make it 10.7 KiB > 9.8 KiB"
                        + " room quota (polyphony.disk.max-room-bytes); delete the room's documents or the room first");
        // replacing a.pdf: its 6,000 bytes go away with it
        assertThatCode(() -> budget.requireQuota(uploads, "r1", "a.pdf", incoming)).doesNotThrowAnyException();
        // other rooms do not count against r1
        file("r2", "big.pdf", 50_000);
        assertThatCode(() -> budget.requireQuota(uploads, "r1", "a.pdf", incoming)).doesNotThrowAnyException();
    }

    @Test
    void theArchiveQuotaCountsEveryRoom() throws IOException {
        DiskBudget budget = new DiskBudget(0, 10_000, 0);
        file("r1", "a.pdf", 4_000);
        file("r2", "b.pdf", 4_000);
        Path incoming = file("r3", ".incoming-1", 3_000);
        assertThatThrownBy(() -> budget.requireQuota(uploads, "r3", "c.pdf", incoming))
                .isInstanceOf(DiskBudget.InsufficientStorageException.class)
                .hasMessageStartingWith("rejected: the archive of all rooms holds 7.8 KiB; this file's 2.9 KiB")
                .hasMessageContaining("polyphony.disk.max-archive-bytes");
        assertThatCode(() -> new DiskBudget(0, 11_000, 0).requireQuota(uploads, "r3", "c.pdf", incoming))
                .doesNotThrowAnyException();
    }

    @Test
    void theFreeSpaceFloorIsTheFileSystemsRealFreeSpace() throws IOException {
        long free = Files.getFileStore(uploads).getUsableSpace();
        assertThatCode(() -> new DiskBudget(0, 0, 1024).requireFree(uploads, 1024)).doesNotThrowAnyException();
        // a floor just above what is free now: any upload is refused, with the numbers
        assertThatThrownBy(() -> new DiskBudget(0, 0, free + (1L << 30)).requireFree(uploads.resolve("not-yet/created"), 10))
                .isInstanceOf(DiskBudget.InsufficientStorageException.class)
                .hasMessageStartingWith("rejected: the data folder has ")
                .hasMessageContaining("that must stay free (polyphony.disk.min-free)");
    }
}
