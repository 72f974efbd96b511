package io.polyphony.ingest.budget;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.roomindex.IndexLayout;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.jdbc.core.JdbcTemplate;

/** The room index and its guards. Lazy, like every Redis bean: commands that never write a room start no Redis. */
@Configuration(proxyBeanMethods = false)
public class BudgetConfiguration {

    /** A room index only over a Redis that will not evict keys on its own (every master is asked). */
    @Bean
    @Lazy
    public RoomIndex roomIndex(RedisTopology topology, IndexLayout layout) {
        RedisPolicy.requireNoEviction(topology);
        return new RoomIndex(topology, layout, Clock.systemUTC());
    }

    @Bean
    public Evictions evictions(JdbcTemplate jdbcTemplate) {
        return new Evictions(jdbcTemplate);
    }

    @Bean
    @Lazy
    public MemoryGuard memoryGuard(RoomIndex roomIndex, Evictions evictions, PolyphonyProperties props) {
        PolyphonyProperties.Budget b = props.budget();
        return new MemoryGuard(roomIndex, evictions, b.memoryFraction(), b.memory() == null ? 0 : b.memory().toBytes(),
                b.inactiveAfter(), Clock.systemUTC());
    }
}
