package io.polyphony.ingest.job;

import java.util.HashMap;
import java.util.Map;

/**
 * Chunks that the files already accepted into the current transaction will add to their rooms. The room budget's
 * check before embedding counts them, so a file that the write would refuse (because the files before it in the same
 * transaction fill the room) is refused before its chunks are embedded, with the same numbers the write would give.
 * The writer clears it once the transaction's files are written.
 */
class PendingChunks {

    private final Map<String, Integer> byRoom = new HashMap<>();

    synchronized int of(String room) {
        return byRoom.getOrDefault(room, 0);
    }

    synchronized void add(String room, int chunks) {
        byRoom.merge(room, chunks, Integer::sum);
    }

    synchronized void clear() {
        byRoom.clear();
    }
}
