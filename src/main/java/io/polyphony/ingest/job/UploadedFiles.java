package io.polyphony.ingest.job;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a run ingests, in a fixed order: a single file (room given), any folder with a room given (all
 * its files), or a folder laid out {@code <folder>/<roomId>/<files...>}. Hidden files are ignored.
 */
public final class UploadedFiles {

    private UploadedFiles() {
    }

    public static List<FileTask> discover(Path path, String room) {
        if (room != null) {
            RoomKeys.requireValidRoom(room);
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(path + " does not exist");
        }
        if (Files.isRegularFile(path)) {
            if (room == null) {
                throw new IllegalArgumentException("a single file needs --room <id>");
            }
            return List.of(new FileTask(0, path.toAbsolutePath().toString(), room, name(path), null));
        }
        List<FileTask> out = new ArrayList<>();
        if (room != null) {
            for (Path f : files(path)) {
                out.add(new FileTask(out.size(), f.toAbsolutePath().toString(), room, path.relativize(f).toString(), null));
            }
            return out;
        }
        for (Path f : files(path)) {
            Path rel = path.relativize(f);
            if (rel.getNameCount() < 2) {
                out.add(new FileTask(out.size(), f.toAbsolutePath().toString(), null, rel.toString(),
                        new Problem(Reason.UNSUPPORTED, "not in a room folder: put it in " + path + "/<roomId>/")));
                continue;
            }
            String r = rel.getName(0).toString();
            Problem p = RoomKeys.isValidRoom(r) ? null
                    : new Problem(Reason.UNSUPPORTED, "invalid room folder '" + r + "': use 1 to 64 of A-Z a-z 0-9 _ -");
            out.add(new FileTask(out.size(), f.toAbsolutePath().toString(), p == null ? r : null,
                    rel.subpath(1, rel.getNameCount()).toString(), p));
        }
        return out;
    }

    private static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> Stream.of(dir.relativize(f).toString().split("/")).noneMatch(n -> n.startsWith(".")))
                    .sorted(Comparator.comparing(Path::toString))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String name(Path p) {
        return p.getFileName() == null ? p.toString() : p.getFileName().toString();
    }
}
