package io.polyphony.ingest.chunk;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextChunkerTests {

    /** Word count stands in for tokens where the test is about characters. */
    private final TextChunker chunker = new TextChunker(ChunkingOptions.defaults(), s -> s.split("\\s+").length, 10_000);

    static String sentence(Random r, int i) {
        String[] words = {"budget", "review", "roadmap", "customer", "latency", "office", "contract", "release",
            "meeting", "decision", "risk", "owner", "deadline", "pilot", "security"};
        StringBuilder sb = new StringBuilder("Item " + i + ":");
        int n = 6 + r.nextInt(14);
        for (int w = 0; w < n; w++) {
            sb.append(' ').append(words[r.nextInt(words.length)]);
        }
        return sb.append('.').toString();
    }

    static String document(int paragraphs, long seed) {
        Random r = new Random(seed);
        List<String> ps = new ArrayList<>();
        int i = 0;
        for (int p = 0; p < paragraphs; p++) {
            StringBuilder sb = new StringBuilder();
            int sentences = 1 + r.nextInt(8);
            for (int s = 0; s < sentences; s++) {
                sb.append(sb.length() > 0 ? " " : "").append(sentence(r, i++));
            }
            ps.add(sb.toString());
        }
        return String.join("\n\n", ps);
    }

    @Test
    void shortTextIsOneChunk() {
        assertThat(chunker.chunk("  Budget review on Friday.\r\n")).containsExactly("Budget review on Friday.");
        assertThat(chunker.chunk(" \n\t ")).isEmpty();
    }

    @Test
    void chunksAreAboutTargetSizeAndEndAtSentenceBoundaries() {
        List<String> chunks = chunker.chunk(document(120, 1));
        assertThat(chunks).hasSizeGreaterThan(20);
        for (String c : chunks) {
            assertThat(c.length()).isBetween(1, 500 + 80 + 2);
            assertThat(c).endsWith(".");
        }
        double mean = chunks.stream().mapToInt(String::length).average().orElse(0);
        assertThat(mean).isBetween(300.0, 560.0);
    }

    @Test
    void everySentenceIsKeptAndConsecutiveChunksOverlapBySentences() {
        String doc = document(80, 2);
        List<String> chunks = chunker.chunk(doc);
        String all = String.join(" ", chunks);
        for (String s : doc.split("(?<=\\.)\\s+")) {
            assertThat(all).contains(s.strip());
        }
        int overlapping = 0;
        for (int i = 1; i < chunks.size(); i++) {
            String prev = chunks.get(i - 1);
            String firstSentence = chunks.get(i).split("(?<=\\.)\\s+")[0];
            if (prev.endsWith(firstSentence)) {
                overlapping++;
            }
        }
        assertThat(overlapping).isGreaterThan(chunks.size() / 4);
    }

    @Test
    void sameInputSameChunks() {
        String doc = document(50, 3);
        assertThat(chunker.chunk(doc)).isEqualTo(new TextChunker(ChunkingOptions.defaults(), s -> s.split("\\s+").length, 10_000).chunk(doc));
    }

    @Test
    void aWordLongerThanAChunkIsCut() {
        String blob = "x".repeat(1700);
        List<String> chunks = chunker.chunk("See the attachment: " + blob + " end.");
        assertThat(chunks).allSatisfy(c -> assertThat(c.length()).isLessThanOrEqualTo(582));
        assertThat(String.join("", chunks).replace(" ", "")).contains(blob);
    }

    @Test
    void controlCharactersAndOddSpacesAreNormalised() {
        assertThat(chunker.chunk("a\u0000b\u00A0\u00A0c\t\td\r\ne")).containsExactly("a b c d e");
    }

    @Test
    void noChunkExceedsTheRealModelsTokenLimit() {
        Embedder model = TestModels.ensemble();
        TextChunker real = new TextChunker(ChunkingOptions.defaults(), model::countTokens, model.info().maxTokens());
        StringBuilder cjk = new StringBuilder();
        Random r = new Random(4);
        for (int i = 0; i < 3000; i++) {
            cjk.append((char) (0x4E00 + r.nextInt(2000)));
        }
        String code = "for (int i = 0; i < n; i++) { a[i] = b[i] * c[i] + d[i]; } ".repeat(60);
        for (String text : List.of(cjk.toString(), code, document(30, 5))) {
            List<String> chunks = real.chunk(text);
            assertThat(chunks).isNotEmpty();
            assertThat(chunks).allSatisfy(c -> assertThat(model.countTokens(c)).isLessThanOrEqualTo(256));
        }
        assertThat(real.chunk(cjk.toString())).hasSizeGreaterThan(3000 / 500);
    }
}
