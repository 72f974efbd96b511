package io.polyphony.ingest.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkSamplerTests {

    private final ChunkSampler sampler = ChunkSampler.defaults();

    /** Distinct content chunks, and after every fourth one a running footer chunk that differs only in its page number. */
    static List<String> reportWithFooters(int contentChunks) {
        Random r = new Random(9);
        String[] words = {"budget", "roadmap", "latency", "customer", "contract", "security", "release", "hiring",
            "pricing", "support", "migration", "forecast", "vendor", "audit", "training", "office"};
        List<String> chunks = new ArrayList<>();
        for (int i = 0; i < contentChunks; i++) {
            StringBuilder sb = new StringBuilder("Section " + i + ".");
            for (int w = 0; w < 70; w++) {
                sb.append(' ').append(words[r.nextInt(words.length)]);
            }
            chunks.add(sb.toString());
            if (i % 4 == 3) {
                chunks.add("ACME Corporation — Confidential — Internal use only — Page " + (i / 4 + 1) + " of 600");
            }
        }
        return chunks;
    }

    @Test
    void aShortDocumentKeepsEverything() {
        Selection s = sampler.select(List.of("a b c", "d e f"));
        assertThat(s.kept()).containsExactly(0, 1);
        assertThat(s.sampled()).isFalse();
        assertThat(s.describe()).isEqualTo("all 2 chunks");
    }

    @Test
    void aLongDocumentKeepsExactlyTheLimitInOrderWithItsOpening() {
        List<String> chunks = reportWithFooters(1900);
        Selection s = sampler.select(chunks);
        assertThat(s.kept()).hasSize(500).isSorted().doesNotHaveDuplicates();
        // the opening: the first ten chunks, passing over the running footers among them
        assertThat(Arrays.copyOf(s.kept(), 10)).containsExactly(0, 1, 2, 3, 5, 6, 7, 8, 10, 11);
        assertThat(s.describe()).isEqualTo("sampled 500 of 2,375");
    }

    @Test
    void everyPartOfTheDocumentIsCovered() {
        List<String> chunks = reportWithFooters(1900);
        int[] kept = sampler.select(chunks).kept();
        int stretch = (chunks.size() - 10 + 489) / 490;
        // stretches hold equal shares of new content, so their lengths vary, within bounds: no part of the
        // document goes without a kept chunk for more than three average stretches
        for (int i = 1; i < kept.length; i++) {
            assertThat(kept[i] - kept[i - 1]).isLessThan(3 * stretch);
        }
        assertThat(kept[kept.length - 1]).isGreaterThanOrEqualTo(chunks.size() - 2 * stretch);
    }

    @Test
    void aLongRunOfLookAlikeChunksGetsFewerPlacesThanItsLength() {
        java.util.Random r = new java.util.Random(3);
        String[] words = "budget hiring launch pricing vendor roadmap security churn onboarding migration legal support".split(" ");
        List<String> chunks = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) { // varied narrative
            StringBuilder sb = new StringBuilder("Paragraph " + i + ":");
            for (int w = 0; w < 40; w++) {
                sb.append(' ').append(words[r.nextInt(words.length)]).append(r.nextInt(50));
            }
            chunks.add(sb.toString());
        }
        for (int i = 0; i < 900; i++) { // a pasted log: each chunk reads like the last
            chunks.add("12:00:" + (i % 60) + " INFO worker served search in " + (5 + r.nextInt(900)) + " ms status 200 room " + r.nextInt(40)
                    + " 12:00:" + (i % 60) + " INFO worker served search in " + (5 + r.nextInt(900)) + " ms status 200");
        }
        int[] kept = new ChunkSampler(200, 10).select(chunks).kept();
        long narrative = Arrays.stream(kept).filter(k -> k < 300).count();
        // a uniform stride would give the narrative a quarter of the places (50); its content earns it more
        assertThat(narrative).isGreaterThan(80);
        assertThat(Arrays.stream(kept).filter(k -> k >= 300).count()).isGreaterThan(30); // the log is still represented
    }

    @Test
    void runningFootersAreDroppedInFavourOfContent() {
        List<String> chunks = reportWithFooters(1900);
        long footers = Arrays.stream(sampler.select(chunks).kept()).filter(i -> chunks.get(i).startsWith("ACME")).count();
        assertThat(footers).isLessThanOrEqualTo(1); // one copy stands for all of them
        // a naive stride keeps its share of them
        long strideFooters = 0;
        for (int i = 0; i < 500; i++) {
            if (chunks.get(i * chunks.size() / 500).startsWith("ACME")) {
                strideFooters++;
            }
        }
        assertThat(strideFooters).isGreaterThan(50);
    }

    @Test
    void withinAStretchTheMostRepresentativeChunkWins() {
        // 3 chunks to keep of 6: the opening, then two stretches; each stretch has an odd one out
        List<String> chunks = List.of(
                "Title: the quarterly budget review of the Berlin office",
                "budget review costs office rent travel budget review costs",
                "zebra giraffe savanna safari photography holiday",
                "budget review costs office rent hiring budget review plan",
                "the login security review found two issues in the session handling",
                "security review login issues session tokens security review fixes");
        int[] kept = new ChunkSampler(3, 1).select(chunks).kept();
        assertThat(kept[0]).isZero();
        assertThat(kept[1]).isNotEqualTo(2);
    }

    @Test
    void exactDuplicatesGiveUpTheirPlacesButRowsThatDifferInNumbersStay() {
        List<String> chunks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            chunks.add("Region " + i + " revenue " + (100 + i) + " cost " + (50 + i) + " margin " + (i % 7));
            chunks.add("Confidential   notice: do not forward this document.");
        }
        Selection s = new ChunkSampler(40, 2).select(chunks);
        assertThat(s.kept()).hasSize(31);
        assertThat(Arrays.stream(s.kept()).filter(i -> chunks.get(i).startsWith("Confidential")).count()).isEqualTo(1);
        assertThat(s.describe()).isEqualTo("sampled 31 of 60");
    }

    @Test
    void theChoiceIsDeterministic() {
        List<String> chunks = reportWithFooters(1500);
        assertThat(new ChunkSampler(500, 10).select(chunks).kept()).containsExactly(sampler.select(new ArrayList<>(chunks)).kept());
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> new ChunkSampler(0, 0)).hasMessage("maxChunks must be greater than zero");
        assertThatThrownBy(() -> new ChunkSampler(5, 6)).hasMessage("openingChunks must be between 0 and maxChunks");
    }
}
