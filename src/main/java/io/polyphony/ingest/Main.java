package io.polyphony.ingest;

import io.polyphony.ingest.launch.FastStart;

/**
 * The jar's entry point: the fast start first ({@link FastStart}: it replaces this process when it applies), then the
 * application. A class of its own so that the JVM that only starts the replacement loads none of Spring's classes.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        FastStart.relaunch("io.polyphony.ingest.PolyphonyApplication", args);
        PolyphonyApplication.main(args);
    }
}
