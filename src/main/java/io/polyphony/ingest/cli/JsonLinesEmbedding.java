package io.polyphony.ingest.cli;

import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.ModelInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The embed command's line protocol, apart from stdin and stdout so it can be tested directly. */
final class JsonLinesEmbedding {

    private final Embedder embedder;
    private final JsonMapper json = JsonMapper.shared();
    private long lines;
    private long embedded;
    private long errors;

    JsonLinesEmbedding(Embedder embedder) {
        this.embedder = embedder;
    }

    private record Line(JsonNode id, String text, String error) {
    }

    void process(List<String> batch, PrintStream out) {
        if (batch.isEmpty()) {
            return;
        }
        List<Line> parsed = new ArrayList<>(batch.size());
        List<String> texts = new ArrayList<>();
        for (String raw : batch) {
            lines++;
            Line l = parse(raw, lines);
            parsed.add(l);
            if (l.error() == null) {
                texts.add(l.text());
            }
        }
        List<float[]> vectors = texts.isEmpty() ? List.of() : embedder.embed(texts);
        int v = 0;
        StringBuilder sb = new StringBuilder(16 * 1024);
        for (Line l : parsed) {
            sb.setLength(0);
            sb.append("{\"id\":").append(l.id() == null ? "null" : json.writeValueAsString(l.id()));
            if (l.error() != null) {
                errors++;
                sb.append(",\"error\":").append(json.writeValueAsString(l.error())).append('}');
            } else {
                embedded++;
                sb.append(",\"vector\":[");
                float[] vec = vectors.get(v++);
                for (int i = 0; i < vec.length; i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    sb.append(vec[i]);
                }
                sb.append("]}");
            }
            out.println(sb);
        }
    }

    private Line parse(String raw, long lineNo) {
        if (raw.isBlank()) {
            return new Line(null, null, "line " + lineNo + ": empty line");
        }
        JsonNode node;
        try {
            node = json.readTree(raw);
        } catch (JacksonException e) {
            return new Line(null, null, "line " + lineNo + ": not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return new Line(null, null, "line " + lineNo + ": expected a JSON object {\"id\":..., \"text\":...}");
        }
        JsonNode id = node.get("id");
        JsonNode text = node.get("text");
        if (text == null || !text.isString()) {
            return new Line(id, null, "line " + lineNo + ": \"text\" must be a string");
        }
        int tokens = embedder.countTokens(text.stringValue());
        int limit = embedder.info().maxTokens();
        if (tokens > limit) {
            return new Line(id, null, "line " + lineNo + ": text has " + tokens + " tokens > " + limit
                    + "-token limit of model '" + embedder.info().name() + "'; split it into chunks");
        }
        return new Line(id, text.stringValue(), null);
    }

    long lines() {
        return lines;
    }

    long embedded() {
        return embedded;
    }

    long errors() {
        return errors;
    }

    ModelInfo model() {
        return embedder.info();
    }
}
