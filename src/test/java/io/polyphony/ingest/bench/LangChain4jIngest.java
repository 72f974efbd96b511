package io.polyphony.ingest.bench;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.sax.BodyContentHandler;

/**
 * The peer in the race: what a user would write with LangChain4j: Tika's parser, LangChain4j's recursive splitter at
 * the same 500/80 characters, the same two models in ONNX Runtime (LangChain4j's in-process models), vectors
 * concatenated as ours are, into LangChain4j's in-memory store. Prints {@code files segments} on stdout.
 */
public final class LangChain4jIngest {

    private LangChain4jIngest() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        EmbeddingModel minilm = new AllMiniLmL6V2EmbeddingModel();
        EmbeddingModel bge = new BgeSmallEnV15EmbeddingModel();
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        AutoDetectParser parser = new AutoDetectParser();
        var splitter = DocumentSplitters.recursive(500, 80);
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        int segments = 0;
        for (Path f : files) {
            BodyContentHandler text = new BodyContentHandler(-1);
            try (InputStream in = Files.newInputStream(f)) {
                parser.parse(in, text, new Metadata(), new ParseContext());
            }
            List<TextSegment> parts = splitter.split(Document.from(text.toString()));
            if (parts.isEmpty()) {
                continue;
            }
            List<Embedding> a = minilm.embedAll(parts).content();
            List<Embedding> b = bge.embedAll(parts).content();
            List<Embedding> joined = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                float[] x = a.get(i).vector();
                float[] y = b.get(i).vector();
                float[] v = new float[x.length + y.length];
                float s = (float) (1 / Math.sqrt(2));
                for (int j = 0; j < x.length; j++) {
                    v[j] = x[j] * s;
                }
                for (int j = 0; j < y.length; j++) {
                    v[x.length + j] = y[j] * s;
                }
                joined.add(Embedding.from(v));
            }
            store.addAll(joined, parts);
            segments += parts.size();
        }
        System.out.println(files.size() + " " + segments);
    }
}
