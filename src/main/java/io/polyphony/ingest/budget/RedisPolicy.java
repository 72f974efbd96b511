package io.polyphony.ingest.budget;

import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RedisTopology;

/**
 * Refuses a Redis that would evict our keys on its own: with an {@code allkeys-*} or {@code volatile-*}
 * {@code maxmemory-policy} it could delete a room's chunks one by one, leaving documents half there. We
 * evict whole rooms ourselves (see {@link MemoryGuard}), so the policy must be {@code noeviction} on every
 * master.
 */
public final class RedisPolicy {

    private RedisPolicy() {
    }

    public static void requireNoEviction(RedisTopology topology) {
        for (RedisTopology.Shard shard : topology.shards()) {
            refuseEvictingPolicy(shard.name(), RedisInfo.of(shard.node(), "memory").text("maxmemory_policy", null));
        }
    }

    static void refuseEvictingPolicy(String server, String policy) {
        if (policy != null && (policy.startsWith("allkeys-") || policy.startsWith("volatile-"))) {
            throw new IllegalStateException("Redis maxmemory-policy is '" + policy + "' on " + server + ": Redis would"
                    + " delete room keys on its own, leaving documents half there. Set 'maxmemory-policy noeviction'"
                    + " (CONFIG SET maxmemory-policy noeviction); polyphony evicts whole inactive rooms itself.");
        }
    }
}
