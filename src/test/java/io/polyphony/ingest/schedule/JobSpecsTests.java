package io.polyphony.ingest.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSpecsTests {

    @TempDir
    Path root;

    private Path write(String name, String yaml) throws IOException {
        Path jobs = Files.createDirectories(root.resolve("jobs"));
        return Files.writeString(jobs.resolve(name), yaml);
    }

    private List<JobSpec> load() {
        return JobSpecs.load(root.resolve("jobs"), root);
    }

    @Test
    void theShippedUploadsJobIsValid() {
        List<JobSpec> specs = JobSpecs.load(Path.of("jobs"), Path.of("").toAbsolutePath());
        assertThat(specs).extracting(JobSpec::name).contains("uploads");
        JobSpec uploads = specs.stream().filter(s -> s.name().equals("uploads")).findFirst().orElseThrow();
        assertThat(uploads.source()).isEqualTo(Path.of("").toAbsolutePath().resolve("uploads"));
        assertThat(uploads.schedule()).contains("0 */5 * * * *");
    }

    @Test
    void aFullSpecIsReadWithItsOverrides() throws IOException {
        write("board.yaml", """
                source: /srv/board-uploads
                schedule: "0 0 * * * *"
                max-file-bytes: 5242880
                max-chunks-per-file: 200
                max-chunks-per-room: 800
                model: all-minilm-l6-v2
                """);
        JobSpec s = load().get(0);
        assertThat(s.name()).isEqualTo("board");
        assertThat(s.source()).isEqualTo(Path.of("/srv/board-uploads"));
        assertThat(s.maxFileBytes()).hasValue(5_242_880);
        assertThat(s.maxChunksPerFile()).hasValue(200);
        assertThat(s.maxChunksPerRoom()).hasValue(800);
        assertThat(s.model()).contains("all-minilm-l6-v2");
    }

    @Test
    void noJobsFolderMeansNoJobs() {
        assertThat(JobSpecs.load(root.resolve("absent"), root)).isEmpty();
    }

    @Nested
    class Invalid {

        @Test
        void everyProblemNamesItsFileAndField() throws IOException {
            write("a.yaml", "schedule: \"every five minutes\"\nsourec: x\n");
            write("b.yaml", "source: in\nmax-chunks-per-file: -3\nmax-file-bytes: 1.5\nmodel: ../etc\n");
            assertThatThrownBy(JobSpecsTests.this::load)
                    .isInstanceOfSatisfying(JobSpecs.InvalidJobSpecsException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                            "jobs/a.yaml: unknown field 'sourec' (known: max-chunks-per-file, max-chunks-per-room, max-file-bytes, model, schedule, source)",
                            "jobs/a.yaml: source: required, a folder laid out <source>/<roomId>/<files>",
                            "jobs/a.yaml: schedule: 'every five minutes' is not a Spring cron expression"
                                    + " (6 fields: second minute hour day-of-month month day-of-week, e.g. \"0 */5 * * * *\")",
                            "jobs/b.yaml: max-file-bytes: '1.5' must be a whole number greater than zero",
                            "jobs/b.yaml: max-chunks-per-file: '-3' must be a whole number greater than zero",
                            "jobs/b.yaml: model: '../etc' is not a model folder name"));
        }

        @Test
        void notYamlOrNotAMapping() throws IOException {
            write("broken.yaml", "source: [unclosed\n");
            write("list.yaml", "- source: x\n");
            assertThatThrownBy(JobSpecsTests.this::load)
                    .hasMessageContaining("jobs/broken.yaml: not valid YAML")
                    .hasMessageContaining("jobs/list.yaml: expected a mapping with at least 'source'");
        }

        @Test
        void theFileNameIsTheJobName() throws IOException {
            write("my job.yaml", "source: x\n");
            assertThatThrownBy(JobSpecsTests.this::load).hasMessageContaining("jobs/my job.yaml: the file name must be a job name");
        }
    }
}
