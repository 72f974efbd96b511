package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * What the app is connected to: one standalone Redis, or a Redis Cluster found through any of its nodes
 * ({@code INFO cluster} says {@code cluster_enabled:1}). It hands out the client for room commands
 * ({@link RedisClient} or {@link RedisClusterClient}) and the shards, one per master, each with a direct
 * connection for what is asked per server ({@code INFO memory}, {@code SCAN}).
 */
public final class RedisTopology implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisTopology.class);

    /** One master and the hash slots it serves ({@code [from, to]} pairs; standalone: all of them). */
    public record Shard(String name, UnifiedJedis node, List<int[]> slots) {

        public boolean serves(int slot) {
            for (int[] r : slots) {
                if (slot >= r[0] && slot <= r[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    private final UnifiedJedis client;
    private final boolean cluster;
    private final JedisClientConfig config;
    private final Map<String, RedisClient> nodes = new ConcurrentHashMap<>();
    private final Shard standalone;

    private RedisTopology(UnifiedJedis client, boolean cluster, JedisClientConfig config, String name) {
        this.client = client;
        this.cluster = cluster;
        this.config = config;
        this.standalone = cluster ? null : new Shard(name, client, List.<int[]>of(new int[] {0, 16383}));
    }

    /** Connects to {@code redis[s]://[user:password@]host:port[/db]}: a standalone server or any node of a cluster. */
    public static RedisTopology connect(URI uri) {
        HostAndPort at = JedisURIHelper.getHostAndPort(uri);
        // RESP2 whatever the server offers: the replies parsed here (CLUSTER SLOTS, VSIM, FT.SEARCH) are RESP2's
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2)
                .user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri));
        JedisClientConfig probeConfig = b.build();
        boolean cluster = clusterEnabled(at, probeConfig);
        if (cluster) {
            RedisClusterClient c = RedisClusterClient.builder().nodes(Set.of(at)).clientConfig(probeConfig).build();
            log.info("Redis at {} is a cluster node: using the cluster client ({} masters)", at, c.getClusterNodes().size());
            return new RedisTopology(c, true, probeConfig, at.toString());
        }
        if (JedisURIHelper.hasDbIndex(uri)) {
            b.database(JedisURIHelper.getDBIndex(uri));
        }
        JedisClientConfig config = b.build();
        return new RedisTopology(RedisClient.builder().hostAndPort(at).clientConfig(config).build(), false, config,
                at.toString());
    }

    public static RedisTopology connect(String host, int port) {
        return connect(URI.create("redis://" + host + ":" + port));
    }

    private static boolean clusterEnabled(HostAndPort at, JedisClientConfig config) {
        try (Jedis j = new Jedis(at, config)) {
            return RedisInfo.parse(j.info("cluster")).number("cluster_enabled") == 1;
        }
    }

    /** The client for room commands: keys are routed to their slot's master on a cluster. */
    public UnifiedJedis client() {
        return client;
    }

    public boolean cluster() {
        return cluster;
    }

    /** The masters now, by name; a standalone server is one shard that serves every slot. */
    public List<Shard> shards() {
        if (!cluster) {
            return List.of(standalone);
        }
        List<Shard> out = new ArrayList<>();
        for (Object range : clusterSlots()) {
            List<?> r = (List<?>) range;
            List<?> master = (List<?>) r.get(2);
            String host = new String((byte[]) master.get(0), UTF_8);
            int port = ((Long) master.get(1)).intValue();
            String name = host + ":" + port;
            int[] slots = {((Long) r.get(0)).intValue(), ((Long) r.get(1)).intValue()};
            Shard existing = out.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
            if (existing != null) {
                existing.slots().add(slots);
            } else {
                List<int[]> ranges = new ArrayList<>();
                ranges.add(slots);
                out.add(new Shard(name, node(host, port), ranges));
            }
        }
        out.sort(Comparator.comparing(Shard::name));
        return out;
    }

    /** The shard holding a room's keys (the slot of its {@code {roomId}} hash tag). */
    public Shard shardOf(String room) {
        int slot = slotOf(room);
        return shards().stream().filter(s -> s.serves(slot)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + " (room " + room + ")"));
    }

    public static int slotOf(String room) {
        return JedisClusterCRC16.getSlot(RoomKeys.meta(room));
    }

    /** {@code CLUSTER SLOTS} from the first node that answers. */
    private List<?> clusterSlots() {
        JedisException last = null;
        for (ConnectionPool pool : ((RedisClusterClient) client).getClusterNodes().values()) {
            try (Connection c = pool.getResource()) {
                return (List<?>) c.executeCommand(new CommandArguments(Protocol.Command.CLUSTER).add("SLOTS"));
            } catch (JedisException e) {
                last = e;
            }
        }
        throw last != null ? last : new IllegalStateException("no cluster node known");
    }

    /**
     * Closes the pools' idle connections (they are opened again on demand): after a server restart, a failover or
     * killed connections, they are all dead, and a retry drawing them one by one would fail as often as the pool is big.
     */
    public void dropIdleConnections() {
        if (client instanceof RedisClient c) {
            c.getPool().clear();
        } else if (client instanceof RedisClusterClient c) {
            c.getClusterNodes().values().forEach(ConnectionPool::clear);
        }
        nodes.values().forEach(n -> n.getPool().clear());
    }

    private UnifiedJedis node(String host, int port) {
        return nodes.computeIfAbsent(host + ":" + port,
                k -> RedisClient.builder().hostAndPort(host, port).clientConfig(config).build());
    }

    @Override
    public void close() {
        nodes.values().forEach(RedisClient::close);
        client.close();
    }
}
