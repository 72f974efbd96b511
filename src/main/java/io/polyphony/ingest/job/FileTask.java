package io.polyphony.ingest.job;

import io.polyphony.ingest.Problem;
import java.io.Serializable;

/**
 * One uploaded file to ingest. {@code seq} is its position in the run's sorted file list, which is
 * what makes a restart resume at the right file. {@code problem} is set when discovery already knows
 * the file cannot be ingested (e.g. it is not in a valid room folder).
 */
public record FileTask(int seq, String path, String room, String name, Problem problem) implements Serializable {
}
