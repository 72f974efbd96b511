package io.polyphony.ingest.embed;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;

/**
 * A folder as DJL's Hugging Face converter writes it for a text-embedding model ({@code <name>.pt}
 * TorchScript, {@code tokenizer.json}, {@code serving.properties} naming
 * {@code TextEmbeddingTranslatorFactory}), loaded through DJL's {@link Criteria}. The dimension is read
 * off the model's output; the token limit is {@code option.maxTokens}, else the factory's
 * {@code maxLength}, else 512.
 */
public final class TorchScriptEmbedder implements Embedder {

    private final ZooModel<String, float[]> model;
    private final Predictor<String, float[]> predictor;
    private final Tokenizer counter;
    private final ModelInfo info;
    private final int batchSize;

    private TorchScriptEmbedder(ZooModel<String, float[]> model, Tokenizer counter, String name, int maxTokens, int batchSize) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.counter = counter;
        this.batchSize = batchSize;
        int dims = predictOne("dimension probe").length;
        this.info = new ModelInfo(name, dims, maxTokens);
    }

    static Embedder load(ModelFolder folder, int batchSize) throws IOException {
        int maxTokens = Integer.parseInt(folder.option("maxTokens",
                folder.properties().getProperty("maxLength", "512")));
        Criteria<String, float[]> criteria = Criteria.builder()
                .setTypes(String.class, float[].class)
                .optModelPath(folder.dir())
                .optEngine("PyTorch")
                .optTranslatorFactory(new TextEmbeddingTranslatorFactory())
                // we refuse over-long input before it gets here, so the translator must never cut
                .optArgument("truncation", "false")
                .optArgument("padding", "true")
                .build();
        Tokenizer counter;
        try (InputStream in = folder.openFile("tokenizer.json")) {
            counter = Tokenizer.load(in);
        }
        try {
            return new TorchScriptEmbedder(criteria.loadModel(), counter, folder.name(), maxTokens, batchSize);
        } catch (ModelNotFoundException | MalformedModelException e) {
            counter.close();
            throw new IOException("model '" + folder.name() + "' in " + folder.dir() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public int countTokens(String text) {
        return counter.count(text);
    }

    @Override
    public synchronized List<float[]> embed(List<String> texts) {
        int[] lengths = new int[texts.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = countTokens(texts.get(i));
            if (lengths[i] > info.maxTokens()) {
                throw new TokenLimitExceededException(info.name(), i, lengths[i], info.maxTokens());
            }
        }
        return Arrays.asList(LengthBuckets.run(lengths, batchSize, idx -> {
            try {
                List<float[]> out = predictor.batchPredict(Arrays.stream(idx).mapToObj(texts::get).toList());
                return out.stream().map(TorchScriptEmbedder::unit).toArray(float[][]::new);
            } catch (TranslateException e) {
                throw new IllegalStateException("model '" + info.name() + "' failed: " + e.getMessage(), e);
            }
        }));
    }

    private float[] predictOne(String text) {
        try {
            return predictor.predict(text);
        } catch (TranslateException e) {
            throw new IllegalStateException("model failed on a probe text: " + e.getMessage(), e);
        }
    }

    private static float[] unit(float[] v) {
        double norm = 0;
        for (float f : v) {
            norm += f * f;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        float[] u = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] * inv;
        }
        return u;
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
        counter.close();
    }
}
