package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.PolyphonyApplication;
import io.polyphony.ingest.testing.PostgresTestServer;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/** A fresh PostgreSQL database gets Spring Batch's schema and ours on the first start, and a second start is fine. */
class PostgresSchemaTests {

    @Test
    void theSchemaIsCreatedOnFirstStartAndLeftAloneOnTheNext() throws Exception {
        String url = PostgresTestServer.newDatabase("schema");
        for (int start = 0; start < 2; start++) {
            SpringApplication app = new SpringApplication(PolyphonyApplication.class);
            app.setWebApplicationType(WebApplicationType.NONE);
            try (ConfigurableApplicationContext ctx = app.run("help", "--spring.datasource.url=" + url,
                    "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                    "--polyphony.data-dir=target/test-data/schema")) {
                assertThat(ctx.isActive()).isTrue();
            }
        }
        try (var c = DriverManager.getConnection(url, "postgres", "postgres");
             var rs = c.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            List<String> tables = new java.util.ArrayList<>();
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME").toUpperCase(java.util.Locale.ROOT));
            }
            assertThat(tables).contains("BATCH_JOB_INSTANCE", "BATCH_JOB_EXECUTION", "BATCH_STEP_EXECUTION",
                    "INGEST_FILE", "INGEST_LEASE", "INGEST_RECOVERY", "ROOM_EVICTION", "INGEST_SPEC_LAUNCH");
        }
    }
}
