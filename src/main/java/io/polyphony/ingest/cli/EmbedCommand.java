package io.polyphony.ingest.cli;

import io.polyphony.ingest.embed.Embedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * {@code embed}: JSON lines {"id","text"} on stdin, {"id","vector"} lines on stdout, one output line per
 * input line and in the same order. A line that cannot be embedded gets {"id","error"} instead, so
 * the output stays aligned; the exit code is then 1.
 */
@Component
public class EmbedCommand implements Command {

    private static final int MAX_PENDING = 256;

    private final ObjectProvider<Embedder> embedder;

    public EmbedCommand(ObjectProvider<Embedder> embedder) {
        this.embedder = embedder;
    }

    @Override
    public String name() {
        return "embed";
    }

    @Override
    public String usage() {
        return "reads {\"id\",\"text\"} JSON lines on stdin, writes {\"id\",\"vector\"} lines on stdout";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws IOException {
        if (!args.isEmpty()) {
            err.println("embed takes no arguments (model: --polyphony.embedding.model=NAME)");
            return CommandLineDispatcher.USAGE;
        }
        JsonLinesEmbedding job = new JsonLinesEmbedding(embedder.getObject());
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        List<String> pending = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            pending.add(line);
            // flush when the batch is full or nothing more is waiting, so interactive use is not held back
            if (pending.size() >= MAX_PENDING || !reader.ready()) {
                job.process(pending, out);
                pending.clear();
            }
        }
        job.process(pending, out);
        out.flush();
        err.printf("embedded %d of %d lines with %s (%d dims)%n", job.embedded(), job.lines(),
                job.model().name(), job.model().dimensions());
        return job.errors() == 0 ? 0 : 1;
    }
}
