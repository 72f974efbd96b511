package io.polyphony.ingest.api;

import io.polyphony.ingest.testing.PostgresTestServer;
import io.polyphony.ingest.testing.RunsOnPostgres;
import io.polyphony.ingest.testing.RedisTestServer;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link ServerApiTests} with the job repository on a real PostgreSQL server instead of H2. */
class ServerApiOnPostgresTests extends ServerApiTests implements RunsOnPostgres {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        PostgresTestServer.use(r, "serverapi");
    }

    /** The declared jobs' rooms are fixed: start from the Redis a fresh deployment would have. */
    @BeforeAll
    static void emptyRedis() {
        RedisTestServer.client().flushAll();
    }
}
