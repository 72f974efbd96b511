package io.polyphony.ingest.roomindex;

import io.polyphony.ingest.PolyphonyProperties;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import redis.clients.jedis.RedisClient;

/** Redis beans are lazy: commands that never touch a room (embed) start no server. */
@Configuration(proxyBeanMethods = false)
public class RedisConfiguration {

    @Bean(destroyMethod = "close")
    @Lazy
    public EmbeddedRedis embeddedRedis(PolyphonyProperties props) {
        return EmbeddedRedis.start(props.dataDir().resolve("redis"), props.redis().embeddedPort());
    }

    @Bean(destroyMethod = "close")
    @Lazy
    public RedisClient redisClient(PolyphonyProperties props, ObjectProvider<EmbeddedRedis> embedded) {
        String url = props.redis().url();
        if (url == null || url.isBlank()) {
            return RedisClient.create("127.0.0.1", embedded.getObject().port());
        }
        return RedisClient.create(URI.create(url));
    }

    @Bean
    @Lazy
    public RoomIndex roomIndex(RedisClient redis) {
        RedisPolicy.requireNoEviction(redis);
        return new RoomIndex(redis, Clock.systemUTC());
    }

    @Bean
    public Retrying redisRetrying(PolyphonyProperties props) {
        Duration first = props.redis().retryDelay();
        return new Retrying(props.redis().retryAttempts(), first, first.multipliedBy(32));
    }
}
