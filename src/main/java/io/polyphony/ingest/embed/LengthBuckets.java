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
        float[][] out = new float[lengths.length][];
        for (int[] idx : batches(lengths, batchSize)) {
            float[][] rows = batch.apply(idx);
            for (int j = 0; j < idx.length; j++) {
                out[idx[j]] = rows[j];
            }
        }
        return out;
    }
}
