package io.polyphony.ingest.launch;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.testing.RedisTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code java -jar target/polyphony-ingest.jar ingest} three times with a cache folder of its own: the first run unpacks
 * the jar and writes the class archives (its own and its parser process's) when it ends, the second reads them, each
 * in the process that was started (the same process id), and {@code -Dpolyphony.fast-start=false} runs from the jar.
 */
class FastStartIT {

    static final Path JAR = Path.of("target/polyphony-ingest.jar").toAbsolutePath();
    private static final Pattern APP_CLASS = Pattern.compile("\\] io\\.polyphony\\.ingest\\.PolyphonyApplication source: (.+)$",
            Pattern.MULTILINE);

    @TempDir
    Path work;

    record Run(long pid, int exit, String stdout, String log, String appClassSource) {
    }

    private Run ingest(String name, Path docs, String... jvmOptions) throws Exception {
        Path classLog = work.resolve("classes.log"); // one name: the JVM options are part of the archive's name
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:class+load=info:file=" + classLog));
        cmd.addAll(List.of(jvmOptions));
        int port = RedisTestServer.freePort();
        cmd.addAll(List.of("-jar", JAR.toString(), "ingest", docs.toString(), "--room", "fast", "--json",
                "--polyphony.data-dir=" + work.resolve("data-" + name), "--polyphony.redis.embedded-port=" + port,
                "--spring.main.log-startup-info=true"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile());
        pb.environment().put("XDG_CACHE_HOME", work.resolve("cache").toString());
        Process p = pb.start();
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).as(name + " finished").isTrue();
        String log = Files.readString(work.resolve(name + ".err")) + Files.readString(work.resolve(name + ".out"));
        Matcher m = APP_CLASS.matcher(Files.readString(classLog));
        try (var j = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
            j.shutdown(); // the embedded server outlives the command
        } catch (RuntimeException ignored) {
            // already gone
        }
        return new Run(p.pid(), p.exitValue(), Files.readString(work.resolve(name + ".out")), log, m.find() ? m.group(1) : "");
    }

    private List<Path> archives() throws IOException {
        Path launch = work.resolve("cache/polyphony-ingest/launch");
        if (!Files.isDirectory(launch)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(launch)) {
            return s.filter(f -> f.getParent().getFileName().toString().equals("cds")).sorted().toList();
        }
    }

    private static String names(List<Path> files) {
        return String.join(" ", files.stream().map(f -> f.getFileName().toString().replaceAll("-[0-9a-f]{12}\\.\\d*\\.?", "-*."))
                .toList());
    }

    @Test
    void theFirstRunWritesTheArchivesTheNextReadAllInTheProcessThatWasStarted() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        StringBuilder html = new StringBuilder("<html><body><h1>Minutes</h1>");
        for (int i = 0; i < 12; i++) {
            html.append("<p>Item ").append(i).append(": the room agreed to move the launch review to Thursday and to ask ")
                    .append("finance for the revised budget before then.</p>");
        }
        Files.writeString(docs.resolve("minutes.html"), html.append("</body></html>"));

        Run first = ingest("first", docs);
        assertThat(first.exit()).as(first.log()).isZero();
        assertThat(first.log()).contains("with PID " + first.pid() + " ");
        // the unpacked classes, not the jar's nested ones
        assertThat(first.appClassSource()).startsWith("file:" + work.resolve("cache/polyphony-ingest/launch"));
        List<Path> written = archives();
        assertThat(names(written)).isEqualTo("ingest-*.part parser-*.part");
        assertThat(written).allMatch(ClassArchive::whole);
        JsonNode report = JsonMapper.shared().readTree(first.stdout()); // standard output is the report alone
        assertThat(report.get("status").asString()).isEqualTo("COMPLETED");
        assertThat(report.get("files").get(0).get("outcome").asString()).isEqualTo("INGESTED");

        Run second = ingest("second", docs);
        assertThat(second.exit()).as(second.log()).isZero();
        assertThat(second.log()).contains("with PID " + second.pid() + " ");
        assertThat(second.appClassSource()).isEqualTo("shared objects file (top)");
        assertThat(names(archives())).isEqualTo("ingest-*.jsa parser-*.jsa");
        assertThat(JsonMapper.shared().readTree(second.stdout()).get("status").asString()).isEqualTo("COMPLETED");

        Run off = ingest("off", docs, "-Dpolyphony.fast-start=false");
        assertThat(off.exit()).as(off.log()).isZero();
        assertThat(off.appClassSource()).startsWith("jar:nested:" + JAR);
    }
}
