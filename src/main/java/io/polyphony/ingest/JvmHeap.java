package io.polyphony.ingest;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;

/**
 * Keeps the Java heap from holding on to memory a large file needed only briefly.
 *
 * <p>Extracting, chunking and sampling a 10 MiB text file makes a few hundred MB of short-lived
 * garbage. G1 grows the heap to absorb it and, by default, never gives it back, so the process stays
 * that much bigger while the model runs. With the free-heap ratios below, the collection that
 * {@link #giveBack()} starts uncommits what is not live. Both flags are "manageable", so the app can set
 * them at run time; a user who sets them on the command line keeps theirs.
 */
public final class JvmHeap {

    /** Characters of extracted text above which a file's preparation is worth a collection afterwards. */
    public static final int LARGE_TEXT_CHARS = 2_000_000;

    private JvmHeap() {
    }

    public static void limitFreeHeap() {
        try {
            RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
            if (runtime.getInputArguments().stream().anyMatch(a -> a.contains("HeapFreeRatio"))) {
                return;
            }
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            hotspot.setVMOption("MinHeapFreeRatio", "10");
            hotspot.setVMOption("MaxHeapFreeRatio", "30");
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or the flags are not manageable there: the JVM keeps its defaults
        }
    }

    /** Collects and returns the heap that the last large file's garbage took. */
    public static void giveBack() {
        System.gc();
    }
}
