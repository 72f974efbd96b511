package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The shared run queue's claims, on H2 and a real PostgreSQL, with several "servers" (each a {@link RunOwners} with
 * its own instance id and a {@link RunQueue}) on one job database. Claims only: running an execution is the job's
 * business, tested with real servers in {@code ManyServersIT}.
 */
class RunQueueTests {

    static final Duration BEAT = Duration.ofMillis(100);
    static final Duration EXPIRY = Duration.ofMillis(800);

    static List<String> databases() {
        return RunLeaseTests.databases().toList();
    }

    static RunQueue queue(JdbcTemplate jdbc, RunOwners owners, int backlog) {
        return new RunQueue(jdbc, owners, null, null, 1, backlog, Duration.ofMillis(50));
    }

    /** What a worker does when its execution ended: off the queue, lease released. */
    static void end(RunQueue q, RunOwners o, long id) {
        q.remove(id);
        o.release(id);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anyServerTakesQueuedRunsAndOneRoomRunsOneAtATimeInTheOrderQueued(String db) throws Exception {
        JdbcTemplate jdbc = RunLeaseTests.database(db);
        RunOwners a = new RunOwners(jdbc, BEAT, EXPIRY, "host-a");
        RunOwners b = new RunOwners(jdbc, BEAT, EXPIRY, "host-b");
        RunQueue qa = queue(jdbc, a, 2);
        RunQueue qb = queue(jdbc, b, 2);
        try {
            setClaiming(qa);
            setClaiming(qb);
            qa.submit(1, "room:x"); // an upload into x, queued by server a
            qb.submit(2, "room:x"); // the same file name into x again, queued by server b a moment later
            qb.submit(3, "room:y");
            RunQueue closing = queue(jdbc, b, 2);
            setClaiming(closing);
            closing.close();
            assertThat(closing.claimNext()).isEmpty(); // a server shutting down takes nothing more
            assertThat(qb.claimNext()).hasValue(1L); // b takes what a queued
            assertThat(qa.claimNext()).hasValue(3L); // x is busy: its second upload waits for the first
            assertThat(qa.claimNext()).isEmpty();
            assertThat(qb.waiting()).isEqualTo(1);
            qa.requireRoom();
            qa.submit(4, "room:z");
            assertThatThrownBy(qb::requireRoom).isInstanceOf(RunQueue.RunsBusyException.class)
                    .hasMessageContaining("polyphony.backlog 2");
            // a queued execution waits for a worker however long: nobody owns it, nothing to take over
            RunOwners c = new RunOwners(jdbc, BEAT, EXPIRY, "host-c");
            for (int i = 0; i < 12; i++) {
                assertThat(c.expired(2)).isFalse();
                assertThat(c.claimInterrupted(4)).isFalse();
                Thread.sleep(BEAT.toMillis());
            }
            end(qb, b, 1);
            assertThat(qa.claimNext()).hasValue(2L); // the later upload, now that the first ended
            assertThat(qa.claimNext()).hasValue(4L);
            // the worker running 2 dies: its lease expires, the survivor recovers it, and x is free again
            a.close();
            long start = System.nanoTime();
            while (!c.claimInterrupted(2)) {
                Thread.sleep(BEAT.toMillis());
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(EXPIRY.multipliedBy(5));
            }
            qb.submit(5, "room:x");
            assertThat(qb.claimNext()).hasValue(5L);
        } finally {
            a.close();
            b.close();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anEarlierRunOfTheSameRoomCommittedLateStillNeverRunsBesideTheOneRunning(String db) throws Exception {
        JdbcTemplate jdbc = RunLeaseTests.database(db);
        RunOwners a = new RunOwners(jdbc, BEAT, EXPIRY, "host-a");
        RunQueue qa = queue(jdbc, a, 10);
        setClaiming(qa);
        try {
            qa.submit(11, "room:x");
            assertThat(qa.claimNext()).hasValue(11L);
            // a row whose sequence value is lower but whose transaction committed later (PostgreSQL sequences do that)
            jdbc.update("INSERT INTO INGEST_QUEUE (SEQ, JOB_EXECUTION_ID, RUN_KEY, QUEUED_BY, QUEUED_AT)"
                    + " VALUES (-1, 10, 'room:x', 'other', CURRENT_TIMESTAMP)");
            assertThat(qa.claimNext()).isEmpty(); // 11 runs: 10 waits, though it sorts first
            assertThat(a.owner(10)).isEmpty(); // and the claim it tried was given back
            end(qa, a, 11);
            assertThat(qa.claimNext()).hasValue(10L);
        } finally {
            a.close();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void workersOfTwoServersRacingForFortyQueuedRunsClaimEachExactlyOnce(String db) throws Exception {
        JdbcTemplate jdbc = RunLeaseTests.database(db);
        RunOwners a = new RunOwners(jdbc, BEAT, EXPIRY, "host-a");
        RunOwners b = new RunOwners(jdbc, BEAT, EXPIRY, "host-b");
        List<RunQueue> queues = List.of(queue(jdbc, a, 100), queue(jdbc, b, 100));
        queues.forEach(RunQueueTests::setClaiming);
        for (int i = 0; i < 40; i++) {
            queues.get(i % 2).submit(100 + i, "room:r" + (i % 8)); // 8 rooms, 5 runs each
        }
        Set<Long> claimed = ConcurrentHashMap.newKeySet();
        List<Long> order = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                RunQueue q = queues.get(w % 2);
                RunOwners o = w % 2 == 0 ? a : b;
                workers.add(pool.submit(() -> {
                    int mine = 0;
                    for (int idle = 0; idle < 50; ) {
                        Optional<Long> next = q.claimNext();
                        if (next.isEmpty()) {
                            idle++;
                            Thread.sleep(5);
                            continue;
                        }
                        assertThat(claimed.add(next.get())).as("claimed twice: " + next.get()).isTrue();
                        order.add(next.get());
                        mine++;
                        end(q, o, next.get());
                    }
                    return mine;
                }));
            }
            int total = 0;
            for (Future<Integer> f : workers) {
                total += f.get();
            }
            assertThat(total).isEqualTo(40);
            assertThat(claimed).hasSize(40);
            for (int r = 0; r < 8; r++) { // each room's runs in the order queued
                int room = r;
                List<Long> ofRoom = order.stream().filter(id -> (id - 100) % 8 == room).toList();
                assertThat(ofRoom).isSorted();
            }
        } finally {
            pool.shutdownNow();
            a.close();
            b.close();
        }
    }

    /** Lets the queue claim without starting its worker threads (the test claims by hand). */
    static void setClaiming(RunQueue q) {
        q.claimingForTests();
    }
}
