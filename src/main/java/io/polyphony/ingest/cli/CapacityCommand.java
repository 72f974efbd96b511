package io.polyphony.ingest.cli;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.CapacityReport;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/** {@code capacity [--memory 1GB] [--json]}: rooms that fit per instance size, from measured bytes per chunk. */
@Component
class CapacityCommand implements Command {

    private final ObjectProvider<MemoryGuard> guard;
    private final ObjectProvider<RoomIndex> rooms;
    private final PolyphonyProperties props;

    CapacityCommand(ObjectProvider<MemoryGuard> guard, ObjectProvider<RoomIndex> rooms, PolyphonyProperties props) {
        this.guard = guard;
        this.rooms = rooms;
        this.props = props;
    }

    @Override
    public String name() {
        return "capacity";
    }

    @Override
    public String usage() {
        return "[--memory 1GB] [--json]: rooms that fit per Redis instance size, from bytes per chunk measured now";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        CliArgs a = CliArgs.parse(args, List.of("--memory"), List.of("--json"));
        long memory = 0;
        if (a.values().containsKey("--memory")) {
            try {
                memory = DataSize.parse(a.values().get("--memory")).toBytes();
            } catch (IllegalArgumentException e) {
                err.println("--memory '" + a.values().get("--memory") + "' is not a size such as 512MB or 2GB");
                return CommandLineDispatcher.USAGE;
            }
        }
        Map<String, Object> report = CapacityReport.build(rooms.getObject(), guard.getObject(), 768, memory,
                props.budget().memoryFraction());
        out.print(a.flag("--json") ? JsonMapper.shared().writeValueAsString(report) + "\n" : CapacityReport.text(report));
        return 0;
    }
}
