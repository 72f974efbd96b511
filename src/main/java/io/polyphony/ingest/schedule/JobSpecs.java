package io.polyphony.ingest.schedule;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.springframework.scheduling.support.CronExpression;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads and validates every {@code jobs/*.yaml}. All problems of all files are collected, each naming
 * its file and field, so one start-up shows everything to fix.
 */
public final class JobSpecs {

    private static final Set<String> FIELDS = Set.of("source", "schedule", "max-file-bytes", "max-chunks-per-file",
            "max-chunks-per-room", "model");

    private JobSpecs() {
    }

    /** Thrown with every problem found, one per line. */
    public static final class InvalidJobSpecsException extends IllegalArgumentException {
        private final List<String> problems;

        public InvalidJobSpecsException(List<String> problems) {
            super("invalid job specs:\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** @param base what relative {@code source} paths are relative to (the folder that holds {@code jobs/}) */
    public static List<JobSpec> load(Path jobsDir, Path base) {
        if (!Files.isDirectory(jobsDir)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(jobsDir)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".yaml") || f.getFileName().toString().endsWith(".yml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new InvalidJobSpecsException(List.of(jobsDir + ": cannot list: " + e.getMessage()));
        }
        List<String> problems = new ArrayList<>();
        List<JobSpec> specs = new ArrayList<>();
        for (Path f : files) {
            parse(f, base, problems).ifPresent(specs::add);
        }
        if (!problems.isEmpty()) {
            throw new InvalidJobSpecsException(problems);
        }
        return specs;
    }

    static Optional<JobSpec> parse(Path file, Path base, List<String> problems) {
        String fileName = file.getFileName().toString();
        String name = fileName.replaceFirst("\\.ya?ml$", "");
        String where = "jobs/" + fileName;
        if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
            problems.add(where + ": the file name must be a job name of 1 to 64 of A-Z a-z 0-9 _ -");
            return Optional.empty();
        }
        Object doc;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException | YAMLException e) {
            problems.add(where + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            return Optional.empty();
        }
        if (!(doc instanceof Map<?, ?> map)) {
            problems.add(where + ": expected a mapping with at least 'source'");
            return Optional.empty();
        }
        int before = problems.size();
        for (Object key : map.keySet()) {
            if (!FIELDS.contains(String.valueOf(key))) {
                problems.add(where + ": unknown field '" + key + "' (known: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
            }
        }
        Path source = null;
        Object src = map.get("source");
        if (!(src instanceof String s) || s.isBlank()) {
            problems.add(where + ": source: required, a folder laid out <source>/<roomId>/<files>");
        } else {
            source = base.resolve(s).normalize();
        }
        Optional<String> schedule = Optional.empty();
        Object cron = map.get("schedule");
        if (cron != null) {
            if (!(cron instanceof String c) || !CronExpression.isValidExpression(c)) {
                problems.add(where + ": schedule: '" + cron + "' is not a Spring cron expression"
                        + " (6 fields: second minute hour day-of-month month day-of-week, e.g. \"0 */5 * * * *\")");
            } else {
                schedule = Optional.of(c);
            }
        }
        OptionalLong maxFileBytes = positiveLong(map, "max-file-bytes", where, problems);
        OptionalInt maxChunksPerFile = positiveInt(map, "max-chunks-per-file", where, problems);
        OptionalInt maxChunksPerRoom = positiveInt(map, "max-chunks-per-room", where, problems);
        Optional<String> model = Optional.empty();
        Object m = map.get("model");
        if (m != null) {
            if (!(m instanceof String ms) || !ms.matches("[A-Za-z0-9._-]{1,128}") || ms.startsWith(".")) {
                problems.add(where + ": model: '" + m + "' is not a model folder name");
            } else {
                model = Optional.of(ms);
            }
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new JobSpec(name, file, source, schedule, maxFileBytes, maxChunksPerFile, maxChunksPerRoom, model));
    }

    private static OptionalLong positiveLong(Map<?, ?> map, String field, String where, List<String> problems) {
        Object v = map.get(field);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (v instanceof Number n && n.longValue() > 0 && !(v instanceof Double) && !(v instanceof Float)) {
            return OptionalLong.of(n.longValue());
        }
        problems.add(where + ": " + field + ": '" + v + "' must be a whole number greater than zero");
        return OptionalLong.empty();
    }

    private static OptionalInt positiveInt(Map<?, ?> map, String field, String where, List<String> problems) {
        OptionalLong v = positiveLong(map, field, where, problems);
        if (v.isEmpty()) {
            return OptionalInt.empty();
        }
        if (v.getAsLong() > Integer.MAX_VALUE) {
            problems.add(where + ": " + field + ": " + v.getAsLong() + " is too large");
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) v.getAsLong());
    }
}
