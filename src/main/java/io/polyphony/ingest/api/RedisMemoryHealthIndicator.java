package io.polyphony.ingest.api;

import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.RedisMemory;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health} component {@code redisMemory}, per shard ({@code shards}) and in total: DEGRADED when
 * any shard is at 90 % of its limit, DOWN when Redis cannot be read. A request reads the last measurement
 * ({@code measuredAt}); measuring ({@code INFO} per shard, {@code MEMORY USAGE} over sampled keys) happens in the
 * background every {@link #REFRESH}, never per request.
 */
@Component("redisMemory")
@ConditionalOnWebApplication
class RedisMemoryHealthIndicator extends AbstractHealthIndicator implements org.springframework.beans.factory.DisposableBean {

    static final java.time.Duration REFRESH = java.time.Duration.ofSeconds(10);

    static final Status DEGRADED = new Status("DEGRADED", "Redis memory at or above 90 % of its limit");
    private static final double MB = 1024.0 * 1024.0;

    private final ObjectProvider<RoomIndex> rooms;
    private final ObjectProvider<MemoryGuard> guard;

    RedisMemoryHealthIndicator(ObjectProvider<RoomIndex> rooms, ObjectProvider<MemoryGuard> guard) {
        super("Redis memory could not be read");
        this.rooms = rooms;
        this.guard = guard;
    }

    private volatile Health last;
    private java.util.concurrent.ScheduledExecutorService refresher;

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Health h = current(); // the first request measures once; from then on the background does
        builder.status(h.getStatus()).withDetails(h.getDetails());
    }

    private synchronized void startRefreshing() {
        if (refresher == null) {
            refresher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "health-measure");
                t.setDaemon(true);
                return t;
            });
            refresher.scheduleWithFixedDelay(this::refresh, REFRESH.toMillis(), REFRESH.toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** The last measurement, measuring first if there is none yet; from then on the background keeps it fresh. */
    Health current() {
        Health h = last;
        if (h == null) {
            h = refresh();
        }
        startRefreshing();
        return h;
    }

    /** Measures now and keeps the result for the health requests to come. */
    Health refresh() {
        Health.Builder b = Health.unknown();
        try {
            measure(b);
        } catch (RuntimeException e) {
            b.down(e);
        }
        Health h = b.withDetail("measuredAt", java.time.Instant.now().toString()).build();
        last = h;
        return h;
    }

    @Override
    public synchronized void destroy() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    private void measure(Health.Builder builder) {
        RoomIndex index = rooms.getObject();
        RedisMemory m = RedisMemory.read(index);
        long perRoom = m.bytesPerRoom().orElse(0);
        List<Map<String, Object>> shards = new ArrayList<>();
        long budgetTotal = 0;
        long fitTotal = 0;
        List<RedisTopology.Shard> topology = index.topology().shards();
        for (int i = 0; i < m.shards().size(); i++) {
            RedisMemory.ShardMemory s = m.shards().get(i);
            // rooms fit within the ingest's memory budget where there is one, else within the limit
            MemoryGuard.Budget budget = guard.getObject().budget(topology.get(i));
            long limit = budget.bytes() > 0 ? budget.bytes() : s.maxBytes();
            long fit = perRoom > 0 ? Math.max(0, (limit - s.usedBytes()) / perRoom) : 0;
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("shard", s.shard());
            d.put("usedMemoryMb", round(s.usedBytes() / MB));
            d.put("maxMemoryMb", round(s.maxBytes() / MB));
            d.put("maxMemorySource", s.maxFromConfig() ? "maxmemory" : "system memory (maxmemory is 0)");
            d.put("utilisationPercent", round(100 * s.utilisation()));
            d.put("activeRooms", s.rooms());
            d.put("budgetMb", round(limit / MB));
            d.put("budgetSource", budget.bytes() > 0 ? budget.source()
                    : "no memory budget: " + (s.maxFromConfig() ? "maxmemory" : "system memory"));
            if (perRoom > 0) {
                d.put("roomsThatStillFit", fit);
            }
            shards.add(d);
            budgetTotal += limit;
            fitTotal += fit;
        }
        builder.status(m.degraded() ? DEGRADED : Status.UP)
                .withDetail("layout", index.layout().name())
                .withDetail("cluster", index.topology().cluster())
                .withDetail("usedMemoryMb", round(m.usedBytes() / MB))
                .withDetail("maxMemoryMb", round(m.maxBytes() / MB))
                .withDetail("maxMemorySource", m.maxFromConfig() ? "maxmemory" : "system memory (maxmemory is 0)")
                .withDetail("utilisationPercent", round(100 * m.utilisation()))
                .withDetail("activeRooms", m.rooms())
                .withDetail("budgetMb", round(budgetTotal / MB))
                .withDetail("budgetSource", shards.get(0).get("budgetSource"));
        m.bytesPerRoom().ifPresent(b -> builder.withDetail("measuredBytesPerRoom", b));
        builder.withDetail("roomsThatStillFit", perRoom > 0 ? fitTotal
                : "unknown until a room is stored (nothing measured yet)");
        builder.withDetail("shards", shards);
    }

    private static double round(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.1f", v));
    }
}
