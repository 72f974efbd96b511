package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The allocator settings {@link NativeMemory} makes, on the real model: page faults of the process (read from
 * {@code /proc/self/stat}, the kernel's count) while a call's batches run. With glibc's own thresholds each batch
 * faulted its activations in again: here 179 faults per chunk in batches 3 to 8 with {@code -Dpolyphony.malloc-trim=false}
 * in the test JVM's options (this test then fails), 19 with the settings.
 */
class NativeMemoryTests {

    @Test
    void theThresholdsAreSetOnGlibc() {
        assertThat(NativeMemory.keepPagesWithinCalls()).isTrue();
    }

    @Test
    void aCallsLaterBatchesReuseTheEarlierBatchesPages() throws IOException {
        EnsembleEmbedder model = TestModels.ensemble();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            // equal lengths: every batch has the same shape and needs the same memory
            texts.add(String.format("chunk %03d of the quarterly budget review, owners and dates agreed", i)
                    + " with the finance team".repeat(12));
        }
        model.embed(texts.subList(0, 32)); // the module's first runs on these shapes
        AtomicInteger ended = new AtomicInteger();
        AtomicLong afterSecond = new AtomicLong();
        AtomicLong afterLast = new AtomicLong();
        int batches = LengthBuckets.batches(new int[texts.size()], 16, Lanes.resolve(0)).size();
        model.embed(texts, n -> {
            int k = ended.incrementAndGet();
            // by the second batch's end every lane has run a batch of this shape
            if (k == 2) {
                afterSecond.set(minorFaults());
            } else if (k == batches) {
                afterLast.set(minorFaults());
            }
        });
        assertThat(batches).isGreaterThanOrEqualTo(8);
        int chunksBetween = (batches - 2) * texts.size() / batches;
        double perChunk = (afterLast.get() - afterSecond.get()) / (double) chunksBetween;
        assertThat(perChunk).as("page faults per chunk in batches 3 to %d", batches).isLessThan(60);
    }

    private static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after "(comm) ": state is the 3rd field of stat, minflt the 10th
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
