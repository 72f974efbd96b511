package io.polyphony.ingest.launch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.LongPredicate;

/**
 * One JVM class data sharing archive (JDK 17's dynamic AppCDS) for one kind of process, kept in a folder: the JVM
 * options that use it, or, while there is none, the options that make the process write it when it exits.
 *
 * <p>A process writes {@code <name>.<pid>.part}; the JVM writes the archive's header after everything else, so a part
 * whose writer has gone and whose header carries the archive's magic number is whole and becomes {@code <name>.jsa}
 * (an atomic rename); one whose writer was killed mid-way is deleted. While another living process writes one, no
 * second writer starts. A damaged or stale archive costs nothing but speed: the JVM checks it and runs without.
 */
public final class ClassArchive {

    /** {@code CDS_DYNAMIC_ARCHIVE_MAGIC} of HotSpot's {@code cds.h}, written little-endian at offset 0. */
    static final int DYNAMIC_MAGIC = 0xf00baba8;
    /** The JVM option that makes a process write the archive when it exits (to the file after it). */
    public static final String WRITE_OPTION = "-XX:ArchiveClassesAtExit=";

    private final Path dir;
    private final String name;
    private final LongPredicate alive;

    ClassArchive(Path dir, String name, LongPredicate alive) {
        this.dir = dir;
        this.name = name;
        this.alive = alive;
    }

    /** The archive {@code name} in {@code dir}; a writer is alive while the operating system knows its process. */
    public static ClassArchive in(Path dir, String name) {
        return new ClassArchive(dir, name, pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    public Path file() {
        return dir.resolve(name + ".jsa");
    }

    /**
     * JVM options for a process of this kind started now (with {@code pid} as its process id): read the archive when
     * there is one; else write it at exit, unless another process is writing it (then none).
     */
    public List<String> jvmOptions(long pid) throws IOException {
        Optional<Path> ready = ready();
        if (ready.isPresent()) {
            return List.of("-XX:SharedArchiveFile=" + ready.get());
        }
        if (writerAlive()) {
            return List.of();
        }
        Files.createDirectories(dir);
        return List.of(WRITE_OPTION + dir.resolve(name + "." + pid + ".part"));
    }

    /**
     * The archive, after promoting a finished part (when there is no archive yet) and deleting the other parts whose
     * writers are gone: cut short, or written beside another (processes started together each write one).
     */
    Optional<Path> ready() throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, name + ".*.part")) {
            for (Path part : parts) {
                long pid = writerPid(part);
                if (pid < 0 || alive.test(pid)) {
                    continue;
                }
                try {
                    if (!Files.isRegularFile(file()) && whole(part)) {
                        // a link fails where the archive exists: one never replaces another a process may be opening
                        Files.createLink(file(), part);
                    }
                    Files.deleteIfExists(part);
                } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.NoSuchFileException e) {
                    // another process starting now promoted or deleted it first
                    Files.deleteIfExists(part);
                }
            }
        }
        return Files.isRegularFile(file()) ? Optional.of(file()) : Optional.empty();
    }

    private boolean writerAlive() throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, name + ".*.part")) {
            for (Path part : parts) {
                long pid = writerPid(part);
                if (pid >= 0 && alive.test(pid)) {
                    return true;
                }
            }
        }
        return false;
    }

    private long writerPid(Path part) {
        String f = part.getFileName().toString();
        String pid = f.substring(name.length() + 1, f.length() - ".part".length());
        try {
            return Long.parseLong(pid);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the file starts with a dynamic archive's magic number: the JVM writes the header last. */
    static boolean whole(Path part) {
        try (InputStream in = Files.newInputStream(part)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt() == DYNAMIC_MAGIC;
        } catch (IOException e) {
            return false;
        }
    }
}
