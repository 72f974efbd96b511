package io.polyphony.ingest.extract;

import java.util.Arrays;
import org.apache.tika.pipes.PipesServer;

/**
 * Main class of a parser process started from the Spring Boot jar: Tika names {@code PipesServer} as the main class
 * after the JVM options, so the jar's {@code PropertiesLauncher} receives that name as its first argument; this drops
 * it and runs Tika's server with the rest.
 */
public final class ParserChild {

    private ParserChild() {
    }

    public static void main(String[] args) throws Exception {
        PipesServer.main(Arrays.copyOfRange(args, 1, args.length));
    }
}
