package io.polyphony.ingest.cli;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.job.RunLauncher;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import org.springframework.stereotype.Component;

/** {@code rehydrate <room> [--json]}: rebuild an evicted room from its archived uploads. */
@Component
class RehydrateCommand implements Command {

    private final RunLauncher runs;
    private final RunReport report;
    private final PolyphonyProperties props;

    RehydrateCommand(RunLauncher runs, RunReport report, PolyphonyProperties props) {
        this.runs = runs;
        this.report = report;
        this.props = props;
    }

    @Override
    public String name() {
        return "rehydrate";
    }

    @Override
    public String usage() {
        return "<room> [--json]: rebuild a room (after an eviction) from its archived uploads";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of(), List.of("--json"));
        if (a.positional().size() != 1) {
            err.println("usage: rehydrate " + usage());
            return CommandLineDispatcher.USAGE;
        }
        return report.print(runs.rehydrate(a.positional().get(0), props.uploadsDir()), a.flag("--json"), out, err,
                "run the same command again to resume it");
    }
}
