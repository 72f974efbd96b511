package io.polyphony.ingest.roomindex;

import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;

/** A reply of {@code INFO <section>} as fields: the one parser of {@code INFO} text in the project. */
public record RedisInfo(Map<String, String> fields) {

    public static RedisInfo of(UnifiedJedis redis, String section) {
        return parse(redis.info(section));
    }

    public static RedisInfo parse(String info) {
        Map<String, String> out = new HashMap<>();
        for (String line : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return new RedisInfo(Map.copyOf(out));
    }

    /** The field as a number; 0 when it is absent or empty. */
    public long number(String field) {
        String v = fields.get(field);
        return v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }

    /** The field's text; {@code fallback} when it is absent. */
    public String text(String field, String fallback) {
        return fields.getOrDefault(field, fallback);
    }
}
