package io.polyphony.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.testing.PostgresTestServer;
import io.polyphony.ingest.testing.RedisTestServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link ServerApiTests} with the job repository on a real PostgreSQL server instead of H2. */
class ServerApiOnPostgresTests extends ServerApiTests {

    @Autowired
    DataSource dataSource;

    @Test
    void theJobRepositoryIsPostgres() throws Exception {
        try (var c = dataSource.getConnection()) {
            assertThat(c.getMetaData().getDatabaseProductName()).isEqualTo("PostgreSQL");
        }
    }

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
