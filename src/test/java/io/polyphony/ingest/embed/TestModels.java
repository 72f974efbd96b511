package io.polyphony.ingest.embed;

import io.polyphony.ingest.PolyphonyApplication;
import java.nio.file.Path;

/** The real default model, loaded once per test JVM (loading takes seconds). */
public final class TestModels {

    private static EnsembleEmbedder ensemble;

    private TestModels() {
    }

    public static ModelLoader loader() {
        PolyphonyApplication.prepareDjl();
        return new ModelLoader(Path.of("models"), 16);
    }

    public static synchronized EnsembleEmbedder ensemble() {
        if (ensemble == null) {
            ensemble = (EnsembleEmbedder) loader().load("minilm-bge-ensemble");
            Runtime.getRuntime().addShutdownHook(new Thread(ensemble::close));
        }
        return ensemble;
    }
}
