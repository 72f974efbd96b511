package io.polyphony.ingest.roomindex;

import io.polyphony.ingest.roomindex.RoomIndex.Hit;
import java.util.List;

/**
 * Where a room's vectors live and how its nearest chunks are found: the one seam between the room index
 * and the server's capabilities. Three layouts (README, "Redis layout"):
 * <ul>
 * <li>{@code vectorset}: one Redis 8 vector set per room ({@code room:{id}:vec}, HNSW, Q8 by default); chunk
 *     hashes hold no vector; search is {@code VSIM}.</li>
 * <li>{@code search}: the vector inside each chunk hash (FLOAT32) and a RediSearch index per room; search is
 *     {@code FT.SEARCH … KNN}.</li>
 * <li>{@code scan}: the vector inside each chunk hash; search reads every chunk of the room (exact).</li>
 * </ul>
 */
public interface IndexLayout {

    /** {@code scan}, {@code search} or {@code vectorset}: recorded in the room's meta hash as {@code layout}. */
    String name();

    /** What search answers with, for people: {@code exact}, {@code FT.SEARCH KNN}, {@code VSIM}. */
    String searchMethod();

    /** True when chunk vectors live in the room's vector set rather than in its chunk hashes. */
    default boolean vectorSet() {
        return false;
    }

    /** The vector set's quantization for {@code VADD} ({@code Q8}, {@code NOQUANT}, {@code BIN}); unused elsewhere. */
    default String quantization() {
        return "";
    }

    /** The vector set's {@code M}: links per node of its HNSW graph; unused elsewhere. */
    default int links() {
        return 0;
    }

    /** After a document of the room was written (the search layout creates the room's index here). */
    default void written(String room, int dims) {
    }

    /** After the room was deleted (the search layout drops its index here). */
    default void deleted(String room) {
    }

    /** Top-k chunks of the room by cosine similarity, best first; empty for an unknown room. */
    List<Hit> search(String room, float[] query, int k);
}
