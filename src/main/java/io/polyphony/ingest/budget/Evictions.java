package io.polyphony.ingest.budget;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

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

    void record(Eviction e) {
        jdbc.update("INSERT INTO ROOM_EVICTION (ROOM, EVICTED_AT, LAST_ACTIVE, REASON, BYTES, CHUNKS, DOCUMENTS)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?)", e.room(), Timestamp.from(e.evictedAt()),
                e.lastActive() == null ? null : Timestamp.from(e.lastActive()), e.reason(), e.bytes(), e.chunks(), e.documents());
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
