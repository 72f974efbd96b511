package io.polyphony.ingest.job;

import java.util.List;

/**
 * A file after extraction, chunking and sampling, ready to embed; or, when {@code result} is set,
 * a file whose outcome is already decided (refused, unchanged) and that needs no embedding.
 */
public record PreparedFile(FileTask task, String docId, String sha256, long bytes, List<String> chunks,
                           int totalChunks, String samplingNote, FileResult result) {

    static PreparedFile decided(FileResult result, FileTask task) {
        return new PreparedFile(task, null, null, 0, List.of(), 0, null, result);
    }

    boolean needsEmbedding() {
        return result == null;
    }

    boolean sampled() {
        return chunks.size() < totalChunks;
    }
}
