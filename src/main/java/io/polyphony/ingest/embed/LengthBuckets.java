package io.polyphony.ingest.embed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Length bucketing: sort the inputs by token count and cut the sorted list into batches, so each batch
 * pads to a length close to all of its members and little compute goes to padding.
 */
public final class LengthBuckets {

    private LengthBuckets() {
    }

    /** Input indices grouped into batches of at most {@code batchSize}, shortest inputs first. */
    public static List<int[]> batches(int[] lengths, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be greater than zero");
        }
        int[] order = IntStream.range(0, lengths.length).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> lengths[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < order.length; start += batchSize) {
            out.add(Arrays.copyOfRange(order, start, Math.min(order.length, start + batchSize)));
        }
        return out;
    }

    /**
     * Runs {@code batch} over groups of at most {@code batchSize} input indices of similar length and
     * puts each result row back at its input's position.
     */
    public static float[][] run(int[] lengths, int batchSize, Function<int[], float[][]> batch) {
        return run(lengths, batchSize, Lanes.of(1), batch);
    }

    /**
     * Input indices in batches of at most {@code batchSize}, shortest first, as many batches as a multiple of
     * {@code lanes} and as even in size as that allows: lanes that start together finish together, instead of one lane
     * running the small last batch alone (200 chunks in batches of 16 on 2 lanes: 14 batches of 14–15, not 12 of 16
     * and one of 8).
     */
    public static List<int[]> batches(int[] lengths, int batchSize, int lanes) {
        if (batchSize <= 0 || lanes <= 0) {
            throw new IllegalArgumentException("batchSize and lanes must be greater than zero");
        }
        int n = lengths.length;
        int count = (n + batchSize - 1) / batchSize;
        if (lanes > 1 && count > 1) {
            count = (count + lanes - 1) / lanes * lanes;
        }
        if (count <= 1) {
            return batches(lengths, Math.max(1, n));
        }
        List<int[]> sorted = batches(lengths, n);
        int[] order = sorted.get(0);
        List<int[]> out = new ArrayList<>(count);
        int start = 0;
        for (int b = 0; b < count && start < n; b++) {
            int size = (n - start + (count - b) - 1) / (count - b); // spread the remainder over the first batches
            out.add(Arrays.copyOfRange(order, start, start + size));
            start += size;
        }
        return out;
    }

    /** As {@link #run(int[], int, Function)}, with up to {@code lanes.count()} batches running at once. */
    public static float[][] run(int[] lengths, int batchSize, Lanes lanes, Function<int[], float[][]> batch) {
        float[][] out = new float[lengths.length][];
        List<int[]> groups = batches(lengths, batchSize, lanes.count());
        List<float[][]> results = lanes.map(groups, batch);
        for (int g = 0; g < groups.size(); g++) {
            int[] idx = groups.get(g);
            for (int j = 0; j < idx.length; j++) {
                out[idx[j]] = results.get(g)[j];
            }
        }
        return out;
    }
}
