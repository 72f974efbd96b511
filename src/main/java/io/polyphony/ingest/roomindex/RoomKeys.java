package io.polyphony.ingest.roomindex;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The Redis layout of a room: a contract the rooms' app reads (see README). The {@code {roomId}} hash
 * tag keeps all of a room's keys in one Redis Cluster slot, so a room can be written atomically.
 */
public final class RoomKeys {

    /**
     * Sorted set: roomId scored by last activity (epoch milliseconds). A registry, not the truth: a room's
     * activity is its meta hash's {@code last_active} (or a later score here); see {@link RoomActivity}.
     */
    public static final String ROOMS = "rooms";

    private static final Pattern ROOM_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private RoomKeys() {
    }

    public static boolean isValidRoom(String roomId) {
        return roomId != null && ROOM_ID.matcher(roomId).matches();
    }

    public static String requireValidRoom(String roomId) {
        if (!isValidRoom(roomId)) {
            throw new IllegalArgumentException("invalid room id '" + roomId + "': use 1 to 64 of A-Z a-z 0-9 _ -");
        }
        return roomId;
    }

    /** Stable for a (room, file name): re-uploading a file of the same name replaces the same document. */
    public static String docId(String roomId, String fileName) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((roomId + "\u0000" + fileName).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String room(String roomId) {
        return "room:{" + requireValidRoom(roomId) + "}:";
    }

    /** Hash {@code content, doc, file, ord}, and {@code embedding} in the hash layouts ({@code scan}, {@code search}). */
    public static String chunk(String roomId, String docId, int ord) {
        return chunkPrefix(roomId) + docId + ":" + ord;
    }

    /** What every chunk key of the room starts with; the search index's prefix. */
    public static String chunkPrefix(String roomId) {
        return room(roomId) + "chunk:";
    }

    /** Hash {@code file, sha256, bytes, chunks, total_chunks, sampled, model, ingested_at}. */
    public static String doc(String roomId, String docId) {
        return room(roomId) + "doc:" + docId;
    }

    /** Set of the room's doc ids. */
    public static String docs(String roomId) {
        return room(roomId) + "docs";
    }

    /** Hash {@code model, dims, layout, chunks, docs, last_active, version}. */
    public static String meta(String roomId) {
        return room(roomId) + "meta";
    }

    /** Vector set of the room's chunk vectors (layout {@code vectorset}), elements {@code <docId>:<n>}. */
    public static String vectors(String roomId) {
        return room(roomId) + "vec";
    }

    /** Element of a chunk in the room's vector set. */
    public static String element(String docId, int ord) {
        return docId + ":" + ord;
    }

    /** RediSearch index over the room's chunks (layout {@code search}); carries the room's hash tag too. */
    public static String index(String roomId) {
        return "idx:room:{" + requireValidRoom(roomId) + "}";
    }
}
