package io.polyphony.ingest.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Makes a split archive impossible to miss: the archive ({@code <data-dir>/uploads/}) carries an id in a marker
 * file, and the job database records the id of the archive its servers share (table {@code INGEST_ARCHIVE}). A
 * server whose archive has another id, or none while the database has one, is refused at start-up: several
 * servers on one database must see the same archive (shared storage), or rooms could not be rebuilt.
 */
public final class SharedArchive {

    private static final Logger log = LoggerFactory.getLogger(SharedArchive.class);
    static final String MARKER = ".polyphony-archive-id";

    private SharedArchive() {
    }

    /** The archive's id, recorded in the database by the first server; refused when it is not the recorded one. */
    public static String require(JdbcTemplate jdbc, Path uploadsDir) {
        Path dir = uploadsDir.toAbsolutePath().normalize();
        Path marker = dir.resolve(MARKER);
        try {
            Files.createDirectories(dir);
            // the database first: a server records its archive only after the marker is in place, so a marker that is not
            // there after a server's record is not coming
            List<String[]> recorded = recorded(jdbc);
            String id = Files.exists(marker) ? Files.readString(marker, StandardCharsets.UTF_8).strip() : null;
            if (recorded.isEmpty()) {
                if (id == null) {
                    id = createMarker(dir, marker);
                }
                try {
                    jdbc.update("INSERT INTO INGEST_ARCHIVE (NAME, ARCHIVE_ID, PATH, HOST, RECORDED_AT) VALUES ('uploads', ?, ?, ?, ?)",
                            id, dir.toString(), host(), Timestamp.from(Instant.now()));
                    log.info("archive {} (id {}) recorded as the archive the servers of this job database share", dir, id);
                    return id;
                } catch (DuplicateKeyException raced) {
                    recorded = recorded(jdbc); // another server recorded its archive first
                }
            }
            String[] shared = recorded.get(0);
            if (!shared[0].equals(id)) {
                throw new IllegalStateException("the archive " + dir + (id == null ? " has no archive id" : " is archive "
                        + id) + ", but the servers of this job database share archive " + shared[0] + " (" + shared[1]
                        + " on " + shared[2] + "): several servers must see one archive (shared storage mounted at"
                        + " <data-dir>/uploads), or rooms could not be rebuilt from it. Mount it, or set"
                        + " polyphony.data-dir to where it is mounted");
            }
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the archive's id in " + marker, e);
        }
    }

    /**
     * Gives the archive an id, unless another server starting at the same moment just did: the id is written to a file
     * of its own and linked into place, which fails where the marker exists (never two ids, never a half-written one).
     *
     * @return the archive's id: this server's, or the one that was there first
     */
    private static String createMarker(Path dir, Path marker) throws IOException {
        Path mine = Files.createTempFile(dir, MARKER, ".tmp");
        try {
            Files.writeString(mine, UUID.randomUUID() + "\n", StandardCharsets.UTF_8);
            try {
                Files.createLink(marker, mine);
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another server gave the archive its id first: that one stands
            } catch (UnsupportedOperationException noLinks) {
                Files.copy(mine, marker); // storage without hard links: fails where the marker exists, too
            }
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // the copy above lost the race
        } finally {
            Files.deleteIfExists(mine);
        }
        return Files.readString(marker, StandardCharsets.UTF_8).strip();
    }

    private static List<String[]> recorded(JdbcTemplate jdbc) {
        return jdbc.query("SELECT ARCHIVE_ID, PATH, HOST FROM INGEST_ARCHIVE WHERE NAME = 'uploads'",
                (rs, i) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
