package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LengthBucketsTests {

    @Test
    void groupsSimilarLengthsShortestFirst() {
        int[] lengths = {50, 3, 48, 5, 49, 4};
        List<int[]> batches = LengthBuckets.batches(lengths, 3);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).containsExactly(1, 5, 3);
        assertThat(batches.get(1)).containsExactly(2, 4, 0);
    }

    @Test
    void equalLengthsKeepInputOrderSoBatchesAreDeterministic() {
        assertThat(LengthBuckets.batches(new int[] {7, 7, 7, 7}, 3).get(0)).containsExactly(0, 1, 2);
    }

    @Test
    void resultsGoBackToTheirInputPositions() {
        int[] lengths = {30, 10, 20};
        float[][] out = LengthBuckets.run(lengths, 2, idx -> {
            float[][] rows = new float[idx.length][];
            for (int j = 0; j < idx.length; j++) {
                rows[j] = new float[] {lengths[idx[j]]};
            }
            return rows;
        });
        assertThat(new float[] {out[0][0], out[1][0], out[2][0]}).containsExactly(30f, 10f, 20f);
    }

    @Test
    void batchSizeMustBePositive() {
        assertThatThrownBy(() -> LengthBuckets.batches(new int[] {1}, 0)).hasMessage("batchSize must be greater than zero");
    }

    @Test
    void lanesGetBatchesOfEvenSizeInAMultipleOfTheirCount() {
        int[] lengths = new int[200];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = (i * 37) % 120;
        }
        List<int[]> two = LengthBuckets.batches(lengths, 16, 2);
        assertThat(two).hasSize(14);
        assertThat(two).allSatisfy(b -> assertThat(b.length).isBetween(14, 15));
        assertThat(two.stream().flatMapToInt(java.util.Arrays::stream).sorted().toArray())
                .isEqualTo(java.util.stream.IntStream.range(0, 200).toArray());
        // still shortest first, one batch after the other
        for (int i = 1; i < two.size(); i++) {
            int last = lengths[two.get(i - 1)[two.get(i - 1).length - 1]];
            assertThat(lengths[two.get(i)[0]]).isGreaterThanOrEqualTo(last);
        }
        assertThat(LengthBuckets.batches(lengths, 16, 1)).hasSize(13);
        assertThat(LengthBuckets.batches(new int[10], 16, 2)).hasSize(1);
        assertThat(LengthBuckets.batches(new int[17], 16, 2)).extracting(b -> b.length).containsExactly(9, 8);
        assertThat(LengthBuckets.batches(new int[0], 16, 2)).isEmpty();
    }
}
