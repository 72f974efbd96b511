package io.polyphony.ingest.roomindex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.embedded.RedisServer;

/**
 * The default Redis: redis-server 7.0.15 from the embedded-redis jar, on 127.0.0.1, with append-only
 * persistence (fsync every second) in the data folder, so restarting the app keeps every room. A server
 * left running on the port by a killed process is reused when it serves the same folder.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedRedis.class);

    private final java.util.concurrent.CompletableFuture<RedisServer> server;
    private final int port;

    private EmbeddedRedis(java.util.concurrent.CompletableFuture<RedisServer> server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts the server (or finds it running) and returns once it answers. */
    public static EmbeddedRedis start(Path dir, int port) {
        EmbeddedRedis r = startInBackground(dir, port);
        r.port();
        return r;
    }

    /**
     * Starts the server on another thread (extracting the binary and starting it take about a second), so a command
     * can go on starting; {@link #port} waits for it and rethrows what went wrong.
     */
    public static EmbeddedRedis startInBackground(Path dir, int port) {
        java.util.concurrent.CompletableFuture<RedisServer> f = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(startNow(dir, port));
            } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
            }
        }, "embedded-redis-start");
        t.setDaemon(true);
        t.start();
        return new EmbeddedRedis(f, port);
    }

    /** The server this process started, or null when one already running is reused. */
    private static RedisServer startNow(Path dir, int port) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + abs, e);
        }
        String running = runningDir(port);
        if (running != null) {
            if (Path.of(running).normalize().equals(abs)) {
                log.info("reusing the redis-server already running on port {} for {}", port, abs);
                return null;
            }
            throw new IllegalStateException("port " + port + " is used by another Redis (data in " + running
                    + "); set polyphony.redis.embedded-port or REDIS_URL");
        }
        RedisServer server = RedisServer.builder().port(port)
                .setting("bind 127.0.0.1")
                .setting("dir \"" + abs + "\"")
                .setting("appendonly yes")
                .setting("appendfsync everysec")
                .setting("save \"\"")
                .build();
        server.start();
        log.info("embedded redis-server started on 127.0.0.1:{} with append-only data in {}", port, abs);
        return server;
    }

    /** The data folder of a Redis answering on the port, or null when none answers. */
    private static String runningDir(int port) {
        try (Jedis j = new Jedis("127.0.0.1", port, 500)) {
            j.ping();
            List<String> dir = j.configGet("dir").values().stream().toList();
            return dir.isEmpty() ? "?" : dir.get(0);
        } catch (JedisException e) {
            return null;
        }
    }

    /** The port, once the server answers on it. */
    public int port() {
        try {
            server.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
        return port;
    }

    @Override
    public void close() {
        RedisServer s;
        try {
            s = server.join();
        } catch (RuntimeException e) {
            return; // never started
        }
        if (s != null) {
            s.stop();
        }
    }
}
