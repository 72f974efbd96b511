package io.polyphony.ingest.testing;

import io.polyphony.ingest.roomindex.RedisTopology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A real Redis 8 (Debian 13's redis-server 8.0.x, vector sets built in) on a free loopback port, made
 * runnable by {@code scripts/redis8.sh} (downloaded once, then cached). Not skipped when it cannot be had:
 * the tests that need it fail with the script's message.
 */
public final class Redis8TestServer implements AutoCloseable {

    private static Redis8TestServer shared;

    private final Process process;
    private final int port;
    private RedisTopology topology;

    private static String launcher;

    /** The launcher {@code scripts/redis8.sh} prints (it downloads Redis 8 on its first run, then reuses it). */
    public static synchronized String launcher() {
        if (launcher == null) {
            Path script = Path.of("scripts/redis8.sh").toAbsolutePath();
            try {
                Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || path.isEmpty()) {
                    throw new IllegalStateException(script + " could not provide a Redis 8 server (exit " + p.exitValue() + ")");
                }
                launcher = path;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return launcher;
    }

    /** Waits until the server on the port answers PING (20 s at most, and only while the process lives). */
    static void awaitPing(int port, Process process) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            try (Jedis j = new Jedis("127.0.0.1", port, 500)) {
                j.ping();
                return;
            } catch (JedisException e) {
                if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("Redis 8 did not start on port " + port, e);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
    }

    private Redis8TestServer(List<String> settings) {
        try {
            port = RedisTestServer.freePort();
            Path dir = Files.createTempDirectory("polyphony-redis8");
            List<String> command = new ArrayList<>(List.of(launcher(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString()));
            command.addAll(settings);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitPing(port, process);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
    }

    /** One server per test JVM, started on first use. */
    public static synchronized Redis8TestServer shared() {
        if (shared == null) {
            shared = new Redis8TestServer(List.of());
        }
        return shared;
    }

    /** A server of its own, with extra settings such as {@code "--maxmemory", "12mb"}; close it when done. */
    public static Redis8TestServer start(String... settings) {
        return new Redis8TestServer(List.of(settings));
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public synchronized RedisTopology topology() {
        if (topology == null) {
            topology = RedisTopology.connect("127.0.0.1", port);
        }
        return topology;
    }

    @Override
    public void close() {
        if (topology != null) {
            topology.close();
        }
        process.destroy();
    }
}
