package io.polyphony.ingest.api;

import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.RedisMemory;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;
import redis.clients.jedis.UnifiedJedis;

/** {@code /actuator/health} component {@code redisMemory}: DEGRADED at 90 % of the limit, DOWN when Redis is. */
@Component("redisMemory")
@ConditionalOnWebApplication
class RedisMemoryHealthIndicator extends AbstractHealthIndicator {

    static final Status DEGRADED = new Status("DEGRADED", "Redis memory at or above 90 % of its limit");
    private static final double MB = 1024.0 * 1024.0;

    private final ObjectProvider<UnifiedJedis> redis;
    private final ObjectProvider<MemoryGuard> guard;

    RedisMemoryHealthIndicator(ObjectProvider<UnifiedJedis> redis, ObjectProvider<MemoryGuard> guard) {
        super("Redis memory could not be read");
        this.redis = redis;
        this.guard = guard;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        RedisMemory m = RedisMemory.read(redis.getObject());
        builder.status(m.degraded() ? DEGRADED : Status.UP)
                .withDetail("usedMemoryMb", round(m.usedBytes() / MB))
                .withDetail("maxMemoryMb", round(m.maxBytes() / MB))
                .withDetail("maxMemorySource", m.maxFromConfig() ? "maxmemory" : "system memory (maxmemory is 0)")
                .withDetail("utilisationPercent", round(100 * m.utilisation()))
                .withDetail("activeRooms", m.rooms());
        m.bytesPerRoom().ifPresent(b -> builder.withDetail("measuredBytesPerRoom", b));
        // rooms fit within the ingest's memory budget where there is one, else within the limit above
        MemoryGuard.Budget budget = guard.getObject().budget();
        long limit = budget.bytes() > 0 ? budget.bytes() : m.maxBytes();
        builder.withDetail("budgetMb", round(limit / MB)).withDetail("budgetSource", budget.bytes() > 0 ? budget.source()
                : "no memory budget: " + (m.maxFromConfig() ? "maxmemory" : "system memory"));
        if (m.bytesPerRoom().isPresent()) {
            builder.withDetail("roomsThatStillFit", Math.max(0, (limit - m.usedBytes()) / m.bytesPerRoom().getAsLong()));
        } else {
            builder.withDetail("roomsThatStillFit", "unknown until a room is stored (nothing measured yet)");
        }
    }

    private static double round(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.1f", v));
    }
}
