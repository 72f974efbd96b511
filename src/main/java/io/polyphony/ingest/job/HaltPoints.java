package io.polyphony.ingest.job;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deterministic crash points for the fault tests: with the system property {@code polyphony.testing.halt-at} set to
 * {@code <point>} or {@code <point>:<n>}, the JVM halts the {@code n}th time (the first, without {@code n}) it reaches
 * that point, as {@code kill -9} would: no shutdown hook, no finally block, no commit. Unset (always, outside those
 * tests), a point costs one field read.
 *
 * <p>Points: {@code after-writes} (a transaction's files are written to Redis and recorded, its commit not yet made),
 * {@code recovery-claimed} (an interrupted execution claimed for recovery, not yet marked failed) and
 * {@code recovered} (marked failed, its run not yet restarted).
 */
public final class HaltPoints {

    private static final Logger log = LoggerFactory.getLogger(HaltPoints.class);
    private static final String SETTING = System.getProperty("polyphony.testing.halt-at", "");
    private static final Map<String, AtomicInteger> REACHED = new ConcurrentHashMap<>();

    private HaltPoints() {
    }

    static void reached(String point) {
        if (SETTING.isEmpty()) {
            return;
        }
        String[] p = SETTING.split(":");
        if (!p[0].equals(point)) {
            return;
        }
        int at = p.length > 1 ? Integer.parseInt(p[1]) : 1;
        if (REACHED.computeIfAbsent(point, k -> new AtomicInteger()).incrementAndGet() == at) {
            log.error("halting at {} ({}), as polyphony.testing.halt-at asks", point, at);
            Runtime.getRuntime().halt(137);
        }
    }
}
