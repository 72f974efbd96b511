package io.polyphony.ingest.cli;

import io.polyphony.ingest.job.IngestProgress;
import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.job.RunRecord;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/** {@code ingest <path> [--room <id>] [--json]}: runs (or resumes) the ingest job with a progress line and a summary. */
@Component
public class IngestCommand implements Command {

    private final RunLauncher runs;
    private final IngestProgress progress;
    private final RunReport report;

    public IngestCommand(RunLauncher runs, IngestProgress progress, RunReport report) {
        this.runs = runs;
        this.progress = progress;
        this.report = report;
    }

    @Override
    public String name() {
        return "ingest";
    }

    @Override
    public String usage() {
        return "<path> [--room <id>] [--json]: ingest a file or folder (<folder>/<roomId>/<files>) into rooms";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of("--room"), List.of("--json"));
        if (a.positional().size() != 1) {
            err.println("usage: ingest " + usage());
            return CommandLineDispatcher.USAGE;
        }
        Path path = Path.of(a.positional().get(0));
        String room = a.values().get("--room");
        if (!Files.exists(path)) {
            err.println(path + " does not exist");
            return CommandLineDispatcher.USAGE;
        }
        if (room != null && !RoomKeys.isValidRoom(room)) {
            err.println("invalid room id '" + room + "': use 1 to 64 of A-Z a-z 0-9 _ -");
            return CommandLineDispatcher.USAGE;
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress");
            t.setDaemon(true);
            return t;
        });
        // on a terminal the line redraws itself every second; in a log (CI, systemd) a plain line every 10 s
        boolean terminal = System.console() != null;
        if (terminal) {
            ticker.scheduleAtFixedRate(() -> err.print("\r" + progress.line() + "   "), 1, 1, TimeUnit.SECONDS);
        } else {
            ticker.scheduleAtFixedRate(() -> err.println(progress.line()), 10, 10, TimeUnit.SECONDS);
        }
        RunRecord execution;
        try {
            execution = runs.run(path, room);
        } finally {
            ticker.shutdownNow();
            err.println(terminal ? "\r" + progress.line() + "   " : progress.line());
        }
        return report.print(execution, a.flag("--json"), out, err, "run the same command again to resume it");
    }
}
