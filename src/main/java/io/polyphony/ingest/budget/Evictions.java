package io.polyphony.ingest.budget;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.transaction.annotation.Transactional;

/** The record of rooms evicted under memory pressure (table ROOM_EVICTION). */
public class Evictions {

    /** One eviction: the room, when, why, and what it freed. */
    public record Eviction(String room, Instant evictedAt, Instant lastActive, String reason, long bytes, long chunks,
                           long documents) {
    }

    private final JdbcTemplate jdbc;

    public Evictions(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The last eviction of a room: its id, and the documents (file name to SHA-256) the room held then. */
    public record Evicted(long id, Instant evictedAt, Map<String, String> documents) {
    }

    /** Records the eviction and, in the same transaction, the documents (file name to SHA-256) the room held. */
    @Transactional
    public void record(Eviction e, Map<String, String> held) {
        KeyHolder key = new GeneratedKeyHolder();
        jdbc.update(c -> {
            PreparedStatement ps = c.prepareStatement("INSERT INTO ROOM_EVICTION (ROOM, EVICTED_AT, LAST_ACTIVE, REASON,"
                    + " BYTES, CHUNKS, DOCUMENTS) VALUES (?, ?, ?, ?, ?, ?, ?)", java.sql.Statement.RETURN_GENERATED_KEYS);
            ps.setString(1, e.room());
            ps.setTimestamp(2, Timestamp.from(e.evictedAt()));
            ps.setTimestamp(3, e.lastActive() == null ? null : Timestamp.from(e.lastActive()));
            ps.setString(4, e.reason());
            ps.setLong(5, e.bytes());
            ps.setLong(6, e.chunks());
            ps.setLong(7, e.documents());
            return ps;
        }, key);
        // H2 returns the identity column (ID), PostgreSQL the whole row (id, room, ...)
        long id = key.getKeys().entrySet().stream().filter(k -> k.getKey().equalsIgnoreCase("id"))
                .map(k -> ((Number) k.getValue()).longValue()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no id generated for the eviction of " + e.room()));
        jdbc.batchUpdate("INSERT INTO ROOM_EVICTION_DOC (EVICTION_ID, FILE, SHA256) VALUES (?, ?, ?)",
                held.entrySet().stream().map(d -> new Object[] {id, d.getKey(), d.getValue()}).toList());
    }

    /** The room's last eviction with what it held, if it was ever evicted. */
    public Optional<Evicted> last(String room) {
        List<Object[]> rows = jdbc.query("SELECT ID, EVICTED_AT FROM ROOM_EVICTION WHERE ROOM = ? ORDER BY ID DESC LIMIT 1",
                (rs, i) -> new Object[] {rs.getLong(1), rs.getTimestamp(2).toInstant()}, room);
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        long id = (Long) rows.get(0)[0];
        return Optional.of(new Evicted(id, (Instant) rows.get(0)[1], documents(id)));
    }

    /** What the room held at eviction {@code id}: file name to SHA-256, by name. */
    public Map<String, String> documents(long id) {
        Map<String, String> held = new TreeMap<>();
        jdbc.query("SELECT FILE, SHA256 FROM ROOM_EVICTION_DOC WHERE EVICTION_ID = ?",
                rs -> {
                    held.put(rs.getString(1), rs.getString(2));
                }, id);
        return held;
    }

    /** Newest first. */
    public List<Eviction> recent(int max) {
        return jdbc.query("SELECT ROOM, EVICTED_AT, LAST_ACTIVE, REASON, BYTES, CHUNKS, DOCUMENTS FROM ROOM_EVICTION"
                        + " ORDER BY ID DESC LIMIT ?",
                (rs, i) -> new Eviction(rs.getString(1), rs.getTimestamp(2).toInstant(),
                        rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant(), rs.getString(4), rs.getLong(5),
                        rs.getLong(6), rs.getLong(7)), max);
    }
}
