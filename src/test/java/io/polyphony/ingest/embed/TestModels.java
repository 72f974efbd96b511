package io.polyphony.ingest.embed;

import java.nio.file.Path;

final class TestModels {

    private TestModels() {
    }

    static ModelLoader loader() {
        io.polyphony.ingest.PolyphonyApplication.prepareDjl();
        return new ModelLoader(Path.of("models"), 16);
    }
}
