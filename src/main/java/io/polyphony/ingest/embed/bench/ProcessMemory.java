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

    /** RSS of another process in MiB (say a child), or -1 when it is gone. */
    public static long rssMiB(long pid) {
        return statusMiB(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
    }

    /** RSS of all of this process's descendants together, in MiB. */
    public static long descendantsRssMiB() {
        return ProcessHandle.current().descendants().mapToLong(p -> Math.max(0, rssMiB(p.pid()))).sum();
    }

    private static long statusMiB(String field) {
        return statusMiB(Path.of("/proc/self/status"), field);
    }

    private static long statusMiB(Path status, String field) {
        try {
            for (String line : Files.readAllLines(status)) {
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
