package io.polyphony.ingest.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * {@code serve}: the web server itself is started by the application (see PolyphonyApplication) before
 * commands run; this says where it listens and leaves it running.
 */
@Component
class ServeCommand implements Command {

    private final Environment env;

    ServeCommand(Environment env) {
        this.env = env;
    }

    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String usage() {
        return "[--server.port=8080] [--server.address=127.0.0.1]: REST API, scheduled jobs from jobs/, /actuator/health";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        String port = env.getProperty("local.server.port", env.getProperty("server.port", "8080"));
        err.println("serving on http://" + env.getProperty("server.address", "127.0.0.1") + ":" + port
                + " (API under /api, OpenAPI at /v3/api-docs, health at /actuator/health)");
        return 0;
    }
}
