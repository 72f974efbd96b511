package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token ids read straight from the native encodings are DJL's own, for both tokenizers of the default model. */
class TokenizerTests {

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void idsAndCountsAreTheFullEncodingsIds(String model) throws Exception {
        ModelFolder folder = ModelFolder.open(Path.of("models"), model);
        List<String> texts = new ArrayList<>(FidelityTexts.all());
        texts.add("");
        texts.add("word ".repeat(600)); // longer than either model reads: never truncated here
        try (InputStream a = folder.openFile(folder.requireOption("tokenizer"));
             InputStream b = folder.openFile(folder.requireOption("tokenizer"));
             Tokenizer ours = Tokenizer.load(a);
             HuggingFaceTokenizer djl = HuggingFaceTokenizer.newInstance(b,
                     Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"))) {
            long[][] ids = ours.ids(texts);
            assertThat(ids.length).isEqualTo(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                long[] expected = djl.encode(texts.get(i)).getIds();
                assertThat(ids[i]).as(texts.get(i)).containsExactly(expected);
                assertThat(ours.count(texts.get(i))).isEqualTo(expected.length);
            }
            assertThat(ids[texts.size() - 1].length).isGreaterThan(600);
        }
    }

    @org.junit.jupiter.api.Test
    void anEnsembleCountsAListAsItCountsEachText() {
        Embedder model = TestModels.ensemble();
        List<String> texts = FidelityTexts.all();
        int[] one = texts.stream().mapToInt(model::countTokens).toArray();
        assertThat(model.countTokens(texts)).containsExactly(one);
        assertThat(Arrays.stream(one).max().orElseThrow()).isGreaterThan(2);
    }
}
