package io.polyphony.ingest.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/** One verb of {@code java -jar polyphony-ingest.jar <verb> ...}. */
public interface Command {

    String name();

    /** One line: arguments and what the command does. */
    String usage();

    /** @return the process exit code */
    int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception;
}
