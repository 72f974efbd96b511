package io.polyphony.ingest.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The console's chart: Redis memory used (and its budget) and chunks embedded per second over the last hour, sampled
 * every {@link #EVERY} in memory (this server's view; gone with a restart). Memory comes from the health indicator's
 * background measurement, so sampling never scans Redis itself.
 */
@Component
@ConditionalOnWebApplication
class ConsoleHistory implements DisposableBean {

    static final Duration EVERY = Duration.ofSeconds(5);
    static final int POINTS = (int) (Duration.ofHours(1).toMillis() / EVERY.toMillis());

    /** One sample: when, Redis memory used and budgeted (MiB; null when unknown), chunks embedded per second here. */
    record Point(long at, Double usedMb, Double budgetMb, double chunksPerSecond) {
    }

    private final RedisMemoryHealthIndicator memory;
    private final MeterRegistry registry;
    private final ArrayDeque<Point> points = new ArrayDeque<>();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "console-history");
        t.setDaemon(true);
        return t;
    });
    private double lastChunks = Double.NaN;
    private long lastAt;

    ConsoleHistory(RedisMemoryHealthIndicator memory, MeterRegistry registry) {
        this.memory = memory;
        this.registry = registry;
        sampler.scheduleWithFixedDelay(this::sample, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void sample() {
        try {
            long now = System.currentTimeMillis();
            Counter c = registry.find("polyphony.ingest.chunks.embedded").counter();
            double chunks = c == null ? 0 : c.count();
            double rate = Double.isNaN(lastChunks) || now == lastAt ? 0 : (chunks - lastChunks) * 1000.0 / (now - lastAt);
            lastChunks = chunks;
            lastAt = now;
            Map<String, Object> d = memory.current().getDetails();
            points.addLast(new Point(now, number(d.get("usedMemoryMb")), number(d.get("budgetMb")), Math.max(0, rate)));
            while (points.size() > POINTS) {
                points.removeFirst();
            }
        } catch (RuntimeException e) {
            // Redis unreadable: no point this time (health says why)
        }
    }

    private static Double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : null;
    }

    synchronized List<Point> points() {
        return List.copyOf(points);
    }

    @Override
    public void destroy() {
        sampler.shutdownNow();
    }
}
