package io.polyphony.ingest.embed;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * glibc's allocator set for forward passes: freed pages kept between a call's batches, handed back to the operating
 * system after the call.
 *
 * <p>libtorch frees a batch's activations with {@code free}, but glibc keeps the pages in its arenas
 * (its mmap threshold rises to the size of the largest block freed), so a process that embedded one
 * large batch stays hundreds of MiB bigger for good. {@code malloc_trim(0)} returns those pages. Not after
 * every batch: the next batch would fault the same pages in again (trimming per batch cost 10–15 % of the
 * model's throughput), so embedders trim once a call's batches are done.
 *
 * <p>Within a call glibc gave pages back on its own: a batch's activations (up to tens of MiB) went to {@code mmap} or
 * were trimmed off the top of a lane thread's heap when freed, and the next batch faulted them in again: 300–2,000
 * page faults per chunk, the model's speed swinging by a third from one call to the next. {@link #keepPagesWithinCalls}
 * fixes the thresholds (trim at 1 GiB, {@code mmap} from 32 MiB), which also stops glibc's own rises of them:
 * 110–130 faults per chunk, all from the trim after each call.
 */
public final class NativeMemory {

    private interface LibC extends Library {
        int malloc_trim(long pad);

        int mallopt(int param, int value);
    }

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;

    /** {@code -Dpolyphony.malloc-trim=false} turns trimming off (to compare speed and memory in a benchmark). */
    private static final LibC LIBC = Boolean.parseBoolean(System.getProperty("polyphony.malloc-trim", "true")) ? load() : null;

    private NativeMemory() {
    }

    private static LibC load() {
        try {
            return Native.load(com.sun.jna.Platform.C_LIBRARY_NAME, LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // not glibc (musl, macOS): nothing to trim
        }
    }

    /**
     * Fixes glibc's trim threshold at 1 GiB and its {@code mmap} threshold at 32 MiB (the most it allows), so a
     * call's batches reuse each other's pages; {@link #trim} still hands them back after the call. Once, before the
     * first forward pass; a no-op where the C library is not glibc, or with {@code -Dpolyphony.malloc-trim=false}
     * (then glibc's defaults and no trimming, to compare in a benchmark).
     *
     * @return whether both thresholds were set
     */
    public static boolean keepPagesWithinCalls() {
        if (LIBC == null) {
            return false;
        }
        try {
            return LIBC.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 & LIBC.mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
        } catch (UnsatisfiedLinkError e) {
            return false; // not glibc
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
