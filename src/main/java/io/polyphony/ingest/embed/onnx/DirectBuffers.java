package io.polyphony.ingest.embed.onnx;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/** Frees a direct buffer at once, through {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported). */
final class DirectBuffers {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method invoke = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            invoke = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not available: the buffer is freed by the garbage collector instead
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = invoke;
    }

    private DirectBuffers() {
    }

    /** The buffer must not be used afterwards. */
    static void free(ByteBuffer direct) {
        if (INVOKE_CLEANER == null || !direct.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, direct);
        } catch (ReflectiveOperationException e) {
            // left to the garbage collector
        }
    }
}
