package io.polyphony.ingest.embed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process, from /proc (Linux). Native memory included, unlike the JVM's own counters. */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** RSS in MiB, or -1 where /proc is not available. */
    public static long rssMiB() {
        return statusMiB("VmRSS:");
    }

    /** Peak RSS so far in MiB, or -1. */
    public static long peakRssMiB() {
        return statusMiB("VmHWM:");
    }

    /** RSS once garbage (such as a model file's bytes) has been collected and its native buffers freed. */
    public static long settledRssMiB() {
        System.gc();
        try {
            Thread.sleep(300); // direct buffers are freed by a Cleaner thread after the collection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return rssMiB();
    }

    private static long statusMiB(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
