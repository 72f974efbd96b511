package io.polyphony.ingest.testing;

import io.polyphony.ingest.roomindex.RedisInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;

/**
 * A real Redis Cluster of three masters (the bundled redis-server 7.0.15, or Redis 8 through
 * {@code scripts/redis8.sh}, with {@code cluster-enabled yes}) on free loopback ports, formed from Java ({@code CLUSTER ADDSLOTSRANGE}, {@code CLUSTER MEET}). Every node keeps
 * an append-only file ({@code appendfsync always}) in its own folder, so a master can be stopped and started
 * again with its data.
 */
public final class RedisClusterTestServer implements AutoCloseable {

    private static RedisClusterTestServer shared;

    /** One node of the cluster: a server that can be stopped and started again on its port with its data. */
    private interface Node {
        void start();

        void stop();

        boolean isActive();
    }

    /** The settings every node starts with, as {@code name value} pairs. */
    private static List<String[]> settings(Path dir) {
        return List.of(new String[] {"bind", "127.0.0.1"}, new String[] {"dir", dir.toString()},
                new String[] {"cluster-enabled", "yes"}, new String[] {"cluster-config-file", "nodes.conf"},
                new String[] {"cluster-node-timeout", "5000"}, new String[] {"cluster-require-full-coverage", "no"},
                new String[] {"appendonly", "yes"}, new String[] {"appendfsync", "always"}, new String[] {"save", ""});
    }

    private static Node embedded(int port, Path dir) {
        var builder = RedisServer.builder().port(port);
        for (String[] s : settings(dir)) {
            builder.setting(s[0] + " " + (s[1].isEmpty() || s[1].contains("/") ? "\"" + s[1] + "\"" : s[1]));
        }
        RedisServer server = builder.build();
        return new Node() {
            public void start() {
                server.start();
            }

            public void stop() {
                server.stop();
            }

            public boolean isActive() {
                return server.isActive();
            }
        };
    }

    private static Node redis8(int port, Path dir) {
        List<String> command = new ArrayList<>(List.of(Redis8TestServer.launcher(), "--port", Integer.toString(port)));
        for (String[] s : settings(dir)) {
            command.add("--" + s[0]);
            command.add(s[1]);
        }
        return new Node() {
            private Process process;

            public void start() {
                try {
                    process = new ProcessBuilder(command).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Redis8TestServer.awaitPing(port, process);
            }

            public void stop() {
                process.destroy();
                try {
                    process.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            public boolean isActive() {
                return process != null && process.isAlive();
            }
        };
    }

    private final List<Integer> ports = new ArrayList<>();
    private final List<Node> servers = new ArrayList<>();

    /** Three masters of the bundled redis-server 7.0.15. */
    public RedisClusterTestServer(int masters) {
        this(masters, false);
    }

    /** Masters of the bundled 7.0.15, or of Redis 8 (vector sets) when {@code redis8}. */
    public RedisClusterTestServer(int masters, boolean redis8) {
        Path root;
        try {
            root = Files.createTempDirectory("polyphony-cluster");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < masters; i++) {
            int port = RedisTestServer.freePort();
            Path dir = root.resolve(Integer.toString(port));
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Node s = redis8 ? redis8(port, dir) : embedded(port, dir);
            s.start();
            ports.add(port);
            servers.add(s);
        }
        int per = 16384 / masters;
        for (int i = 0; i < masters; i++) {
            int from = i * per;
            int to = i == masters - 1 ? 16383 : from + per - 1;
            try (Jedis j = new Jedis("127.0.0.1", ports.get(i))) {
                j.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER, "ADDSLOTSRANGE", Integer.toString(from),
                        Integer.toString(to));
            }
        }
        try (Jedis first = new Jedis("127.0.0.1", ports.get(0))) {
            for (int i = 1; i < masters; i++) {
                first.clusterMeet("127.0.0.1", ports.get(i));
            }
        }
        awaitReady(masters);
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    }

    /** One three-master cluster per test JVM, formed on first use. */
    public static synchronized RedisClusterTestServer shared() {
        if (shared == null) {
            shared = new RedisClusterTestServer(3);
        }
        return shared;
    }

    /** Waits until every node sees the whole cluster and every slot served. */
    private void awaitReady(int masters) {
        long deadline = System.currentTimeMillis() + 30_000;
        for (int port : ports) {
            while (true) {
                try (Jedis j = new Jedis("127.0.0.1", port)) {
                    RedisInfo info = RedisInfo.parse(j.clusterInfo());
                    if ("ok".equals(info.text("cluster_state", "")) && info.number("cluster_known_nodes") == masters
                            && info.number("cluster_slots_ok") == 16384) {
                        break;
                    }
                } catch (RuntimeException e) {
                    // still starting
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("Redis Cluster on ports " + ports + " did not become ready in 30 s");
                }
                sleep(100);
            }
        }
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** {@code redis://} address of one node: the app finds the rest. */
    public String url() {
        return "redis://127.0.0.1:" + ports.get(0);
    }

    public int indexOf(String shardName) {
        return ports.indexOf(Integer.parseInt(shardName.substring(shardName.lastIndexOf(':') + 1)));
    }

    /** Stops a master the way an operator's restart does (SIGTERM: its append-only file is complete). */
    public void stop(int master) {
        servers.get(master).stop();
    }

    /** Starts a stopped master again on its port, with its data and its cluster configuration. */
    public void start(int master) {
        servers.get(master).start();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        for (Node s : servers) {
            if (s.isActive()) {
                s.stop();
            }
        }
    }
}
