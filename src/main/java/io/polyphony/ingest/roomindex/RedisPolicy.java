package io.polyphony.ingest.roomindex;

import redis.clients.jedis.UnifiedJedis;

/**
 * Refuses a Redis that would evict our keys on its own: with an {@code allkeys-*} or {@code volatile-*}
 * {@code maxmemory-policy} it could delete a room's chunks one by one, leaving documents half there. We
 * evict whole rooms ourselves (see budget.MemoryGuard), so the policy must be {@code noeviction}.
 */
public final class RedisPolicy {

    private RedisPolicy() {
    }

    public static void requireNoEviction(UnifiedJedis redis) {
        String policy = null;
        for (String line : redis.info("memory").split("\r?\n")) {
            if (line.startsWith("maxmemory_policy:")) {
                policy = line.substring("maxmemory_policy:".length()).strip();
            }
        }
        refuseEvictingPolicy(policy);
    }

    static void refuseEvictingPolicy(String policy) {
        if (policy != null && (policy.startsWith("allkeys-") || policy.startsWith("volatile-"))) {
            throw new IllegalStateException("Redis maxmemory-policy is '" + policy + "': Redis would delete room keys on"
                    + " its own, leaving documents half there. Set 'maxmemory-policy noeviction' (CONFIG SET"
                    + " maxmemory-policy noeviction); polyphony evicts whole inactive rooms itself.");
        }
    }
}
