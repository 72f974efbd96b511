package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** What callers rely on, checked on the real default model. */
public class EmbedderBehaviourTests {

    private final EnsembleEmbedder model = TestModels.ensemble();

    /**
     * How close one text's vector stays when it is batched with others: fp32 to five nines; in bf16 the batch's shape
     * changes how products are blocked and rounded, to four nines (a different text is below 0.95).
     */
    public static final double SAME = Precision.detect() == Precision.BF16 ? 0.9999 : 0.99999;

    @Test
    void theDefaultModelIs768DimensionalWithMiniLmsTokenLimit() {
        assertThat(model.info()).isEqualTo(new ModelInfo("minilm-bge-ensemble", 768, 256));
        assertThat(model.members()).extracting(m -> m.info().name()).containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5");
        assertThat(model.members()).extracting(m -> m.info().maxTokens()).containsExactly(256, 512);
    }

    @Test
    void vectorsComeBackInInputOrderWhateverTheBucketing() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("item " + i + " " + "word ".repeat((i * 7) % 60));
        }
        List<float[]> batched = model.embed(texts);
        for (int i : new int[] {0, 13, 39}) {
            assertThat(Vectors.cosine(batched.get(i), model.embed(List.of(texts.get(i))).get(0))).isGreaterThan(SAME);
        }
    }

    @Test
    void paddingInABatchDoesNotChangeAVector() {
        String shortText = "Budget review on Friday.";
        String longText = FidelityTexts.PARAGRAPH.repeat(2);
        float[] alone = model.embed(List.of(shortText)).get(0);
        float[] padded = model.embed(List.of(longText, shortText, longText)).get(1);
        assertThat(Vectors.cosine(alone, padded)).isGreaterThan(SAME);
    }

    @Test
    void embeddingIsDeterministic() {
        List<String> texts = List.of("same input", "same settings", "same vectors");
        List<float[]> a = model.embed(texts);
        List<float[]> b = model.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(a.get(i)).containsExactly(b.get(i));
        }
    }

    @Test
    void progressComesPerBatchAndAnotherCallerGetsTheModelBetweenBatches() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("chunk " + i + " of a long ingest about budgets and owners");
        }
        List<Integer> batches = java.util.Collections.synchronizedList(new ArrayList<>()); // batches end on the lanes
        List<float[]> searched = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        List<float[]> out = model.embed(texts, n -> {
            batches.add(n);
            // two lanes can end a batch at the same moment: exactly one of them (the first to count) starts the search
            if (ended.incrementAndGet() == 1) {
                // a search arriving now, from another thread, is served before the ingest's next batch
                Thread search = new Thread(() -> searched.add(model.embed(List.of("who owns the budget?")).get(0)));
                search.start();
                try {
                    search.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertThat(out).hasSize(40);
        // the test models' batch size is 16; on 2 lanes 40 texts go as 4 batches of 10, on 1 as 16, 16 and 8
        Integer[] sizes = LengthBuckets.batches(new int[40], 16, Lanes.resolve(0)).stream().map(b -> b.length)
                .toArray(Integer[]::new);
        assertThat(batches).containsExactlyInAnyOrder(sizes);
        assertThat(batches).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(16));
        assertThat(searched).as("the search ran between two batches of the ingest's call").hasSize(1);
    }

    @Test
    void nothingInNothingOut() {
        assertThat(model.embed(List.of())).isEmpty();
    }

    @Nested
    class TokenLimit {

        @Test
        void textAtTheLimitIsEmbedded() {
            String text = textOfTokens(256);
            assertThat(model.countTokens(text)).isEqualTo(256);
            assertThat(model.embed(List.of(text)).get(0)).hasSize(768);
        }

        @Test
        void textOverTheLimitIsAnErrorNotACut() {
            String text = textOfTokens(257);
            assertThat(model.countTokens(text)).isEqualTo(257);
            assertThatThrownBy(() -> model.embed(List.of("fine", text)))
                    .isInstanceOfSatisfying(TokenLimitExceededException.class, e -> {
                        assertThat(e.index()).isEqualTo(1);
                        assertThat(e.tokens()).isEqualTo(257);
                        assertThat(e.limit()).isEqualTo(256);
                    })
                    .hasMessage("text 1 has 257 tokens > 256-token limit of model 'minilm-bge-ensemble'");
        }

        @Test
        void eachMemberEnforcesItsOwnLimit() {
            String text = textOfTokens(300);
            assertThatThrownBy(() -> model.members().get(0).embed(List.of(text)))
                    .hasMessage("text 0 has 300 tokens > 256-token limit of model 'all-minilm-l6-v2'");
            assertThat(model.members().get(1).embed(List.of(text)).get(0)).hasSize(384);
        }

        @Test
        void tokenizerDoesNotTruncateAt128LikeTheJarsTokenizerFile() {
            assertThat(model.members().get(0).countTokens(textOfTokens(400))).isEqualTo(400);
        }

        /** "word" is one token; [CLS] and [SEP] make two more. */
        private String textOfTokens(int n) {
            return "word ".repeat(n - 2).trim();
        }
    }
}
