package io.polyphony.ingest.job;

import io.polyphony.ingest.testing.PostgresTestServer;
import io.polyphony.ingest.testing.RunsOnPostgres;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link IngestRestartTests} with the job repository on a real PostgreSQL server instead of H2. */
class IngestRestartOnPostgresTests extends IngestRestartTests implements RunsOnPostgres {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        PostgresTestServer.use(r, "ingestrestart");
    }
}
