package io.polyphony.ingest.embed;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Hands freed native memory back to the operating system after the forward passes of one call.
 *
 * <p>libtorch frees a batch's activations with {@code free}, but glibc keeps the pages in its arenas
 * (its mmap threshold rises to the size of the largest block freed), so a process that embedded one
 * large batch stays hundreds of MiB bigger for good. {@code malloc_trim(0)} returns those pages. Not after
 * every batch: the next batch would fault the same pages in again (trimming per batch cost 10–15 % of the
 * model's throughput), so embedders trim once a call's batches are done.
 */
public final class NativeMemory {

    private interface LibC extends Library {
        int malloc_trim(long pad);
    }

    /** {@code -Dpolyphony.malloc-trim=false} turns trimming off (to compare speed and memory in a benchmark). */
    private static final LibC LIBC = Boolean.parseBoolean(System.getProperty("polyphony.malloc-trim", "true")) ? load() : null;

    private NativeMemory() {
    }

    private static LibC load() {
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // not glibc (musl, macOS): nothing to trim
        }
    }

    /** Releases free native heap pages; a no-op where the C library has no {@code malloc_trim}. */
    public static void trim() {
        if (LIBC != null) {
            try {
                LIBC.malloc_trim(0);
            } catch (UnsatisfiedLinkError e) {
                // musl has no malloc_trim: nothing to do
            }
        }
    }
}
