package io.polyphony.ingest.cli;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Sizes;
import io.polyphony.ingest.budget.RedisMemory;
import io.polyphony.ingest.job.FileResult;
import io.polyphony.ingest.job.RunHistory;
import io.polyphony.ingest.job.RunRecord;
import io.polyphony.ingest.roomindex.RedisTopology;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** The end of an ingest or replay: a summary table, or one JSON document; the exit code. */
@Component
public class RunReport {

    private final RunHistory history;
    private final ObjectProvider<RedisTopology> redis;

    public RunReport(RunHistory history, ObjectProvider<RedisTopology> redis) {
        this.history = history;
        this.redis = redis;
    }

    /** @return 0 when the run completed, 1 otherwise */
    public int print(RunRecord execution, boolean json, PrintStream out, PrintStream err, String howToResume) {
        List<FileResult> results = history.results(execution.execution());
        if (json) {
            out.println(json(execution, results));
        } else {
            summary(execution, results, out);
        }
        if (!execution.completed()) {
            err.println("run " + execution.run() + " " + execution.status() + ": " + execution.failure() + "\n"
                    + howToResume);
            return 1;
        }
        return 0;
    }

    String json(RunRecord execution, List<FileResult> results) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("execution", execution.execution());
        doc.put("status", execution.status());
        doc.put("files", results.stream().map(r -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("path", r.path());
            f.put("room", r.room());
            f.put("outcome", r.outcome().name());
            f.put("reason", r.reason() == null ? null : r.reason().code());
            f.put("message", r.message());
            f.put("chunks", r.chunks());
            f.put("totalChunks", r.totalChunks());
            return f;
        }).toList());
        return JsonMapper.shared().writeValueAsString(doc);
    }

    void summary(RunRecord execution, List<FileResult> results, PrintStream out) {
        Map<String, Integer> counts = new TreeMap<>();
        long written = 0;
        for (FileResult r : results) {
            counts.merge(r.outcome().name() + (r.reason() == null ? "" : " (" + r.reason().code() + ")"), 1, Integer::sum);
            if (r.outcome() == Outcome.INGESTED || r.outcome() == Outcome.SAMPLED) {
                written += r.chunks();
            }
        }
        out.printf("run %d, execution %d: %s%n%n", execution.run(), execution.execution(), execution.status());
        out.printf("%-28s %6s%n", "outcome", "files");
        counts.forEach((k, v) -> out.printf("%-28s %6d%n", k, v));
        out.printf("%-28s %6d%n%n", "total", results.size());
        for (FileResult r : results) {
            if (r.outcome() == Outcome.SAMPLED) {
                out.printf("sampled   %s (room %s): %s%n", r.path(), r.room(), r.message());
            } else if (r.outcome() == Outcome.REJECTED || r.outcome() == Outcome.FAILED) {
                out.printf("%-9s %s: %s: %s%n", r.outcome().name().toLowerCase(Locale.ROOT), r.path(), r.reason().code(), r.message());
            }
        }
        out.printf("%nchunks written: %,d%n", written);
        out.printf("redis memory used: %s%n", redisMemory());
    }

    private String redisMemory() {
        try {
            return Sizes.human(redis.getObject().shards().stream()
                    .mapToLong(s -> RedisMemory.Info.read(s.node()).usedBytes()).sum());
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
