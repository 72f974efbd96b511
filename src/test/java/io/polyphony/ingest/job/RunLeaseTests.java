package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.testing.PostgresTestServer;
import java.net.InetAddress;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Run ownership by lease, with several "processes" (each {@link RunOwners} has its own instance id) on one job
 * database: H2 and a real PostgreSQL. Short heartbeats and expiry keep it quick; the logic is the same at 10 s
 * and 60 s.
 */
class RunLeaseTests {

    static final Duration BEAT = Duration.ofMillis(100);
    static final Duration EXPIRY = Duration.ofMillis(800);

    static Stream<String> databases() {
        return Stream.of("h2", "postgres");
    }

    static JdbcTemplate database(String kind) {
        DriverManagerDataSource ds = kind.equals("h2")
                ? new DriverManagerDataSource("jdbc:h2:mem:lease" + System.nanoTime() + ";DB_CLOSE_DELAY=-1")
                : new DriverManagerDataSource(PostgresTestServer.newDatabase("lease" + System.nanoTime() % 1_000_000_000),
                        "postgres", "postgres");
        new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
        return new JdbcTemplate(ds);
    }

    static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aLeaseRenewedByALiveOwnerNeverExpiresAndExactlyOneSurvivorTakesOverADeadOnes(String db) throws Exception {
        JdbcTemplate jdbc = database(db);
        RunOwners a = new RunOwners(jdbc, BEAT, EXPIRY, "host-a");
        RunOwners b = new RunOwners(jdbc, BEAT, EXPIRY, "host-b");
        RunOwners c = new RunOwners(jdbc, BEAT, EXPIRY, "host-c");
        try {
            a.acquire(42);
            assertThat(a.owner(42)).get().extracting(RunOwners.Owner::instance).isEqualTo(a.instance());
            // while a beats, neither b nor c ever sees it expire, however long they watch
            for (int i = 0; i < 20; i++) {
                assertThat(b.claimInterrupted(42)).isFalse();
                assertThat(c.expired(42)).isFalse();
                sleep(BEAT);
            }
            assertThat(a.expired(42)).isFalse(); // its own lease
            a.close(); // a dies: its heartbeat stops (on another host: only the heartbeat can tell)
            long start = System.nanoTime();
            while (!b.expired(42)) {
                sleep(BEAT);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(EXPIRY.multipliedBy(5));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(EXPIRY.minus(BEAT.multipliedBy(2)));
            while (!c.expired(42)) {
                sleep(BEAT);
            }
            assertThat(b.claimInterrupted(42)).isTrue();
            assertThat(c.claimInterrupted(42)).isFalse(); // exactly one survivor
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INGEST_RECOVERY WHERE JOB_EXECUTION_ID = 42", Integer.class))
                    .isEqualTo(1);
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void wallClocksDoNotMatterAndAPidReusedByANewInstanceEndsTheOldLeaseAtOnce(String db) throws Exception {
        JdbcTemplate jdbc = database(db);
        RunOwners watcher = new RunOwners(jdbc, BEAT, EXPIRY);
        String host = InetAddress.getLocalHost().getHostName();
        // another host whose clock runs a day ahead: only its beats count
        jdbc.update("INSERT INTO INGEST_LEASE VALUES (7, 'far-host-instance', 'far-host', 1, 0, ?)",
                Timestamp.from(Instant.now().plus(Duration.ofDays(1))));
        for (int i = 0; i < 15; i++) {
            jdbc.update("UPDATE INGEST_LEASE SET BEATS = BEATS + 1 WHERE JOB_EXECUTION_ID = 7");
            assertThat(watcher.expired(7)).isFalse();
            sleep(BEAT);
        }
        // a container restarted: the same host name and pid 1 again, but a new instance: the old lease is dead now
        jdbc.update("INSERT INTO INGEST_LEASE VALUES (8, 'before-the-restart', ?, ?, 99, ?)", host,
                ProcessHandle.current().pid(), Timestamp.from(Instant.now()));
        assertThat(watcher.expired(8)).isTrue();
        // a lease of a process of this host that is gone: dead at once too
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        jdbc.update("INSERT INTO INGEST_LEASE VALUES (9, 'gone', ?, ?, 3, ?)", host, gone.pid(), Timestamp.from(Instant.now()));
        assertThat(watcher.claimInterrupted(9)).isTrue();
        assertThat(watcher.owner(9)).isEmpty(); // the dead owner's lease is gone with the claim
        // an execution without any lease (its process died before taking it) expires like a silent lease
        long start = System.nanoTime();
        while (!watcher.expired(10)) {
            sleep(BEAT);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(EXPIRY.minus(BEAT.multipliedBy(2)));
        watcher.close();
    }
}
