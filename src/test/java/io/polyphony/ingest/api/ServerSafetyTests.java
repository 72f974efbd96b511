package io.polyphony.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.schedule.DeclaredJobs;
import io.polyphony.ingest.schedule.JobSpecs;
import io.polyphony.ingest.testing.RedisClusterTestServer;
import io.polyphony.ingest.testing.RedisTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import redis.clients.jedis.UnifiedJedis;
import redis.embedded.RedisServer;

/** What keeps the server from starting unsafe, and the health status near the memory limit. */
class ServerSafetyTests {

    @TempDir
    Path dir;

    static PolyphonyProperties props(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("polyphony", PolyphonyProperties.class);
    }

    @Test
    void servingBeyondLoopbackWithoutAnApiKeyIsRefused() {
        assertThatThrownBy(() -> new ApiKeyFilter(props(Map.of()), "0.0.0.0"))
                .hasMessageContaining("beyond loopback").hasMessageContaining("POLYPHONY_API_KEY");
        assertThatThrownBy(() -> new ApiKeyFilter(props(Map.of()), "")).hasMessageContaining("all interfaces");
        new ApiKeyFilter(props(Map.of()), "127.0.0.1");
        new ApiKeyFilter(props(Map.of()), "::1");
        new ApiKeyFilter(props(Map.of("polyphony.api-key", "k")), "0.0.0.0");
    }

    @Test
    void invalidJobSpecsStopTheServerNamingFileAndField() throws Exception {
        Path jobs = Files.createDirectories(dir.resolve("jobs"));
        Files.writeString(jobs.resolve("nightly.yaml"), "source: in\nschedule: every night\n");
        Files.writeString(jobs.resolve("other.yaml"), "source: in\nmodel: some-other-model\n");
        Map<String, String> p = Map.of("polyphony.jobs-dir", jobs.toString());
        assertThatThrownBy(() -> new DeclaredJobs(props(p), null)).isInstanceOf(JobSpecs.InvalidJobSpecsException.class)
                .hasMessageContaining("jobs/nightly.yaml: schedule:");
        Files.delete(jobs.resolve("nightly.yaml"));
        assertThatThrownBy(() -> new DeclaredJobs(props(p), null))
                .hasMessageContaining("jobs/other.yaml: model: 'some-other-model' is not the model this server embeds with");
        Files.writeString(jobs.resolve("other.yaml"), "source: in\n");
        assertThat(new DeclaredJobs(props(p), null).specs()).hasSize(1);
        assertThat(dir.resolve("in")).isDirectory(); // a job watching a folder nothing arrived in yet
    }

    @Test
    void healthDegradesAtNinetyPercentOfMaxmemory() {
        int port = RedisTestServer.freePort();
        RedisServer server = RedisServer.builder().port(port).setting("bind 127.0.0.1").setting("save \"\"")
                .setting("appendonly no").setting("maxmemory 8mb").setting("maxmemory-policy noeviction").build();
        server.start();
        try (RedisTopology topology = RedisTopology.connect("127.0.0.1", port)) {
            UnifiedJedis redis = topology.client();
            RoomIndex rooms = new RoomIndex(topology, Clock.systemUTC());
            DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:safety;DB_CLOSE_DELAY=-1");
            MemoryGuard guard = new MemoryGuard(rooms, new Evictions(new JdbcTemplate(ds)), 0.8, 0,
                    Duration.ofMinutes(30), Clock.systemUTC());
            StaticListableBeanFactory beans = new StaticListableBeanFactory();
            beans.addBean("rooms", rooms);
            beans.addBean("guard", guard);
            RedisMemoryHealthIndicator indicator = new RedisMemoryHealthIndicator(
                    beans.getBeanProvider(RoomIndex.class), beans.getBeanProvider(MemoryGuard.class));
            ModelInfo model = new ModelInfo("m", 768, 256);
            int doc = 0;
            Health h = indicator.health();
            Object measuredAt = h.getDetails().get("measuredAt");
            assertThat(measuredAt).isNotNull();
            assertThat(indicator.health().getDetails().get("measuredAt")).isEqualTo(measuredAt); // read, not measured
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            while ((double) redisUsed(redis) / (8 << 20) < 0.91) {
                List<ChunkRecord> chunks = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    chunks.add(new ChunkRecord("text " + i, new float[768]));
                }
                rooms.write(new DocumentWrite("full", "d" + doc, "f" + doc + ".md", "s" + doc, 1, chunks, 50, false, model, "r"));
                doc++;
            }
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP); // the last measurement, until the next
            indicator.refresh();
            h = indicator.health();
            assertThat(h.getStatus().getCode()).isEqualTo("DEGRADED");
            assertThat((Double) h.getDetails().get("utilisationPercent")).isGreaterThanOrEqualTo(90.0);
            assertThat(h.getDetails().get("activeRooms")).isEqualTo(1L);
            assertThat(h.getDetails().get("budgetSource")).asString().contains("80 % of maxmemory");
            assertThat(h.getDetails().get("roomsThatStillFit")).isEqualTo(0L); // over the 80 % budget already
        } finally {
            server.stop();
        }
    }

    @Test
    void onAClusterHealthReportsEveryMasterAndTheTotal() {
        RedisClusterTestServer cluster = RedisClusterTestServer.shared();
        try (RedisTopology topology = RedisTopology.connect(java.net.URI.create(cluster.url()))) {
            RoomIndex rooms = new RoomIndex(topology, Clock.systemUTC());
            DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:clusterhealth;DB_CLOSE_DELAY=-1");
            MemoryGuard guard = new MemoryGuard(rooms, new Evictions(new JdbcTemplate(ds)), 0.8, 0,
                    Duration.ofMinutes(30), Clock.systemUTC());
            ModelInfo model = new ModelInfo("m", 768, 256);
            for (int r = 0; r < 6; r++) {
                List<ChunkRecord> chunks = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    chunks.add(new ChunkRecord("text " + i, new float[768]));
                }
                rooms.write(new DocumentWrite("health-" + r, "d", "f.md", "s", 1, chunks, 10, false, model, "r"));
            }
            StaticListableBeanFactory beans = new StaticListableBeanFactory();
            beans.addBean("rooms", rooms);
            beans.addBean("guard", guard);
            Health h = new RedisMemoryHealthIndicator(beans.getBeanProvider(RoomIndex.class),
                    beans.getBeanProvider(MemoryGuard.class)).health();
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            assertThat(h.getDetails()).containsEntry("cluster", true).containsEntry("layout", "scan");
            List<?> shards = (List<?>) h.getDetails().get("shards");
            assertThat(shards).hasSize(3);
            double used = shards.stream().mapToDouble(s -> (Double) ((Map<?, ?>) s).get("usedMemoryMb")).sum();
            assertThat((Double) h.getDetails().get("usedMemoryMb")).isCloseTo(used, org.assertj.core.data.Offset.offset(0.5));
            long roomsOnShards = shards.stream().mapToLong(s -> (Long) ((Map<?, ?>) s).get("activeRooms")).sum();
            assertThat(roomsOnShards).isEqualTo((Long) h.getDetails().get("activeRooms"));
            assertThat(shards).allSatisfy(s -> assertThat(((Map<?, ?>) s).get("shard")).asString().startsWith("127.0.0.1:"));
            for (int r = 0; r < 6; r++) {
                rooms.deleteRoom("health-" + r);
            }
        }
    }

    private static long redisUsed(UnifiedJedis redis) {
        return RedisInfo.of(redis, "memory").number("used_memory");
    }
}
