package io.polyphony.ingest.testing;

import java.io.IOException;
import java.net.ServerSocket;
import io.polyphony.ingest.roomindex.RedisTopology;
import redis.clients.jedis.RedisClient;
import redis.embedded.RedisServer;

/** A real redis-server (the one embedded-redis bundles) on a free port, one per test JVM. */
public final class RedisTestServer {

    private static RedisServer server;
    private static int port;
    private static RedisClient client;
    private static RedisTopology topology;

    private RedisTestServer() {
    }

    public static synchronized RedisClient client() {
        if (client == null) {
            port = freePort();
            server = RedisServer.builder().port(port).setting("bind 127.0.0.1").setting("save \"\"")
                    .setting("appendonly no").build();
            server.start();
            client = RedisClient.create("127.0.0.1", port);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                client.close();
                server.stop();
            }));
        }
        return client;
    }

    /** The same server as a topology (one standalone shard), for room indexes. */
    public static synchronized RedisTopology topology() {
        if (topology == null) {
            topology = RedisTopology.connect("127.0.0.1", port());
        }
        return topology;
    }

    public static int port() {
        client();
        return port;
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
