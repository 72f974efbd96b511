package io.polyphony.ingest.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.job.IngestProgress;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an upload is refused for before anything of it is kept: one worker and a backlog of one (a third upload while
 * both places are taken gets 429 at once, never waits), and a 4 KiB room quota (507).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:serverbacklog;DB_CLOSE_DELAY=-1", "polyphony.workers=1", "polyphony.backlog=1",
        "polyphony.disk.max-room-bytes=4KB"})
@DirtiesContext
class ServerBacklogTests {

    static final Path ROOT = temp();

    static Path temp() {
        try {
            return Files.createTempDirectory("polyphony-backlog");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + RedisTestServer.port());
        r.add("polyphony.data-dir", () -> ROOT.resolve("data").toString());
        r.add("polyphony.jobs-dir", () -> ROOT.resolve("jobs").toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    IngestProgress progress;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String room = "b" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void noHook() {
        progress.afterWrites(null);
    }

    HttpResponse<String> upload(String name) throws Exception {
        return upload(name, "# " + name + "\n\nThe team agreed on owners and dates for " + name + ".\n");
    }

    HttpResponse<String> upload(String name, String text) throws Exception {
        String boundary = "----polyphony" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: text/markdown\r\n\r\n").getBytes(UTF_8));
        body.write(text.getBytes(UTF_8));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/rooms/" + room + "/documents"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    String status(long execution) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/runs/" + execution)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return JsonMapper.shared().readTree(body).get("status").stringValue();
    }

    String awaitEnd(long execution) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String s = status(execution);
        while (!s.equals("COMPLETED") && !s.equals("FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            s = status(execution);
        }
        return s;
    }

    @Test
    void overTheRoomsDiskQuotaAnUploadGets507AndNothingOfItIsKept() throws Exception {
        String notes = "# Notes\n\n" + "The team agreed on owners and dates for the budget review. ".repeat(45); // 2.6 KiB
        HttpResponse<String> first = upload("notes.md", notes);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(awaitEnd(JsonMapper.shared().readTree(first.body()).get("execution").asLong())).isEqualTo("COMPLETED");
        // the same name again replaces the file: only the difference counts
        HttpResponse<String> replaced = upload("notes.md", notes + "One more decision was recorded.\n");
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(202);
        assertThat(awaitEnd(JsonMapper.shared().readTree(replaced.body()).get("execution").asLong())).isEqualTo("COMPLETED");

        HttpResponse<String> over = upload("more.md", notes);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(507);
        JsonNode error = JsonMapper.shared().readTree(over.body());
        assertThat(error.get("message").stringValue()).startsWith("rejected: room " + room + "'s archive holds 2.6 KiB;")
                .contains("> 4 KiB room quota (polyphony.disk.max-room-bytes)");
        Path archive = ROOT.resolve("data").resolve("uploads").resolve(room);
        try (var files = Files.list(archive)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("notes.md"); // no more.md, no .incoming-*
        }
        String runs = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/rooms/" + room)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(runs).doesNotContain("more.md");
    }

    @Test
    void overWorkersAndBacklogAnUploadGets429WithRetryAfterAndEveryAcceptedOneCompletes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        progress.afterWrites(done -> {
            holding.countDown();
            try {
                release.await(60, TimeUnit.SECONDS); // the one worker is busy until the test lets it go
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        HttpResponse<String> first = upload("first.md");
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(holding.await(60, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> second = upload("second.md");
        assertThat(second.statusCode()).isEqualTo(202); // waits for the worker: its execution exists already
        long t0 = System.nanoTime();
        HttpResponse<String> third = upload("third.md");
        assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5)); // refused, not held
        assertThat(third.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(third.body()).contains("polyphony.workers");
        JsonNode two = JsonMapper.shared().readTree(second.body());
        assertThat(status(two.get("execution").asLong())).isEqualTo("STARTING");

        progress.afterWrites(null);
        release.countDown();
        assertThat(awaitEnd(JsonMapper.shared().readTree(first.body()).get("execution").asLong())).isEqualTo("COMPLETED");
        assertThat(awaitEnd(two.get("execution").asLong())).isEqualTo("COMPLETED");
        HttpResponse<String> again = upload("third.md");
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(awaitEnd(JsonMapper.shared().readTree(again.body()).get("execution").asLong())).isEqualTo("COMPLETED");
    }
}
