package io.polyphony.ingest.api;

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

    RedisMemoryHealthIndicator(ObjectProvider<UnifiedJedis> redis) {
        super("Redis memory could not be read");
        this.redis = redis;
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
        if (m.roomsThatFit().isPresent()) {
            builder.withDetail("roomsThatStillFit", m.roomsThatFit().getAsLong());
        } else {
            builder.withDetail("roomsThatStillFit", "unknown until a room is stored (nothing measured yet)");
        }
    }

    private static double round(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.1f", v));
    }
}
