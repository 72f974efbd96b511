package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTests {

    @TempDir
    Path root;

    Path models;

    @BeforeEach
    void layout() throws IOException {
        models = Files.createDirectories(root.resolve("models"));
    }

    @Test
    void unknownModelNamesTheFileItLookedFor() {
        assertThatThrownBy(() -> ModelFolder.open(models, "nope"))
                .hasMessageContaining("model 'nope' not found: no " + models.resolve("nope/serving.properties"));
    }

    @Test
    void hostileNamesAreRefused() {
        assertThatThrownBy(() -> ModelFolder.open(models, "../etc")).hasMessage("invalid model name '../etc'");
        assertThatThrownBy(() -> ModelFolder.open(models, "a/b")).hasMessage("invalid model name 'a/b'");
    }

    @Test
    void filesOutsideTheFolderAreRefused() throws IOException {
        write("m", "option.modelType=onnx-bert\n");
        ModelFolder f = ModelFolder.open(models, "m");
        assertThatThrownBy(() -> f.openFile("../other/secret.onnx")).hasMessageContaining("outside its folder");
    }

    @Test
    void missingClasspathWeightsSayWhereTheyComeFrom() throws IOException {
        write("m", "option.modelType=onnx-bert\n");
        ModelFolder f = ModelFolder.open(models, "m");
        assertThatThrownBy(() -> f.openFile("classpath:absent.onnx"))
                .hasMessageContaining("classpath resource absent.onnx not found")
                .hasMessageContaining("Maven artifact");
    }

    @Test
    void unknownModelTypeIsAClearError() throws IOException {
        write("m", "option.modelType=magic\n");
        assertThatThrownBy(() -> new ModelLoader(models, 8).load("m"))
                .hasMessageContaining("unknown option.modelType 'magic'");
    }

    @Test
    void requiredOptionsAreNamed() throws IOException {
        write("m", "option.modelType=onnx-bert\noption.heads=12\n");
        assertThatThrownBy(() -> new ModelLoader(models, 8).load("m")).hasMessageContaining("option.pooling is required");
    }

    @Test
    void anEnsembleCannotContainItself() throws IOException {
        write("e", "option.modelType=ensemble\noption.members=e\n");
        assertThatThrownBy(() -> new ModelLoader(models, 8).load("e")).hasMessageContaining("lists itself as a member");
    }

    @Test
    void modelsDirectoryIsFoundAboveTheApplicationHome() throws IOException {
        write("m", "option.modelType=onnx-bert\n");
        Path classes = Files.createDirectories(root.resolve("target/classes"));
        assertThat(ModelsDirectory.resolve(null, classes)).isEqualTo(models.toAbsolutePath());
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
        assertThat(ModelsDirectory.resolve(elsewhere, classes)).isEqualTo(elsewhere);
    }

    private void write(String name, String properties) throws IOException {
        Files.createDirectories(models.resolve(name));
        Files.writeString(models.resolve(name).resolve("serving.properties"), properties);
    }
}
