package io.polyphony.ingest.roomindex;

import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Picks the index layout ({@code polyphony.index}): {@code auto} takes {@code vectorset} when the server
 * has {@code VADD}, {@code search} when it has {@code FT.CREATE}, {@code scan} otherwise, asked with
 * {@code COMMAND INFO} (never from a version number). Naming a layout the server cannot serve is refused.
 */
public final class IndexLayouts {

    private static final Logger log = LoggerFactory.getLogger(IndexLayouts.class);

    public static final List<String> NAMES = List.of("auto", "vectorset", "search", "scan");

    private IndexLayouts() {
    }

    /**
     * @param redis        the client room commands go through
     * @param server       one server of the deployment, asked what it has (a shard's master on a cluster)
     * @param setting      {@code auto}, {@code vectorset}, {@code search} or {@code scan}
     * @param vectorSets   how vector sets are built (quantization, M)
     */
    public static IndexLayout choose(UnifiedJedis redis, UnifiedJedis server, String setting,
                                     VectorSetLayout.Options vectorSets) {
        String s = setting == null || setting.isBlank() ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(s)) {
            throw new IllegalArgumentException("polyphony.index must be one of " + NAMES + ", not '" + setting + "'");
        }
        boolean vadd = has(server, "VADD");
        boolean ft = has(server, "FT.CREATE");
        IndexLayout layout = switch (s) {
            case "vectorset" -> {
                require(vadd, "vectorset", "VADD (Redis 8 vector sets)");
                yield new VectorSetLayout(redis, vectorSets);
            }
            case "search" -> {
                require(ft, "search", "FT.CREATE (the search module)");
                yield new SearchLayout(redis);
            }
            case "scan" -> new ScanLayout(redis);
            default -> vadd ? new VectorSetLayout(redis, vectorSets) : ft ? new SearchLayout(redis) : new ScanLayout(redis);
        };
        log.info("index layout {} (polyphony.index={}; server has VADD: {}, FT.CREATE: {})", layout.name(), s, vadd, ft);
        return layout;
    }

    /** The layout a room was written in (its meta hash's {@code layout}), for reading it. */
    public static IndexLayout forRoom(String recorded, IndexLayout configured, UnifiedJedis redis) {
        boolean inVectorSet = "vectorset".equals(recorded);
        if (inVectorSet == configured.vectorSet()) {
            return configured;
        }
        return inVectorSet ? new VectorSetLayout(redis, VectorSetLayout.Options.DEFAULTS) : new ScanLayout(redis);
    }

    /** Whether the server knows the command ({@code COMMAND INFO} answers nil for an unknown one). */
    public static boolean has(UnifiedJedis server, String command) {
        try {
            Object reply = server.sendCommand(Protocol.Command.COMMAND, "INFO", command);
            return reply instanceof List<?> l && !l.isEmpty() && l.get(0) != null;
        } catch (JedisDataException e) {
            return false; // COMMAND refused (an ACL): assume the plainest server
        }
    }

    private static void require(boolean present, String layout, String what) {
        if (!present) {
            throw new IllegalStateException("polyphony.index=" + layout + " needs a Redis with " + what
                    + ", which this server does not have; use polyphony.index=auto");
        }
    }
}
