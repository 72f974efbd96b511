package io.polyphony.ingest.budget;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.Sizes;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RedisTopology.Shard;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * Admits a document into Redis only when it fits the memory budget of the shard that holds its room (one
 * master of a cluster, or the one standalone server): the shard's used memory plus the bytes the document will
 * take (its chunks × the measured bytes of a chunk) must stay within the shard's budget (a share of its
 * {@code maxmemory}, or a configured size when {@code maxmemory} is 0). Under pressure it evicts the least
 * recently active room on that shard that has been inactive long enough, records why, and tries again; when
 * nothing can go, the document fails with {@code memory_budget}.
 */
public class MemoryGuard {

    private static final Logger log = LoggerFactory.getLogger(MemoryGuard.class);
    /** Chunk keys sampled to measure what a chunk takes. */
    private static final int SAMPLED_CHUNKS = 32;
    /** Least time between two rebuilds of the room registry when nothing can be evicted. */
    private static final Duration RECONCILE_EVERY = Duration.ofMinutes(1);

    private final RoomIndex rooms;
    private final RedisTopology topology;
    private final UnifiedJedis redis;
    private final Evictions evictions;
    private final double fraction;
    private final long configuredBytes;
    private final Duration inactiveAfter;
    private final Clock clock;
    private final AtomicLong lastReconciled = new AtomicLong(Long.MIN_VALUE);

    public MemoryGuard(RoomIndex rooms, Evictions evictions, double fraction, long configuredBytes,
                       Duration inactiveAfter, Clock clock) {
        this.rooms = rooms;
        this.topology = rooms.topology();
        this.redis = topology.client();
        this.evictions = evictions;
        this.fraction = fraction;
        this.configuredBytes = configuredBytes;
        this.inactiveAfter = inactiveAfter;
        this.clock = clock;
    }

    /** A shard's budget in bytes and how it was set; bytes 0 means no budget (no maxmemory and none configured). */
    public record Budget(long bytes, String source) {
    }

    public Budget budget(Shard shard) {
        return budget(RedisMemory.Info.read(shard.node()).maxmemory());
    }

    Budget budget(long maxmemory) {
        if (maxmemory > 0) {
            return new Budget((long) (maxmemory * fraction),
                    Math.round(fraction * 100) + " % of maxmemory " + Sizes.human(maxmemory));
        }
        if (configuredBytes > 0) {
            return new Budget(configuredBytes, "polyphony.budget.memory " + Sizes.human(configuredBytes));
        }
        return new Budget(0, "none (maxmemory is 0 and polyphony.budget.memory is not set)");
    }

    public Duration inactiveAfter() {
        return inactiveAfter;
    }

    /**
     * Bytes one chunk of about {@code payloadBytes} (content + vector as FLOAT32) takes: measured with
     * {@code MEMORY USAGE} on chunks already stored (their hash, and their share of the room's vector set in the
     * vectorset layout), scaled to this payload; before any chunk is stored, a first guess.
     */
    public long bytesPerChunk(long payloadBytes) {
        List<String> keys = new ArrayList<>();
        long storedPayload = 0;
        long vectorBytes = 0;
        for (String room : rooms.activity().mostRecentFirst(3)) {
            if (!RoomKeys.isValidRoom(room)) {
                continue;
            }
            String dims = redis.hget(RoomKeys.meta(room), "dims");
            int vector = dims == null ? 0 : 4 * Integer.parseInt(dims);
            int before = keys.size();
            for (String doc : redis.srandmember(RoomKeys.docs(room), 4)) {
                String chunks = redis.hget(RoomKeys.doc(room, doc), "chunks");
                int n = chunks == null ? 0 : Integer.parseInt(chunks);
                for (int i = 0; i < n && keys.size() < SAMPLED_CHUNKS; i += Math.max(1, n / 8)) {
                    String k = RoomKeys.chunk(room, doc, i);
                    keys.add(k);
                    storedPayload += redis.hstrlen(k, "content") + vector;
                }
            }
            if (rooms.layout().vectorSet() && keys.size() > before) {
                long card = redis.vcard(RoomKeys.vectors(room));
                Long usage = redis.memoryUsage(RoomKeys.vectors(room), 0);
                if (card > 0 && usage != null) {
                    vectorBytes += (keys.size() - before) * (usage / card);
                }
            }
        }
        if (keys.isEmpty() || storedPayload == 0) {
            return payloadBytes + payloadBytes / 4 + 256; // first guess; replaced by measurement once a chunk exists
        }
        long measured = RoomFootprint.usage(redis, keys) + vectorBytes;
        double overheadPerPayloadByte = (double) measured / storedPayload;
        return Math.max(1, Math.round(payloadBytes * overheadPerPayloadByte));
    }

    /**
     * Makes room for a document of {@code chunks} chunks with {@code payloadBytes} of content and vectors in
     * total, evicting inactive rooms of the same shard (never {@code room} itself) as needed. Empty when it may
     * be written.
     */
    public Optional<Problem> admit(String room, int chunks, long payloadBytes) {
        if (chunks == 0) {
            return Optional.empty();
        }
        Shard shard = topology.shardOf(room);
        Budget budget = budget(shard);
        if (budget.bytes() == 0) {
            return Optional.empty();
        }
        long needed = chunks * bytesPerChunk(Math.max(1, payloadBytes / chunks));
        boolean reconciled = false;
        while (true) {
            long used = RedisMemory.Info.read(shard.node()).usedBytes();
            if (used + needed <= budget.bytes()) {
                return Optional.empty();
            }
            Optional<Tuple> victim = leastRecentlyActiveInactive(room, shard);
            if (victim.isEmpty() && !reconciled && reconcileDue()) {
                // a room whose registry entry was lost in a crash is still a candidate: rebuild the registry, at
                // most once a minute (it scans every master's keys)
                log.info("no room to evict; registry of rooms reconciled with the rooms' meta hashes: {}",
                        rooms.activity().reconcile());
                reconciled = true;
                continue;
            }
            String where = topology.cluster() ? " on shard " + shard.name() : "";
            if (victim.isEmpty()) {
                return Optional.of(new Problem(Reason.MEMORY_BUDGET, String.format(
                        "Redis memory budget%s: %s used + %s for this document (%d chunks) > %s budget (%s); no room"
                                + " there has been inactive for %s to evict (memory is freed as rooms go idle or are deleted)",
                        where, Sizes.human(used), Sizes.human(needed), chunks, Sizes.human(budget.bytes()),
                        budget.source(), inactiveAfter)));
            }
            evict(victim.get(), String.format("memory pressure%s: %s used + %s needed for room %s > %s budget (%s)",
                    where, Sizes.human(used), Sizes.human(needed), room, Sizes.human(budget.bytes()), budget.source()),
                    shard);
        }
    }

    private boolean reconcileDue() {
        long now = clock.millis();
        long last = lastReconciled.get();
        return (last == Long.MIN_VALUE || now - last >= RECONCILE_EVERY.toMillis()) && lastReconciled.compareAndSet(last, now);
    }

    /** The least recently active room on the shard, other than {@code except}, idle for at least {@code inactiveAfter}. */
    private Optional<Tuple> leastRecentlyActiveInactive(String except, Shard shard) {
        long cutoff = clock.millis() - inactiveAfter.toMillis();
        for (Tuple t : rooms.activity().leastRecentFirst()) {
            if (t.getScore() > cutoff) {
                return Optional.empty(); // registry scores never run ahead of activity: every later room is more recent
            }
            String room = t.getElement();
            if (room.equals(except) || !RoomKeys.isValidRoom(room) || !shard.serves(RedisTopology.slotOf(room))) {
                continue;
            }
            Optional<Long> last = rooms.activity().lastActive(room);
            if (last.isEmpty()) {
                rooms.activity().forget(room); // a registry entry whose room is gone
                continue;
            }
            if (last.get() > cutoff) {
                rooms.activity().active(room, last.get()); // touched through its meta hash only: catch the registry up
                continue;
            }
            return Optional.of(new Tuple(room, (double) last.get()));
        }
        return Optional.empty();
    }

    private void evict(Tuple victim, String why, Shard shard) {
        String room = victim.getElement();
        RoomFootprint footprint = RoomFootprint.measureRoom(redis, room);
        // what the room holds, recorded with the eviction: a rehydrate rebuilds exactly these documents
        Map<String, String> held = new TreeMap<>();
        rooms.documents(room).forEach(doc -> held.put(doc.file(), doc.sha256() == null ? "" : doc.sha256()));
        long before = RedisMemory.Info.read(shard.node()).usedBytes();
        RoomIndex.Deleted d = rooms.deleteRoom(room);
        long after = RedisMemory.Info.read(shard.node()).usedBytes();
        Instant lastActive = Instant.ofEpochMilli((long) victim.getScore());
        evictions.record(new Evictions.Eviction(room, clock.instant(), lastActive, why, footprint.bytes(), d.chunks(),
                d.documents()), held);
        log.warn("evicted room {} (last active {}, {} chunks, {} docs, {} by MEMORY USAGE, used_memory fell by {}): {}",
                room, lastActive, d.chunks(), d.documents(), Sizes.human(footprint.bytes()), Sizes.human(before - after), why);
    }
}
