package io.polyphony.ingest.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class CoverageReportTests {

    @Test
    void keepingEverythingCoversEverything() {
        List<float[]> v = List.of(new float[] {1, 0}, new float[] {0, 1}, new float[] {0.6f, 0.8f});
        assertThat(CoverageReport.coverage(v, new int[] {0, 1, 2})).isCloseTo(1.0, offset(1e-6));
    }

    @Test
    void eachChunkCountsItsBestKeptNeighbour() {
        List<float[]> v = List.of(new float[] {1, 0}, new float[] {0, 1}, new float[] {0.6f, 0.8f});
        // keeping chunk 2 only: 0.6 for chunk 0, 0.8 for chunk 1, 1.0 for itself
        assertThat(CoverageReport.coverage(v, new int[] {2})).isCloseTo((0.6 + 0.8 + 1.0) / 3, offset(1e-6));
    }
}
