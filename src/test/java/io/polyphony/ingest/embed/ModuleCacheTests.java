package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.PolyphonyApplication;
import io.polyphony.ingest.embed.bert.ModuleCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generated modules kept on disk: written once, loaded after, replaced when damaged; vectors identical throughout. */
class ModuleCacheTests {

    private static final List<String> TEXTS = List.of("Alice owns the budget review.", "The pilot starts on Monday",
            "Legal asked us to redact the customer names before the vendor sees the contract.");

    @TempDir
    Path cacheDir;

    private List<float[]> embedWithCache() {
        PolyphonyApplication.prepareDjl();
        try (Embedder e = new ModelLoader(Path.of("models"), 16, Precision.detect(), 1, ModuleCache.at(cacheDir))
                .load("all-minilm-l6-v2")) {
            return e.embed(TEXTS);
        }
    }

    private List<float[]> embedWithoutCache() {
        PolyphonyApplication.prepareDjl();
        try (Embedder e = new ModelLoader(Path.of("models"), 16, Precision.detect(), 1).load("all-minilm-l6-v2")) {
            return e.embed(TEXTS);
        }
    }

    private List<Path> entries(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(cacheDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    @Test
    void theFirstLoadKeepsTheModuleAndTheNextLoadsItUnchanged() throws IOException {
        List<float[]> generated = embedWithCache();
        assertThat(entries(".pt")).hasSize(1);
        assertThat(entries(".properties")).hasSize(1);
        assertThat(entries(".tmp")).as("no temporary files left").isEmpty();
        Path module = entries(".pt").get(0);
        FileTime written = Files.getLastModifiedTime(module);
        byte[] bytes = Files.readAllBytes(module);

        List<float[]> cached = embedWithCache();
        assertThat(Files.getLastModifiedTime(module)).as("loaded, not generated again").isEqualTo(written);
        assertThat(Files.readAllBytes(module)).isEqualTo(bytes);
        List<float[]> fresh = embedWithoutCache();
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(cached.get(i)).containsExactly(generated.get(i));
            assertThat(cached.get(i)).containsExactly(fresh.get(i));
        }
    }

    @Test
    void aDamagedModuleIsGeneratedAgain() throws IOException {
        List<float[]> before = embedWithCache();
        Path module = entries(".pt").get(0);
        Files.write(module, new byte[] {'P', 'K', 3, 4, 0, 0, 0});

        List<float[]> after = embedWithCache();
        assertThat(Files.size(module)).as("replaced by a whole module").isGreaterThan(1_000_000);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(after.get(i)).containsExactly(before.get(i));
        }
    }

    @Test
    void aCacheThatCannotBeWrittenOnlyCostsTime() throws IOException {
        Path blocked = Files.writeString(cacheDir.resolve("a-file"), "not a folder");
        List<float[]> fresh = embedWithoutCache();
        PolyphonyApplication.prepareDjl();
        try (Embedder e = new ModelLoader(Path.of("models"), 16, Precision.detect(), 1, ModuleCache.at(blocked.resolve("modules")))
                .load("all-minilm-l6-v2")) {
            List<float[]> v = e.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertThat(v.get(i)).containsExactly(fresh.get(i));
            }
        }
    }

    @Test
    void theKeyChangesWithTheWeightsAndTheOptions() {
        String base = ModuleCache.key("m-bf16", "jar:a.jar!/m.onnx|100|5", "heads=12");
        assertThat(base).startsWith("m-bf16-").hasSize("m-bf16-".length() + 64);
        assertThat(ModuleCache.key("m-bf16", "jar:a.jar!/m.onnx|100|5", "heads=12")).isEqualTo(base);
        assertThat(ModuleCache.key("m-bf16", "jar:b.jar!/m.onnx|100|5", "heads=12")).isNotEqualTo(base);
        assertThat(ModuleCache.key("m-bf16", "jar:a.jar!/m.onnx|100|6", "heads=12")).isNotEqualTo(base);
        assertThat(ModuleCache.key("m-bf16", "jar:a.jar!/m.onnx|100|5", "heads=6")).isNotEqualTo(base);
        assertThat(ModuleCache.key("m-fp32", "jar:a.jar!/m.onnx|100|5", "heads=12")).isNotEqualTo(base);
    }

    @Test
    void anEntryReplacesTheOlderOnesOfItsModelAndPrecisionOnly() throws IOException {
        String stale = "all-minilm-l6-v2-" + Precision.detect().label() + "-" + "0".repeat(64);
        String other = "bge-small-en-v1.5-" + Precision.detect().label() + "-" + "1".repeat(64);
        for (String k : List.of(stale, other)) {
            Files.writeString(cacheDir.resolve(k + ".pt"), "old");
            Files.writeString(cacheDir.resolve(k + ".properties"), "old");
        }
        embedWithCache();
        assertThat(cacheDir.resolve(stale + ".pt")).doesNotExist();
        assertThat(cacheDir.resolve(stale + ".properties")).doesNotExist();
        assertThat(cacheDir.resolve(other + ".pt")).exists();
        assertThat(entries(".pt")).hasSize(2);
    }
}
