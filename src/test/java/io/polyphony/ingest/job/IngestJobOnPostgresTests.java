package io.polyphony.ingest.job;

import io.polyphony.ingest.testing.PostgresTestServer;
import io.polyphony.ingest.testing.RunsOnPostgres;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link IngestJobTests} with the job repository on a real PostgreSQL server instead of H2. */
class IngestJobOnPostgresTests extends IngestJobTests implements RunsOnPostgres {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        PostgresTestServer.use(r, "ingestjob");
    }
}
