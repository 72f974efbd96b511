package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder laid out as DJL's Hugging Face converter writes it (TorchScript {@code .pt},
 * {@code tokenizer.json}, {@code serving.properties} naming the text-embedding translator) loads through
 * the same {@link Embedder} interface, chosen by name, with its dimension taken from the model.
 */
class TorchScriptFolderTests {

    static final int DIMS = 24;
    static final int VOCAB = 30522;

    @TempDir
    static Path models;

    static float[][] table;
    static Tokenizer tokenizer;
    static Embedder model;

    @BeforeAll
    static void writeFolderAndLoad() throws IOException {
        Random r = new Random(11);
        table = new float[VOCAB][DIMS];
        for (float[] row : table) {
            for (int j = 0; j < DIMS; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        Path dir = Files.createDirectories(models.resolve("bag-of-words"));
        TorchScriptArchive.write(dir.resolve("bag-of-words.pt"), table);
        try (InputStream in = TorchScriptFolderTests.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.writeString(dir.resolve("serving.properties"), """
                engine=PyTorch
                option.modelName=bag-of-words
                option.mapLocation=true
                translatorFactory=ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory
                pooling=mean
                normalize=true
                includeTokenTypes=false
                maxLength=64
                """);
        try (InputStream in = Files.newInputStream(dir.resolve("tokenizer.json"))) {
            tokenizer = Tokenizer.load(in);
        }
        io.polyphony.ingest.PolyphonyApplication.prepareDjl();
        model = new ModelLoader(models, 4).load("bag-of-words");
    }

    @AfterAll
    static void close() {
        model.close();
        tokenizer.close();
    }

    @Test
    void dimensionAndLimitComeFromTheFolder() {
        assertThat(model).isInstanceOf(TorchScriptEmbedder.class);
        assertThat(model.info()).isEqualTo(new ModelInfo("bag-of-words", DIMS, 64));
    }

    @Test
    void vectorsAreWhatTheTorchScriptModelComputes() {
        List<String> texts = List.of("budget review", "a much longer sentence about the Berlin office budget review",
                "x", "Die Besprechung wurde verschoben.", "mean pooling ignores the padding of shorter texts in a batch");
        List<float[]> vectors = model.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(Vectors.cosine(vectors.get(i), expected(texts.get(i)))).as(texts.get(i)).isGreaterThan(0.99999);
            assertThat(Vectors.norm(vectors.get(i))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void overTheLimitIsAnErrorNotACut() {
        String text = "word ".repeat(70);
        assertThat(model.countTokens(text)).isEqualTo(72);
        assertThatThrownBy(() -> model.embed(List.of(text)))
                .isInstanceOf(TokenLimitExceededException.class)
                .hasMessage("text 0 has 72 tokens > 64-token limit of model 'bag-of-words'");
    }

    /** Mean of the token rows, computed here independently of DJL and libtorch. */
    private static float[] expected(String text) {
        long[] ids = tokenizer.ids(List.of(text))[0];
        float[] sum = new float[DIMS];
        for (long id : ids) {
            for (int j = 0; j < DIMS; j++) {
                sum[j] += table[(int) id][j] / ids.length;
            }
        }
        return sum;
    }
}
