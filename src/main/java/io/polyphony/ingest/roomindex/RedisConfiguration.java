package io.polyphony.ingest.roomindex;

import io.polyphony.ingest.PolyphonyProperties;
import java.net.URI;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import redis.clients.jedis.UnifiedJedis;

/** Redis beans are lazy: commands that never touch a room (embed) start no server. */
@Configuration(proxyBeanMethods = false)
public class RedisConfiguration {

    @Bean(destroyMethod = "close")
    @Lazy
    public EmbeddedRedis embeddedRedis(PolyphonyProperties props) {
        // starts on its own thread; the first connection waits for it
        return EmbeddedRedis.startInBackground(props.dataDir().resolve("redis"), props.redis().embeddedPort());
    }

    /** {@code REDIS_URL}: a standalone server or any node of a cluster (detected); empty: the embedded server. */
    @Bean(destroyMethod = "close")
    @Lazy
    public RedisTopology redisTopology(PolyphonyProperties props, ObjectProvider<EmbeddedRedis> embedded) {
        String url = props.redis().url();
        if (url == null || url.isBlank()) {
            return RedisTopology.connect("127.0.0.1", embedded.getObject().port());
        }
        return RedisTopology.connect(URI.create(url));
    }

    /** The client room commands go through; closed with the topology. */
    @Bean(destroyMethod = "")
    @Lazy
    public UnifiedJedis redisClient(RedisTopology topology) {
        return topology.client();
    }

    @Bean
    @Lazy
    public IndexLayout indexLayout(RedisTopology topology, PolyphonyProperties props) {
        return IndexLayouts.choose(topology.client(), topology.shards().get(0).node(), props.index(),
                new VectorSetLayout.Options(props.vectorQuantization(), props.vectorM()));
    }

    @Bean
    public Retrying redisRetrying(PolyphonyProperties props, ObjectProvider<RedisTopology> topology) {
        Duration first = props.redis().retryDelay();
        return new Retrying(props.redis().retryAttempts(), first, first.multipliedBy(32),
                () -> topology.ifAvailable(RedisTopology::dropIdleConnections));
    }
}
