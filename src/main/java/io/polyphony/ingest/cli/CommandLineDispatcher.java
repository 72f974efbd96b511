package io.polyphony.ingest.cli;

import java.util.Arrays;
import java.util.List;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.stereotype.Component;

/**
 * Runs the command named by the first argument. Arguments are taken raw, not through Spring's
 * option parser, because our contracts use {@code --k 5} (Spring only understands {@code --k=5}).
 */
@Component
public class CommandLineDispatcher implements ApplicationRunner, ExitCodeGenerator {

    static final int USAGE = 2;

    private final List<Command> commands;
    private int exitCode;

    public CommandLineDispatcher(List<Command> commands) {
        this.commands = commands;
    }

    @Override
    public void run(ApplicationArguments arguments) throws Exception {
        List<String> args = Arrays.stream(arguments.getSourceArgs())
                .filter(a -> !a.startsWith("--spring.") && !a.startsWith("--polyphony.") && !a.startsWith("--logging.")
                        && !a.startsWith("--server.") && !a.startsWith("--management."))
                .toList();
        if (args.isEmpty() || args.get(0).equals("help") || args.get(0).equals("--help")) {
            usage();
            exitCode = args.isEmpty() ? USAGE : 0;
            return;
        }
        Command command = commands.stream().filter(c -> c.name().equals(args.get(0))).findFirst().orElse(null);
        if (command == null) {
            System.err.println("unknown command '" + args.get(0) + "'");
            usage();
            exitCode = USAGE;
            return;
        }
        try {
            exitCode = command.run(args.subList(1, args.size()), System.in, System.out, System.err);
        } catch (IllegalArgumentException e) {
            System.err.println(command.name() + ": " + e.getMessage());
            exitCode = USAGE;
        } catch (RuntimeException e) {
            // a reason, not a stack trace: the innermost cause says what is wrong (Redis refused, port taken...)
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            System.err.println(command.name() + ": " + (root.getMessage() == null ? root.toString() : root.getMessage()));
            exitCode = 1;
        }
        System.out.flush();
    }

    private void usage() {
        System.err.println("usage: java -jar polyphony-ingest.jar <command> [args]\n");
        commands.forEach(c -> System.err.printf("  %-12s %s%n", c.name(), c.usage()));
        System.err.println("\nProperties: --polyphony.embedding.model=NAME, --polyphony.models-dir=DIR (see README).");
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }
}
