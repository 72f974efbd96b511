package io.polyphony.ingest.roomindex;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Retries what fails because Redis cannot be reached, with exponential backoff: a connection error, a
 * cluster that could not route the command (a master down or failing over: {@code CLUSTERDOWN},
 * {@code TRYAGAIN}, no more attempts), a server still loading its data ({@code LOADING}), one refusing writes because
 * it cannot persist them ({@code MISCONF}), a replica after a failover ({@code READONLY}) or a server busy with a
 * script ({@code BUSY}). Other data
 * errors ({@code JedisDataException}) are not retried. When Redis stays down, the last error propagates with
 * a message saying so, so the step fails and the run can be restarted later.
 */
public final class Retrying {

    private static final Logger log = LoggerFactory.getLogger(Retrying.class);

    private final int attempts;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private final Runnable onUnavailable;

    public Retrying(int attempts, Duration firstDelay, Duration maxDelay) {
        this(attempts, firstDelay, maxDelay, () -> { });
    }

    /**
     * @param onUnavailable run before each retry: dropping the pools' idle connections, which a restarted or killed
     *                      server has closed, so that the retry opens a fresh one instead of drawing the next dead one
     */
    public Retrying(int attempts, Duration firstDelay, Duration maxDelay, Runnable onUnavailable) {
        this.onUnavailable = onUnavailable;
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
        this.attempts = attempts;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
    }

    public static Retrying defaults() {
        return new Retrying(6, Duration.ofMillis(250), Duration.ofSeconds(8));
    }

    public <T> T call(String what, Supplier<T> action) {
        long delay = firstDelay.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return action.get();
            } catch (JedisException e) {
                if (!unavailable(e)) {
                    throw e;
                }
                if (attempt >= attempts) {
                    throw new RedisUnavailableException("Redis unavailable while " + what + " (gave up after "
                            + attempts + " attempts): " + e.getMessage(), e);
                }
                log.warn("Redis unavailable while {} (attempt {} of {}), retrying in {} ms: {}", what, attempt,
                        attempts, delay, e.getMessage());
                try {
                    onUnavailable.run();
                } catch (RuntimeException ignored) {
                    // the pools are best effort; the retry itself says whether Redis is back
                }
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new RedisUnavailableException("interrupted while waiting for Redis", e);
                }
                delay = Math.min(maxDelay.toMillis(), delay * 2);
            }
        }
    }

    /** True for the errors that mean "Redis is not reachable now", as opposed to a refused command. */
    public static boolean unavailable(JedisException e) {
        if (e instanceof JedisConnectionException || e instanceof JedisClusterOperationException) {
            return true;
        }
        String m = String.valueOf(e.getMessage());
        return e instanceof JedisDataException && (m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN")
                || m.startsWith("LOADING") || m.startsWith("MASTERDOWN") || m.startsWith("MISCONF")
                || m.startsWith("READONLY") || m.startsWith("BUSY"));
    }

    public static final class RedisUnavailableException extends RuntimeException {
        public RedisUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
