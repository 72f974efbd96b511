package io.polyphony.ingest.budget;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.Sizes;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * Admits a document into Redis only when it fits the memory budget: Redis's used memory plus the bytes
 * the document will take (its chunks × the measured bytes of a chunk) must stay within the budget (a share
 * of {@code maxmemory}, or a configured size when {@code maxmemory} is 0). Under pressure it evicts the
 * least recently active room that has been inactive long enough, records why, and tries again; when
 * nothing can go, the document fails with {@code memory_budget} and can be replayed later.
 */
public class MemoryGuard {

    private static final Logger log = LoggerFactory.getLogger(MemoryGuard.class);
    /** Chunk keys sampled to measure what a chunk takes. */
    private static final int SAMPLED_CHUNKS = 32;

    private final UnifiedJedis redis;
    private final RoomIndex rooms;
    private final Evictions evictions;
    private final double fraction;
    private final long configuredBytes;
    private final Duration inactiveAfter;
    private final Clock clock;

    public MemoryGuard(UnifiedJedis redis, RoomIndex rooms, Evictions evictions, double fraction, long configuredBytes,
                       Duration inactiveAfter, Clock clock) {
        this.redis = redis;
        this.rooms = rooms;
        this.evictions = evictions;
        this.fraction = fraction;
        this.configuredBytes = configuredBytes;
        this.inactiveAfter = inactiveAfter;
        this.clock = clock;
    }

    /** The budget in bytes and how it was set; bytes 0 means no budget (no maxmemory and none configured). */
    public record Budget(long bytes, String source) {
    }

    public Budget budget() {
        long max = RedisMemory.Info.read(redis).maxmemory();
        if (max > 0) {
            return new Budget((long) (max * fraction), Math.round(fraction * 100) + " % of maxmemory " + Sizes.human(max));
        }
        if (configuredBytes > 0) {
            return new Budget(configuredBytes, "polyphony.budget.memory " + Sizes.human(configuredBytes));
        }
        return new Budget(0, "none (maxmemory is 0 and polyphony.budget.memory is not set)");
    }

    /**
     * Bytes one chunk of about {@code payloadBytes} (content + vector) takes: measured with {@code MEMORY USAGE}
     * on chunks already stored, scaled to this payload; before any chunk is stored, a first guess.
     */
    public long bytesPerChunk(long payloadBytes) {
        List<String> keys = new ArrayList<>();
        long storedPayload = 0;
        for (String room : redis.zrevrange(RoomKeys.ROOMS, 0, 2)) {
            if (!RoomKeys.isValidRoom(room)) {
                continue;
            }
            for (String doc : redis.srandmember(RoomKeys.docs(room), 4)) {
                String chunks = redis.hget(RoomKeys.doc(room, doc), "chunks");
                int n = chunks == null ? 0 : Integer.parseInt(chunks);
                for (int i = 0; i < n && keys.size() < SAMPLED_CHUNKS; i += Math.max(1, n / 8)) {
                    String k = RoomKeys.chunk(room, doc, i);
                    keys.add(k);
                    storedPayload += redis.hstrlen(k, "content") + redis.hstrlen(k, "embedding");
                }
            }
        }
        if (keys.isEmpty() || storedPayload == 0) {
            return payloadBytes + payloadBytes / 4 + 256; // first guess; replaced by measurement once a chunk exists
        }
        long measured = RoomFootprint.usage(redis, keys);
        double overheadPerPayloadByte = (double) measured / storedPayload;
        return Math.max(1, Math.round(payloadBytes * overheadPerPayloadByte));
    }

    /**
     * Makes room for a document of {@code chunks} chunks with {@code payloadBytes} of content and vectors in
     * total, evicting inactive rooms (never {@code room} itself) as needed. Empty when it may be written.
     */
    public Optional<Problem> admit(String room, int chunks, long payloadBytes) {
        Budget budget = budget();
        if (budget.bytes() == 0 || chunks == 0) {
            return Optional.empty();
        }
        long needed = chunks * bytesPerChunk(Math.max(1, payloadBytes / chunks));
        while (true) {
            long used = RedisMemory.Info.read(redis).usedBytes();
            if (used + needed <= budget.bytes()) {
                return Optional.empty();
            }
            Optional<Tuple> victim = leastRecentlyActiveInactive(room);
            if (victim.isEmpty()) {
                return Optional.of(new Problem(Reason.MEMORY_BUDGET, String.format(
                        "Redis memory budget: %s used + %s for this document (%d chunks) > %s budget (%s); no room has"
                                + " been inactive for %s to evict; replay the run later",
                        Sizes.human(used), Sizes.human(needed), chunks, Sizes.human(budget.bytes()), budget.source(),
                        inactiveAfter)));
            }
            evict(victim.get(), String.format("memory pressure: %s used + %s needed for room %s > %s budget (%s)",
                    Sizes.human(used), Sizes.human(needed), room, Sizes.human(budget.bytes()), budget.source()));
        }
    }

    private Optional<Tuple> leastRecentlyActiveInactive(String except) {
        long cutoff = clock.millis() - inactiveAfter.toMillis();
        for (Tuple t : redis.zrangeWithScores(RoomKeys.ROOMS, 0, -1)) { // ascending: least recently active first
            if (t.getScore() > cutoff) {
                return Optional.empty(); // every later room is more recent still
            }
            if (!t.getElement().equals(except) && RoomKeys.isValidRoom(t.getElement())) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private void evict(Tuple victim, String why) {
        String room = victim.getElement();
        RoomFootprint footprint = RoomFootprint.measureRoom(redis, room);
        long before = RedisMemory.Info.read(redis).usedBytes();
        RoomIndex.Deleted d = rooms.deleteRoom(room);
        long after = RedisMemory.Info.read(redis).usedBytes();
        Instant lastActive = Instant.ofEpochMilli((long) victim.getScore());
        evictions.record(new Evictions.Eviction(room, clock.instant(), lastActive, why, footprint.bytes(), d.chunks(),
                d.documents()));
        log.warn("evicted room {} (last active {}, {} chunks, {} docs, {} by MEMORY USAGE, used_memory fell by {}): {}",
                room, lastActive, d.chunks(), d.documents(), Sizes.human(footprint.bytes()), Sizes.human(before - after), why);
    }
}
