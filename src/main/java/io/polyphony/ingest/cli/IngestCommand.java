package io.polyphony.ingest.cli;

import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.job.FileResult;
import io.polyphony.ingest.job.IngestProgress;
import io.polyphony.ingest.job.IngestRuns;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import redis.clients.jedis.RedisClient;
import tools.jackson.databind.json.JsonMapper;

/** {@code ingest <path> [--room <id>] [--json]}: runs (or resumes) the ingest job with a progress line and a summary. */
@Component
public class IngestCommand implements Command {

    private final IngestRuns runs;
    private final IngestProgress progress;
    private final ObjectProvider<RedisClient> redis;

    public IngestCommand(IngestRuns runs, IngestProgress progress, ObjectProvider<RedisClient> redis) {
        this.runs = runs;
        this.progress = progress;
        this.redis = redis;
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
        ticker.scheduleAtFixedRate(() -> err.print("\r" + progress.line() + "   "), 1, 1, TimeUnit.SECONDS);
        JobExecution execution;
        try {
            execution = runs.run(path, room);
        } finally {
            ticker.shutdownNow();
            err.println("\r" + progress.line() + "   ");
        }
        List<FileResult> results = runs.results(execution);
        if (a.flag("--json")) {
            out.println(json(execution, results));
        } else {
            summary(execution, results, out);
        }
        if (execution.getStatus() != BatchStatus.COMPLETED) {
            err.println("run " + execution.getJobInstance().getId() + " " + execution.getStatus() + ": "
                    + IngestRuns.failureMessage(execution) + "\nrun the same command again to resume it");
            return 1;
        }
        return 0;
    }

    private String json(JobExecution execution, List<FileResult> results) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("execution", execution.getId());
        doc.put("status", execution.getStatus().name());
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

    private void summary(JobExecution execution, List<FileResult> results, PrintStream out) {
        Map<String, Integer> counts = new TreeMap<>();
        long written = 0;
        for (FileResult r : results) {
            counts.merge(r.outcome().name() + (r.reason() == null ? "" : " (" + r.reason().code() + ")"), 1, Integer::sum);
            if (r.outcome() == Outcome.INGESTED || r.outcome() == Outcome.SAMPLED) {
                written += r.chunks();
            }
        }
        out.printf("run %d, execution %d: %s%n%n", execution.getJobInstance().getId(), execution.getId(), execution.getStatus());
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
            for (String line : redis.getObject().info("memory").split("\r?\n")) {
                if (line.startsWith("used_memory_human:")) {
                    return line.substring("used_memory_human:".length()).trim();
                }
            }
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }
}
