package io.polyphony.ingest.testing;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A Spring test suite run again with its job repository on PostgreSQL ({@link PostgresTestServer#use}): proves it is. */
public interface RunsOnPostgres {

    @Test
    default void theJobRepositoryIsPostgres(@Autowired DataSource dataSource) throws Exception {
        try (var c = dataSource.getConnection()) {
            assertThat(c.getMetaData().getDatabaseProductName()).isEqualTo("PostgreSQL");
        }
    }
}
