package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.testing.PostgresTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/** Servers on one job database (a real PostgreSQL) must share one archive; a split one is refused at start-up. */
class SharedArchiveTests {

    @TempDir
    Path tmp;

    @Test
    void theFirstServersArchiveIsRecordedTheSameArchiveIsAcceptedAnotherIsRefused() throws Exception {
        DriverManagerDataSource ds = new DriverManagerDataSource(PostgresTestServer.newDatabase("archive"), "postgres", "postgres");
        new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        Path shared = Files.createDirectories(tmp.resolve("nfs/uploads"));
        String id = SharedArchive.require(jdbc, shared);
        assertThat(shared.resolve(SharedArchive.MARKER)).content().contains(id);
        // the same storage seen by a second server, mounted elsewhere
        Path mount = Files.createSymbolicLink(tmp.resolve("mnt"), tmp.resolve("nfs"));
        assertThat(SharedArchive.require(jdbc, mount.resolve("uploads"))).isEqualTo(id);
        // a server with a folder of its own: an empty one, and one that was another deployment's archive
        assertThatThrownBy(() -> SharedArchive.require(jdbc, tmp.resolve("local/uploads")))
                .hasMessageContaining("has no archive id").hasMessageContaining("share archive " + id)
                .hasMessageContaining("shared storage");
        Path other = Files.createDirectories(tmp.resolve("other/uploads"));
        Files.writeString(other.resolve(SharedArchive.MARKER), "another-deployment\n");
        assertThatThrownBy(() -> SharedArchive.require(jdbc, other)).hasMessageContaining("is archive another-deployment");
    }

    /** Servers started at the same moment on a new job database and a new archive: one id, every server accepted. */
    @Test
    void serversStartingTogetherAgreeOnOneArchiveId() throws Exception {
        DriverManagerDataSource ds = new DriverManagerDataSource(PostgresTestServer.newDatabase("together"), "postgres", "postgres");
        new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        for (int round = 0; round < 5; round++) {
            jdbc.update("DELETE FROM INGEST_ARCHIVE");
            Path shared = Files.createDirectories(tmp.resolve("round" + round + "/uploads"));
            int servers = 6;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(servers);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(servers);
            try {
                java.util.List<java.util.concurrent.Future<String>> ids = new java.util.ArrayList<>();
                for (int i = 0; i < servers; i++) {
                    ids.add(pool.submit(() -> {
                        start.await();
                        return SharedArchive.require(jdbc, shared);
                    }));
                }
                java.util.Set<String> distinct = new java.util.HashSet<>();
                for (var f : ids) {
                    distinct.add(f.get()); // a server refused would throw here
                }
                assertThat(distinct).hasSize(1);
                assertThat(shared.resolve(SharedArchive.MARKER)).content().isEqualTo(distinct.iterator().next() + "\n");
                try (var left = Files.list(shared)) {
                    assertThat(left.map(f -> f.getFileName().toString())).containsExactly(SharedArchive.MARKER);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
