package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our PyTorch forward pass against the reference: langchain4j running the same ONNX files on ONNX Runtime.
 * The MiniLM tokenizer.json in the jar truncates at 128 tokens, so that half is compared within 128.
 */
class EmbeddingFidelityTests {

    static EnsembleEmbedder ensemble;
    static Embedder minilm;
    static Embedder bge;

    @BeforeAll
    static void load() {
        ensemble = TestModels.ensemble();
        minilm = ensemble.members().get(0);
        bge = ensemble.members().get(1);
    }

    static List<String> texts;
    static List<String> withinEnsemble;
    static List<float[]> refMini;
    static List<float[]> refBge;

    @BeforeAll
    static void referenceVectors() {
        texts = FidelityTexts.all();
        withinEnsemble = texts.stream().filter(t -> TestModels.ensemble().countTokens(t) <= 256).toList();
        refMini = reference(new AllMiniLmL6V2EmbeddingModel(), withinEnsemble);
        refBge = reference(new BgeSmallEnV15EmbeddingModel(), texts);
    }

    /** The model as this machine loads it by default (bf16 where the processor has it). */
    @Test
    void eachHalfMatchesItsReferenceModelOnVariedTexts() {
        assertThat(texts).hasSizeGreaterThanOrEqualTo(50);
        assertThat(withinEnsemble.size()).isLessThan(texts.size()); // some texts are for bge's longer window only
        assertMatchesReference(ensemble, "auto (" + Precision.detect().label() + ")", 0.999);
    }

    /** Each precision, forced: fp32 to four nines at least (it is the same arithmetic), bf16 to three. */
    @Test
    void fp32MatchesToFourNinesAndBf16ToThree() {
        EnsembleEmbedder fp32 = load(Precision.FP32);
        EnsembleEmbedder bf16 = load(Precision.BF16);
        try {
            assertMatchesReference(fp32, "fp32", 0.9999);
            assertMatchesReference(bf16, "bf16", 0.999);
            List<float[]> a = fp32.embed(texts.subList(0, 20));
            List<float[]> b = bf16.embed(texts.subList(0, 20));
            double min = 1;
            for (int i = 0; i < a.size(); i++) {
                min = Math.min(min, Vectors.cosine(a.get(i), b.get(i)));
            }
            assertThat(min).isGreaterThan(0.999);
            System.out.printf("fidelity: min cosine bf16 against fp32 %.7f%n", min);
        } finally {
            fp32.close();
            bf16.close();
        }
    }

    private static EnsembleEmbedder load(Precision p) {
        io.polyphony.ingest.PolyphonyApplication.prepareDjl();
        return (EnsembleEmbedder) new ModelLoader(java.nio.file.Path.of("models"), 16, p).load("minilm-bge-ensemble");
    }

    private static void assertMatchesReference(EnsembleEmbedder model, String label, double threshold) {
        Embedder mini = model.members().get(0);
        List<float[]> oursMini = mini.embed(withinEnsemble);
        List<float[]> oursBge = model.members().get(1).embed(texts);
        List<float[]> oursEnsemble = model.embed(withinEnsemble);
        double minMini = 1;
        double minBge = 1;
        int comparedMini = 0;
        for (int i = 0; i < withinEnsemble.size(); i++) {
            float[] v = oursEnsemble.get(i);
            assertThat(v).hasSize(768);
            assertThat(Vectors.norm(v)).isCloseTo(1.0, offset(1e-4));
            // the ensemble is exactly its members' unit vectors side by side, scaled by 1/sqrt(2)
            assertThat(Vectors.cosine(Arrays.copyOfRange(v, 0, 384), oursMini.get(i))).isGreaterThan(0.99999);
            if (mini.countTokens(withinEnsemble.get(i)) <= 128) {
                double c = Vectors.cosine(oursMini.get(i), refMini.get(i));
                assertThat(c).as("%s MiniLM cosine for text %d: %s", label, i, withinEnsemble.get(i)).isGreaterThanOrEqualTo(threshold);
                minMini = Math.min(minMini, c);
                comparedMini++;
            }
        }
        for (int i = 0; i < texts.size(); i++) {
            double c = Vectors.cosine(oursBge.get(i), refBge.get(i));
            assertThat(c).as("%s bge cosine for text %d: %s", label, i, texts.get(i)).isGreaterThanOrEqualTo(threshold);
            minBge = Math.min(minBge, c);
        }
        assertThat(comparedMini).isGreaterThanOrEqualTo(50);
        System.out.printf("fidelity %s: MiniLM min cosine %.7f over %d texts, bge min cosine %.7f over %d texts%n",
                label, minMini, comparedMini, minBge, texts.size());
    }

    @Test
    void ensembleCosineIsTheMeanOfTheMembersCosines() {
        List<String> texts = List.of("budget review for the Berlin office", "Berlin office costs and budget",
                "the cat sat on the mat");
        List<float[]> e = ensemble.embed(texts);
        List<float[]> m = minilm.embed(texts);
        List<float[]> b = bge.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            for (int j = 0; j < texts.size(); j++) {
                double expected = (Vectors.cosine(m.get(i), m.get(j)) + Vectors.cosine(b.get(i), b.get(j))) / 2;
                assertThat(Vectors.dot(e.get(i), e.get(j))).isCloseTo(expected, offset(1e-5));
            }
        }
        // and it still ranks: the two budget texts are closer to each other than to the cat
        assertThat(Vectors.dot(e.get(0), e.get(1))).isGreaterThan(Vectors.dot(e.get(0), e.get(2)) + 0.2);
    }

    private static List<float[]> reference(EmbeddingModel model, List<String> texts) {
        return model.embedAll(texts.stream().map(TextSegment::from).toList()).content().stream()
                .map(emb -> emb.vector()).toList();
    }
}
