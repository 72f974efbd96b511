package io.polyphony.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.testing.RedisTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code capacity --json --memory 3GB} through the packaged jar, on its embedded Redis, as a user runs it. */
class CapacityCommandIT {

    static final Path JAR = Path.of("target/polyphony-ingest.jar").toAbsolutePath();

    @TempDir
    Path work;

    @Test
    void printsRoomsPerInstanceSizeFromAMeasuredBytesPerChunk() throws Exception {
        int port = RedisTestServer.freePort();
        Path out = work.resolve("out.json");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                JAR.toString(), "capacity", "--json", "--memory", "3GB", "--polyphony.data-dir=" + work.resolve("data"),
                "--polyphony.redis.embedded-port=" + port))
                .directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(work.resolve("err.txt").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(work.resolve("err.txt"))).isZero();
        JsonNode r = JsonMapper.shared().readTree(Files.readString(out));
        long perChunk = r.get("bytesPerChunk").asLong();
        assertThat(perChunk).isBetween(3072L + 400, 6000L); // a 3,072-byte vector and ~480 bytes of text, plus overhead
        assertThat(r.get("vectorBytes").asInt()).isEqualTo(3072);
        assertThat(r.get("layout").asString()).isEqualTo("scan"); // the bundled 7.0.15 has neither VADD nor FT.CREATE
        assertThat(r.get("shards").get("perShard")).hasSize(1);
        for (String scenario : List.of("small", "medium", "large", "huge", "mixed")) {
            JsonNode rooms = r.get("scenarios").get(scenario).get("rooms");
            assertThat(rooms.propertyNames()).contains("256 MB", "512 MB", "1 GB", "2 GB", "3 GB", "4 GB");
            assertThat(rooms.get("1 GB").asLong()).isPositive().isLessThan(rooms.get("2 GB").asLong());
        }
        // huge rooms are 1,000 chunks: what fits in 1 GB follows from the measured bytes, not a constant
        double usable = (1L << 30) * 0.8 - r.get("redisBaselineBytes").asLong();
        long expected = (long) Math.floor(usable / (1000.0 * perChunk + r.get("roomOverheadBytes").asLong()));
        assertThat(r.get("scenarios").get("huge").get("rooms").get("1 GB").asLong()).isEqualTo(expected);
        try (var j = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
            j.shutdown(); // the embedded server outlives the command, as it would for the next command
        } catch (RuntimeException ignored) {
            // already gone
        }
    }
}
