package io.polyphony.ingest.roomindex;

/**
 * What a room may hold, as the index applies it inside a document's atomic write; the rule itself is the
 * budget's ({@code budget.RoomBudget}).
 */
@FunctionalInterface
public interface RoomLimit {

    /** No limit. */
    RoomLimit NONE = (roomChunks, replacing, adding) -> 0;

    /**
     * Chunks of the room's oldest documents to evict so that a document of {@code adding} chunks, replacing one of
     * {@code replacing}, fits a room of {@code roomChunks}: 0 when it fits as it is, -1 when it is refused.
     */
    int toFree(int roomChunks, int replacing, int adding);
}
