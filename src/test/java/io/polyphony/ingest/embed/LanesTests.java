package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LanesTests {

    private static final List<Integer> INPUTS = IntStream.range(0, 20).boxed().toList();

    @Test
    void resultsComeBackInInputOrder() {
        assertThat(Lanes.of(3).map(INPUTS, i -> i * 10)).isEqualTo(INPUTS.stream().map(i -> i * 10).toList());
    }

    @Test
    void twoLanesRunTwoTasksAtOnce() {
        CountDownLatch both = new CountDownLatch(2);
        // each task waits for the other: this only finishes if they run at the same time
        List<Boolean> met = Lanes.of(2).map(List.of(1, 2), i -> {
            both.countDown();
            try {
                return both.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(met).containsExactly(true, true);
    }

    @Test
    void neverMoreTasksAtOnceThanLanes() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Lanes.of(2).map(INPUTS, i -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            Thread.onSpinWait();
            running.decrementAndGet();
            return i;
        });
        assertThat(most.get()).isBetween(1, 2);
    }

    @Test
    void oneLaneRunsOnTheCallersThreadInOrder() {
        Thread caller = Thread.currentThread();
        List<Integer> order = new ArrayList<>();
        Lanes.of(1).map(INPUTS, i -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            assertThat(Lanes.onLane()).isTrue();
            order.add(i);
            return i;
        });
        assertThat(order).isEqualTo(INPUTS);
        assertThat(Lanes.onLane()).isFalse();
    }

    @Test
    void aTaskThatAsksForLanesRunsItsOwnWorkInPlace() {
        Lanes lanes = Lanes.of(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        // with only 2 threads, nested submissions would wait for each other for ever
        List<Integer> sums = lanes.map(INPUTS, i -> lanes.map(List.of(i, i), j -> {
            threads.add(Thread.currentThread());
            return j;
        }).stream().mapToInt(Integer::intValue).sum());
        assertThat(sums).isEqualTo(INPUTS.stream().map(i -> 2 * i).toList());
        assertThat(threads).allSatisfy(t -> assertThat(t.getName()).startsWith("embed-lane-"));
    }

    @Test
    void theFirstFailureIsRethrownAndLaterTasksAreDropped() {
        AtomicInteger ran = new AtomicInteger();
        Lanes lanes = Lanes.of(2);
        assertThatThrownBy(() -> lanes.map(INPUTS, i -> {
            ran.incrementAndGet();
            if (i == 0) {
                throw new IllegalArgumentException("batch 0 failed");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return i;
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("batch 0 failed");
        assertThat(ran.get()).as("tasks queued behind the failure never start").isLessThan(INPUTS.size());
        // the lanes are free again
        assertThat(lanes.map(List.of(1, 2, 3), i -> i + 1)).containsExactly(2, 3, 4);
    }

    @Test
    void lanesAreAtLeastOneAndZeroMeansOnePerCore() {
        assertThatThrownBy(() -> Lanes.of(0)).hasMessageContaining("at least 1");
        assertThat(Lanes.resolve(0)).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(Lanes.resolve(3)).isEqualTo(3);
        assertThat(Lanes.threadsPerLane(Runtime.getRuntime().availableProcessors())).isEqualTo(1);
        assertThat(Lanes.threadsPerLane(1)).isEqualTo(Runtime.getRuntime().availableProcessors());
    }
}
