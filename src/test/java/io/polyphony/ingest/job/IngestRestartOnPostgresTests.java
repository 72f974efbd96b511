package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.testing.PostgresTestServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link IngestRestartTests} with the job repository on a real PostgreSQL server instead of H2. */
class IngestRestartOnPostgresTests extends IngestRestartTests {

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
        PostgresTestServer.use(r, "ingestrestart");
    }
}
