package io.polyphony.ingest.roomindex;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.CapacityReport;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.testing.RedisClusterTestServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/** Vector sets on a real three-master Redis 8 cluster: VADD and VREM inside the room's script, on its master. */
class VectorSetClusterTests {

    static final RedisClusterTestServer cluster = new RedisClusterTestServer(3, true);
    static final ModelInfo MODEL = new ModelInfo("test-model", 768, 256);

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void roomsOnEveryMasterGetTheirOwnVectorSet() {
        try (RedisTopology topology = RedisTopology.connect(URI.create(cluster.url()))) {
            RoomIndex index = new RoomIndex(topology, Clock.systemUTC());
            assertThat(topology.cluster()).isTrue();
            assertThat(index.layout().name()).isEqualTo("vectorset");
            Random random = new Random(5);
            Map<String, List<ChunkRecord>> written = new java.util.LinkedHashMap<>();
            Set<String> masters = new HashSet<>();
            for (int r = 0; r < 12; r++) {
                String room = "vc" + r;
                List<ChunkRecord> chunks = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    float[] v = new float[768];
                    double n = 0;
                    for (int j = 0; j < v.length; j++) {
                        v[j] = (float) random.nextGaussian();
                        n += v[j] * v[j];
                    }
                    for (int j = 0; j < v.length; j++) {
                        v[j] /= (float) Math.sqrt(n);
                    }
                    chunks.add(new ChunkRecord("room " + r + " chunk " + i, v));
                }
                index.write(new DocumentWrite(room, RoomKeys.docId(room, "a.md"), "a.md", "s" + r, 1, chunks, 20, false,
                        MODEL, "run"));
                written.put(room, chunks);
                RedisTopology.Shard shard = topology.shardOf(room);
                masters.add(shard.name());
                assertThat(shard.node().vcard(RoomKeys.vectors(room))).isEqualTo(20);
            }
            assertThat(masters).hasSize(3);
            for (Map.Entry<String, List<ChunkRecord>> e : written.entrySet()) {
                List<RoomIndex.Hit> hits = index.search(e.getKey(), e.getValue().get(7).embedding(), 3);
                assertThat(hits.get(0).ord()).isEqualTo(7);
                assertThat(hits.get(0).content()).isEqualTo(e.getValue().get(7).content());
            }
            DriverManagerDataSource ds = new DriverManagerDataSource("jdbc:h2:mem:vscluster;DB_CLOSE_DELAY=-1");
            new ResourceDatabasePopulator(new ClassPathResource("polyphony-schema.sql")).execute(ds);
            MemoryGuard guard = new MemoryGuard(index, new Evictions(new JdbcTemplate(ds)), 0.8, 0, Duration.ofMinutes(30),
                    Clock.systemUTC());
            Map<String, Object> capacity = CapacityReport.build(index, guard, 768, 0, 0.8);
            assertThat(capacity.get("layout")).isEqualTo("vectorset");
            assertThat((Long) capacity.get("bytesPerChunk")).isBetween(768L, 3000L);
            assertThat(index.deleteRoom("vc3").chunks()).isEqualTo(20);
            assertThat(topology.shardOf("vc3").node().exists(RoomKeys.vectors("vc3"))).isFalse();
            assertThat(index.activity().reconcile().rooms()).isEqualTo(11);
        }
    }
}
