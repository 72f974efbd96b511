package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelInfoTests {

    private final ModelInfo ensemble = new ModelInfo("minilm-bge-ensemble", 768, 256);

    @Test
    void sameModelAndDimensionIsCompatible() {
        assertThatCode(() -> ensemble.requireCompatible("room 42", "minilm-bge-ensemble", 768)).doesNotThrowAnyException();
    }

    @Test
    void anotherDimensionIsAClearError() {
        assertThatThrownBy(() -> ensemble.requireCompatible("room 42", "all-mpnet-base-v2", 384))
                .isInstanceOf(ModelInfo.IncompatibleModelException.class)
                .hasMessageContaining("room 42 holds 384-dim vectors of model 'all-mpnet-base-v2'")
                .hasMessageContaining("configured model is 'minilm-bge-ensemble' (768 dims)");
    }

    @Test
    void anotherModelOfTheSameDimensionIsStillAnError() {
        assertThatThrownBy(() -> ensemble.requireCompatible("room 7", "all-mpnet-base-v2", 768))
                .isInstanceOf(ModelInfo.IncompatibleModelException.class);
    }

    @Test
    void invalidInfoIsRefused() {
        assertThatThrownBy(() -> new ModelInfo(" ", 768, 256)).hasMessage("model name must not be blank");
        assertThatThrownBy(() -> new ModelInfo("m", 0, 256)).hasMessage("dimensions must be greater than zero");
    }
}
