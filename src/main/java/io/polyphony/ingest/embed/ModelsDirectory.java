package io.polyphony.ingest.embed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Finds {@code models/} when none is configured: near the jar or classes first, then the working directory. */
public final class ModelsDirectory {

    private ModelsDirectory() {
    }

    public static Path resolve(Path configured, Path applicationHome) {
        if (configured != null) {
            if (!Files.isDirectory(configured)) {
                throw new IllegalArgumentException("polyphony.models-dir " + configured.toAbsolutePath() + " is not a directory");
            }
            return configured;
        }
        List<Path> tried = new ArrayList<>();
        Path p = applicationHome == null ? null : applicationHome.toAbsolutePath();
        for (int up = 0; p != null && up < 4; up++, p = p.getParent()) {
            Path candidate = p.resolve("models");
            tried.add(candidate);
            if (holdsModels(candidate)) {
                return candidate;
            }
        }
        Path cwd = Path.of("models").toAbsolutePath();
        tried.add(cwd);
        if (holdsModels(cwd)) {
            return cwd;
        }
        throw new IllegalArgumentException("no models/ folder found (tried " + tried + "); set polyphony.models-dir");
    }

    private static boolean holdsModels(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(d -> Files.isRegularFile(d.resolve("serving.properties")));
        } catch (IOException e) {
            return false;
        }
    }
}
