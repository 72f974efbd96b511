package io.polyphony.ingest.launch;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.List;

/**
 * Replaces this process's program with another ({@code execv}): the same process id, parent, standard streams and
 * working directory, so whoever started this process (a shell, a test, a supervisor) holds the new program, and a
 * signal or {@code kill -9} reaches it directly. Only where the C library is glibc's or compatible.
 */
final class Exec {

    private interface LibC extends Library {
        int execv(String path, String[] argv);

        int sigprocmask(int how, Pointer set, Pointer oldset);

        long syscall(long number, long a, long b, long c);
    }

    private static final int SIG_SETMASK = 2;
    /** {@code close_range}, the same number on every Linux architecture (since 5.9). */
    private static final long SYS_CLOSE_RANGE = 436;
    private static final long CLOSE_RANGE_CLOEXEC = 4;

    private Exec() {
    }

    /**
     * Runs {@code command} in place of this process; returns only if it could not (then with why).
     *
     * <p>Before: the calling thread's signal mask is cleared (the JVM blocks some signals in its threads, and a new
     * program inherits the mask), and descriptors above standard error are marked close-on-exec (the JVM opens files
     * without it; best effort, on kernels that have {@code close_range}).
     */
    static String replaceProcess(List<String> command) {
        LibC libc;
        try {
            libc = Native.load(com.sun.jna.Platform.C_LIBRARY_NAME, LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "no C library to call: " + e.getMessage();
        }
        try {
            Memory empty = new Memory(128); // sigset_t
            empty.clear();
            libc.sigprocmask(SIG_SETMASK, empty, Pointer.NULL);
            libc.syscall(SYS_CLOSE_RANGE, 3, 0xFFFF_FFFFL, CLOSE_RANGE_CLOEXEC);
            libc.execv(command.get(0), command.toArray(String[]::new));
            return "execv failed, errno " + Native.getLastError();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "execv failed: " + e;
        }
    }
}
