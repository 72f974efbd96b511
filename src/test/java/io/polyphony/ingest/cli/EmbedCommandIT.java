package io.polyphony.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code embed} contract through the packaged jar, as a user runs it: from another working
 * directory, and in a network namespace with no network at all, to show nothing is downloaded.
 */
class EmbedCommandIT {

    static final Path JAR = Path.of("target/polyphony-ingest.jar").toAbsolutePath();

    @TempDir
    Path workDir;

    record Run(int exit, List<String> stdout, String stderr) {
    }

    @Test
    void embedsJsonLinesWithTheDefaultModelWithoutANetwork() throws Exception {
        assumeThat(canIsolateNetwork()).as("needs unshare --net (root)").isTrue();
        // a fresh network namespace: only a loopback interface (brought up for the app's own H2 server port)
        Run run = run(List.of("unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"), List.of(),
                "{\"id\": \"n1\", \"text\": \"Action items from the planning meeting\"}\n"
                        + "{\"id\": \"n2\", \"text\": \"Das Budget für Berlin wurde erhöht.\"}\n");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).hasSize(2);
        List<JsonNode> lines = run.stdout().stream().map(l -> JsonMapper.shared().readTree(l)).toList();
        assertThat(lines).extracting(l -> l.get("id").stringValue()).containsExactly("n1", "n2");
        for (JsonNode l : lines) {
            assertThat(l.get("vector").size()).isEqualTo(768);
        }
        assertThat(run.stderr()).contains("embedded 2 of 2 lines with minilm-bge-ensemble (768 dims)");
        assertThat(workDir.resolve("data")).as("embed creates no job repository files").doesNotExist();
    }

    @Test
    void theModelIsChosenByConfigurationAndErrorsSetTheExitCode() throws Exception {
        Run run = run(List.of(), List.of("--polyphony.embedding.model=bge-small-en-v1.5"),
                "{\"id\": 1, \"text\": \"hello\"}\n{\"id\": 2}\n");
        assertThat(run.exit()).as(run.stderr()).isEqualTo(1);
        assertThat(run.stdout()).hasSize(2);
        assertThat(JsonMapper.shared().readTree(run.stdout().get(0)).get("vector").size()).isEqualTo(384);
        assertThat(JsonMapper.shared().readTree(run.stdout().get(1)).get("error").stringValue()).contains("\"text\" must be a string");
    }

    @Test
    void anUnknownModelFailsWithAClearMessage() throws Exception {
        Run run = run(List.of(), List.of("--polyphony.embedding.model=nope"), "{\"id\": 1, \"text\": \"hello\"}\n");
        assertThat(run.exit()).isNotZero();
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).contains("model 'nope' not found");
    }

    private Run run(List<String> prefix, List<String> options, String stdin) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(), "embed"));
        cmd.addAll(options);
        Path out = workDir.resolve("out.txt");
        Path err = workDir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("embed did not finish in 120 s: " + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err));
    }

    private static boolean canIsolateNetwork() {
        try {
            return new ProcessBuilder("unshare", "--net", "--", "sh", "-c", "ip link set lo up").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
