package io.polyphony.ingest.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a copy of every file a room holds, under {@code <data-dir>/uploads/<roomId>/<name>}, so an
 * evicted or lost room can be rebuilt to the same chunks (same names give the same doc ids). Uploads
 * through the API already live there; files ingested from elsewhere are copied in after their write.
 */
public class UploadArchive {

    private static final Logger log = LoggerFactory.getLogger(UploadArchive.class);

    private final Path root;

    public UploadArchive(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path roomDir(String room) {
        return root.resolve(room);
    }

    /**
     * Removes what interrupted uploads and archive copies leave behind ({@code .incoming-*}, {@code .*.archiving} in
     * a room's folder) once untouched for {@code olderThan}: files another server is still writing stay. The count.
     */
    public int removeStrays(java.time.Duration olderThan) {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        java.time.Instant before = java.time.Instant.now().minus(olderThan);
        int removed = 0;
        try (java.util.stream.Stream<Path> rooms = Files.list(root)) {
            for (Path room : rooms.filter(Files::isDirectory).toList()) {
                try (java.util.stream.Stream<Path> files = Files.list(room)) {
                    for (Path f : files.toList()) {
                        String n = f.getFileName().toString();
                        boolean stray = n.startsWith(".incoming-") || (n.startsWith(".") && n.endsWith(".archiving"));
                        if (stray && Files.isRegularFile(f) && Files.getLastModifiedTime(f).toInstant().isBefore(before)) {
                            Files.deleteIfExists(f);
                            removed++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.warn("could not clear interrupted uploads from {}: {}", root, e.getMessage());
        }
        if (removed > 0) {
            log.info("removed {} file(s) left by interrupted uploads under {}", removed, root);
        }
        return removed;
    }

    /**
     * Copies the file in unless the archive already holds it. Empty when the archive holds it now; else why not (the
     * caller must not report the file ingested: an evicted room could not be rebuilt with it).
     */
    public java.util.Optional<String> keep(FileTask task) {
        if (task.room() == null) {
            return java.util.Optional.empty();
        }
        Path source = Path.of(task.path()).toAbsolutePath().normalize();
        Path dir = roomDir(task.room());
        Path target = dir.resolve(task.name()).normalize();
        if (!target.startsWith(dir) || target.equals(source)) {
            return java.util.Optional.empty();
        }
        try {
            if (Files.isRegularFile(target) && Files.mismatch(source, target) == -1) {
                return java.util.Optional.empty();
            }
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".archiving");
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return java.util.Optional.empty();
        } catch (IOException e) {
            log.warn("could not archive {} for room {}: {}", source, task.room(), e.toString());
            return java.util.Optional.of("could not copy it to " + target + ": " + e);
        }
    }

    /** SHA-256 of an archived file's bytes (what a document's {@code sha256} holds), or empty if it cannot be read. */
    public static java.util.Optional<String> sha256(Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
            return java.util.Optional.of(java.util.HexFormat.of().formatHex(md.digest()));
        } catch (java.io.IOException e) {
            return java.util.Optional.empty();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
