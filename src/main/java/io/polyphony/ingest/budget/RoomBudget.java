package io.polyphony.ingest.budget;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.roomindex.RoomLimit;

/**
 * What a room may hold: its chunk budget (0: none), and whether to make room by evicting its oldest documents
 * ({@code polyphony.budget.room-full=evict-oldest}) rather than refusing the document.
 */
public record RoomBudget(int maxChunks, boolean evictOldest) implements RoomLimit {

    public static final RoomBudget NONE = new RoomBudget(0, false);

    /** Would a document of {@code adding} chunks, replacing {@code replacing}, be refused in a room of {@code roomChunks}? */
    public boolean refuses(int roomChunks, int replacing, int adding) {
        int after = roomChunks - replacing + adding;
        return maxChunks > 0 && after > maxChunks && (!evictOldest || adding > maxChunks);
    }

    @Override
    public int toFree(int roomChunks, int replacing, int adding) {
        if (refuses(roomChunks, replacing, adding)) {
            return -1;
        }
        int after = roomChunks - replacing + adding;
        return maxChunks > 0 && after > maxChunks ? after - maxChunks : 0;
    }

    public Problem refusal(String room, int roomChunks, int adding, int after) {
        return new Problem(Reason.ROOM_FULL, String.format(
                "room %s holds %,d chunks; this document's %,d would make it %,d > %,d-chunk room budget",
                room, roomChunks, adding, after, maxChunks));
    }
}
