package io.polyphony.ingest.schedule;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A declared ingest job, one YAML file in {@code jobs/}: where uploads arrive and when to ingest them,
 * with optional overrides of the global limits and model.
 *
 * @param name     the file's name without {@code .yaml}
 * @param source   a folder laid out {@code <source>/<roomId>/<files...>}
 * @param schedule a Spring cron expression, if the job runs on a schedule
 */
public record JobSpec(String name, Path file, Path source, Optional<String> schedule, OptionalLong maxFileBytes,
                      OptionalInt maxChunksPerFile, OptionalInt maxChunksPerRoom, Optional<String> model) {
}
