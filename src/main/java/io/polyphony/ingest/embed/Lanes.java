package io.polyphony.ingest.embed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Batches that run their forward passes at once, each on its own thread with one libtorch thread: on a few cores
 * this beats one batch at a time spread over every core (each op's threads meet at a barrier, and the element-wise
 * half of a layer is memory-bound), and one lane's element-wise work overlaps the other's products.
 *
 * <p>Threads start on demand and end after a minute idle, so a lane set needs no closing. A batch that itself asks
 * for lanes (an ensemble's member, called from a lane) runs in the calling lane.
 */
public final class Lanes {

    private static final ThreadLocal<Boolean> ON_LANE = ThreadLocal.withInitial(() -> false);
    private static final AtomicInteger SETS = new AtomicInteger();

    private final int count;
    private final ThreadPoolExecutor pool;

    private Lanes(int count) {
        this.count = count;
        if (count == 1) {
            this.pool = null;
            return;
        }
        int set = SETS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(count, count, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(() -> {
                ON_LANE.set(true);
                r.run();
            }, "embed-lane-" + set + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.pool.allowCoreThreadTimeOut(true);
    }

    /** {@code count} lanes; 1 runs every batch on the caller's thread, one after the other. */
    public static Lanes of(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("lanes must be at least 1, not " + count);
        }
        return new Lanes(count);
    }

    /** 0 means one lane per core. */
    public static int resolve(int configured) {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    /** libtorch threads per forward pass so that the lanes together use every core once. */
    public static int threadsPerLane(int lanes) {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / lanes);
    }

    /** Whether this thread is running a batch of some lane set (then the outermost call cleans up after all batches). */
    public static boolean onLane() {
        return ON_LANE.get();
    }

    public int count() {
        return count;
    }

    /**
     * {@code task} over every input, up to {@link #count} at once, results in input order. The first failure is
     * rethrown after the batches already running have finished; batches not yet started are dropped.
     */
    public <I, O> List<O> map(List<I> inputs, Function<I, O> task) {
        List<O> out = new ArrayList<>(inputs.size());
        if (pool == null || inputs.size() < 2 || ON_LANE.get()) {
            boolean was = ON_LANE.get();
            ON_LANE.set(true);
            try {
                for (I in : inputs) {
                    out.add(task.apply(in));
                }
            } finally {
                ON_LANE.set(was);
            }
            return out;
        }
        List<Future<O>> futures = new ArrayList<>(inputs.size());
        for (I in : inputs) {
            futures.add(pool.submit(() -> task.apply(in)));
        }
        boolean interrupted = false;
        RuntimeException failure = null;
        for (Future<O> f : futures) {
            while (true) {
                try {
                    if (failure == null) {
                        out.add(f.get());
                    } else {
                        f.cancel(false);
                        if (!f.isCancelled()) {
                            f.get(); // running: let it finish, so no forward pass outlives this call
                        }
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a forward pass cannot be stopped half way: finish, then say so
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r
                                : e.getCause() instanceof Error err ? rethrow(err)
                                : new IllegalStateException(e.getCause());
                    }
                    break;
                } catch (java.util.concurrent.CancellationException e) {
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
        return out;
    }

    private static RuntimeException rethrow(Error e) {
        throw e;
    }
}
