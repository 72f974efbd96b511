package io.polyphony.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.embed.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class JsonLinesEmbeddingTests {

    private final JsonLinesEmbedding embedding = new JsonLinesEmbedding(TestModels.ensemble());
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void oneVectorLinePerInputLineInOrder() {
        embedding.process(List.of("{\"id\": \"a\", \"text\": \"first chunk\"}",
                "{\"id\": \"b\", \"text\": \"second, a little longer chunk of meeting notes\"}"), out);
        List<JsonNode> lines = lines();
        assertThat(lines).extracting(l -> l.get("id").stringValue()).containsExactly("a", "b");
        for (JsonNode l : lines) {
            assertThat(l.get("vector").size()).isEqualTo(768);
            double norm = 0;
            for (JsonNode f : l.get("vector")) {
                norm += f.doubleValue() * f.doubleValue();
            }
            assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(embedding.errors()).isZero();
    }

    @Test
    void badLinesGetAnErrorLineAndTheRestGoOn() {
        embedding.process(List.of(
                "not json",
                "{\"id\": 7}",
                "",
                "{\"id\": \"long\", \"text\": \"" + "word ".repeat(300) + "\"}",
                "[1, 2]",
                "{\"id\": \"ok\", \"text\": \"still embedded\"}"), out);
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0).get("error").stringValue()).startsWith("line 1: not JSON");
        assertThat(lines.get(1).get("id").intValue()).isEqualTo(7);
        assertThat(lines.get(1).get("error").stringValue()).isEqualTo("line 2: \"text\" must be a string");
        assertThat(lines.get(2).get("error").stringValue()).isEqualTo("line 3: empty line");
        assertThat(lines.get(3).get("error").stringValue())
                .isEqualTo("line 4: text has 302 tokens > 256-token limit of model 'minilm-bge-ensemble'; split it into chunks");
        assertThat(lines.get(4).get("error").stringValue()).startsWith("line 5: expected a JSON object");
        assertThat(lines.get(5).get("vector").size()).isEqualTo(768);
        assertThat(embedding.errors()).isEqualTo(5);
        assertThat(embedding.embedded()).isEqualTo(1);
    }

    @Test
    void idsAreEchoedExactlyEvenWithQuotesAndUnicode() {
        embedding.process(List.of("{\"id\": \"x\\\"y\\u00e9\", \"text\": \"t\"}"), out);
        assertThat(lines().get(0).get("id").stringValue()).isEqualTo("x\"yé");
    }

    private List<JsonNode> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().map(l -> JsonMapper.shared().readTree(l)).toList();
    }
}
