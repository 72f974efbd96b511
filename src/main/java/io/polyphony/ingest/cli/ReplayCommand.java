package io.polyphony.ingest.cli;

import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.job.RunRecord;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import org.springframework.stereotype.Component;

/** {@code replay <executionId> | replay --failed}: continue failed, stopped or interrupted ingest runs. */
@Component
public class ReplayCommand implements Command {

    private final RunLauncher runs;
    private final RunReport report;

    public ReplayCommand(RunLauncher runs, RunReport report) {
        this.runs = runs;
        this.report = report;
    }

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String usage() {
        return "<executionId> | --failed [--json]: resume failed, stopped or interrupted ingest runs where they stopped";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of(), List.of("--failed", "--json"));
        boolean json = a.flag("--json");
        if (a.flag("--failed") == (a.positional().size() == 1) || a.positional().size() > 1) {
            err.println("usage: replay " + usage());
            return CommandLineDispatcher.USAGE;
        }
        if (!a.flag("--failed")) {
            long id;
            try {
                id = Long.parseLong(a.positional().get(0));
            } catch (NumberFormatException e) {
                err.println("replay: '" + a.positional().get(0) + "' is not an execution id");
                return CommandLineDispatcher.USAGE;
            }
            return report.print(runs.replay(id), json, out, err, "replay it again once the cause is fixed");
        }
        List<RunRecord> replayed = runs.replayFailed();
        if (replayed.isEmpty()) {
            err.println("no failed, stopped or interrupted runs");
            return 0;
        }
        int code = 0;
        for (RunRecord e : replayed) {
            code = Math.max(code, report.print(e, json, out, err, "replay it again once the cause is fixed"));
        }
        return code;
    }
}
