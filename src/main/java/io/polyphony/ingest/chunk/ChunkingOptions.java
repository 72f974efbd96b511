package io.polyphony.ingest.chunk;

/**
 * @param targetChars  a chunk is filled up to about this many characters (500 by default)
 * @param overlapChars the end of one chunk, up to this many characters of whole sentences, starts the next
 */
public record ChunkingOptions(int targetChars, int overlapChars) {

    public static ChunkingOptions defaults() {
        return new ChunkingOptions(500, 80);
    }

    public ChunkingOptions {
        if (targetChars < 50) {
            throw new IllegalArgumentException("targetChars must be at least 50");
        }
        if (overlapChars < 0 || overlapChars >= targetChars / 2) {
            throw new IllegalArgumentException("overlapChars must be between 0 and half of targetChars");
        }
    }
}
