package io.polyphony.ingest.api;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.CapacityReport;
import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.roomindex.RoomIndex;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Capacity from measurements, and the record of evictions. */
@RestController
@ConditionalOnWebApplication
@RequestMapping("/api")
class BudgetController {

    private final ObjectProvider<MemoryGuard> guard;
    private final ObjectProvider<RoomIndex> rooms;
    private final Evictions evictions;
    private final PolyphonyProperties props;

    BudgetController(ObjectProvider<MemoryGuard> guard, ObjectProvider<RoomIndex> rooms, Evictions evictions,
                     PolyphonyProperties props) {
        this.guard = guard;
        this.rooms = rooms;
        this.evictions = evictions;
        this.props = props;
    }

    /** The last measurement this server made ({@code POST /api/capacity}), with when it was made. */
    private final java.util.concurrent.atomic.AtomicReference<Map<String, Object>> last = new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Same as {@code capacity --json}: measures a probe room now (it writes about 4 MB into Redis for a second or so,
     * then deletes it), then the table; kept as this server's last measurement.
     */
    @PostMapping("/capacity")
    Map<String, Object> measureCapacity(@RequestParam(required = false) String memory) {
        long bytes = 0;
        if (memory != null) {
            try {
                bytes = DataSize.parse(memory).toBytes();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("memory '" + memory + "' is not a size such as 512MB or 2GB");
            }
        }
        Map<String, Object> report = new java.util.LinkedHashMap<>(
                CapacityReport.build(rooms.getObject(), guard.getObject(), 768, bytes, props.budget().memoryFraction()));
        report.put("measuredAt", java.time.Instant.now().toString());
        last.set(report);
        return report;
    }

    /** The last measurement, without touching Redis; 404 before the first {@code POST /api/capacity}. */
    @GetMapping("/capacity")
    Map<String, Object> capacity() {
        Map<String, Object> report = last.get();
        if (report == null) {
            throw new ApiErrors.NotFoundException("no capacity measurement yet on this server: POST /api/capacity runs one"
                    + " (it writes a probe room into Redis for a second or so)");
        }
        return report;
    }

    @GetMapping("/evictions")
    List<Evictions.Eviction> evictions(@RequestParam(defaultValue = "100") int limit) {
        return evictions.recent(Math.max(1, Math.min(limit, 1000)));
    }
}
