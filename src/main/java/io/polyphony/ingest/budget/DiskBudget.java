package io.polyphony.ingest.budget;

import io.polyphony.ingest.Sizes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The disk an upload may take: a quota per room's archive, one for the whole archive, and a floor of free space the
 * data folder (archive, job database, embedded Redis's files) keeps. Checked on the folders themselves, so every server
 * sharing them sees the same numbers; uploads still being received ({@code .incoming-*}) count.
 *
 * @param maxRoomBytes    bytes a room's archive may hold (0: no quota)
 * @param maxArchiveBytes bytes all rooms' archives may hold together (0: no quota)
 * @param minFreeBytes    bytes that must stay free on the data folder's file system (0: no floor)
 */
public record DiskBudget(long maxRoomBytes, long maxArchiveBytes, long minFreeBytes) {

    /** An upload that would break a quota or the floor: HTTP 507, and nothing of it kept. */
    public static final class InsufficientStorageException extends RuntimeException {
        public InsufficientStorageException(String message) {
            super(message);
        }
    }

    public DiskBudget {
        if (maxRoomBytes < 0 || maxArchiveBytes < 0 || minFreeBytes < 0) {
            throw new IllegalArgumentException("disk quotas and the free-space floor cannot be negative");
        }
    }

    /** Before receiving {@code bytes} into {@code folder}: would they leave less than the floor free? */
    public void requireFree(Path folder, long bytes) {
        if (minFreeBytes == 0) {
            return;
        }
        long free;
        try {
            free = Files.getFileStore(existing(folder)).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the free space of " + folder, e);
        }
        if (free - bytes < minFreeBytes) {
            throw new InsufficientStorageException("rejected: the data folder has " + Sizes.human(free)
                    + " free; storing " + Sizes.human(bytes) + " would leave less than the " + Sizes.human(minFreeBytes)
                    + " that must stay free (polyphony.disk.min-free)");
        }
    }

    /**
     * After receiving an upload into {@code incoming} (inside {@code uploads/<room>/}), before it takes the name
     * {@code name}: would the room's or the whole archive's quota be broken? A file it replaces does not count.
     */
    public void requireQuota(Path uploads, String room, String name, Path incoming) {
        if (maxRoomBytes == 0 && maxArchiveBytes == 0) {
            return;
        }
        try {
            long size = Files.size(incoming);
            Path roomDir = uploads.resolve(room);
            Path replaced = roomDir.resolve(name);
            long roomBytes = bytesUnder(roomDir, incoming, replaced);
            if (maxRoomBytes > 0 && roomBytes + size > maxRoomBytes) {
                throw new InsufficientStorageException("rejected: room " + room + "'s archive holds "
                        + Sizes.human(roomBytes) + "; this file's " + Sizes.human(size) + " would make it "
                        + Sizes.human(roomBytes + size) + " > " + Sizes.human(maxRoomBytes)
                        + " room quota (polyphony.disk.max-room-bytes); delete the room's documents or the room first");
            }
            if (maxArchiveBytes > 0) {
                long all = bytesUnder(uploads, incoming, replaced);
                if (all + size > maxArchiveBytes) {
                    throw new InsufficientStorageException("rejected: the archive of all rooms holds " + Sizes.human(all)
                            + "; this file's " + Sizes.human(size) + " would make it " + Sizes.human(all + size) + " > "
                            + Sizes.human(maxArchiveBytes) + " quota (polyphony.disk.max-archive-bytes); delete rooms"
                            + " that are no longer needed");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure the archive under " + uploads, e);
        }
    }

    /**
     * Bytes of the regular files under {@code dir}, but for the two named. Files come and go while we count (other
     * uploads being received, moved into place, deleted): one that vanished counts nothing.
     */
    private static long bytesUnder(Path dir, Path incoming, Path replaced) throws IOException {
        long[] total = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !file.equals(incoming) && !file.equals(replaced)) {
                    total[0] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    private static Path existing(Path p) {
        Path q = p.toAbsolutePath();
        while (q != null && !Files.exists(q)) {
            q = q.getParent();
        }
        return q == null ? p.toAbsolutePath().getRoot() : q;
    }
}
