package io.polyphony.ingest.extract;

import io.polyphony.ingest.Problem;

/**
 * The text of one file, or why there is none. {@code sha256} and {@code bytes} describe the file's
 * content whenever it was read, so a caller can tell "same content" even for a refused file.
 */
public record Extraction(String text, String mediaType, long bytes, String sha256, Problem problem) {

    public static Extraction of(String text, String mediaType, long bytes, String sha256) {
        return new Extraction(text, mediaType, bytes, sha256, null);
    }

    public static Extraction refused(Problem problem, String mediaType, long bytes, String sha256) {
        return new Extraction(null, mediaType, bytes, sha256, problem);
    }

    public boolean ok() {
        return problem == null;
    }
}
