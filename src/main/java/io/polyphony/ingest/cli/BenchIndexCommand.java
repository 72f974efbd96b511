package io.polyphony.ingest.cli;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.Capacity;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.bench.SyntheticChunks;
import io.polyphony.ingest.extract.Extraction;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.roomindex.IndexLayout;
import io.polyphony.ingest.roomindex.IndexLayouts;
import io.polyphony.ingest.roomindex.RedisTopology;
import io.polyphony.ingest.roomindex.VectorSetLayout;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.bench.IndexBenchmark;
import io.polyphony.ingest.roomindex.bench.IndexBenchmark.Doc;
import io.polyphony.ingest.sample.ChunkSampler;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import redis.clients.jedis.UnifiedJedis;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bench-index}: each index layout the connected Redis can serve, measured on one room of real
 * chunks (sample-docs plus a generated corpus, embedded by the model): bytes per chunk, recall@k of its
 * search against exact cosine top-k, search latency p50/p99, and rooms per 1 GB. Writes and deletes rooms
 * named {@code bench-index-…}. With {@code --listpack} it measures again with chunk hashes encoded as listpacks
 * ({@code hash-max-listpack-value 1024}, set for the run and restored after).
 */
@Component
class BenchIndexCommand implements Command {

    private final ObjectProvider<Embedder> embedder;
    private final ObjectProvider<TextExtractor> extractor;
    private final ObjectProvider<RedisTopology> topology;
    private final PolyphonyProperties props;

    BenchIndexCommand(ObjectProvider<Embedder> embedder, ObjectProvider<TextExtractor> extractor,
                      ObjectProvider<RedisTopology> topology, PolyphonyProperties props) {
        this.embedder = embedder;
        this.extractor = extractor;
        this.topology = topology;
        this.props = props;
    }

    @Override
    public String name() {
        return "bench-index";
    }

    @Override
    public String usage() {
        return "[--chunks 1000] [--queries 200] [--k 10] [--sample-docs sample-docs] [--m 16,8,6] [--listpack] [--json]: bytes per chunk,"
                + " recall@k and search latency of each index layout the connected Redis has";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        CliArgs a = CliArgs.parse(args, List.of("--chunks", "--queries", "--k", "--sample-docs", "--m"), List.of("--json", "--listpack"));
        int total = a.intValue("--chunks", 1000);
        int queryCount = a.intValue("--queries", 200);
        int k = a.intValue("--k", 10);
        Embedder model = embedder.getObject();
        List<List<String>> texts = corpus(Path.of(a.value("--sample-docs", "sample-docs")), model, total);
        List<String> flat = texts.stream().flatMap(List::stream).toList();
        err.printf("embedding %,d chunks and %d queries …%n", flat.size(), queryCount);
        List<float[]> vectors = model.embed(flat);
        List<Doc> docs = new ArrayList<>();
        int at = 0;
        for (int d = 0; d < texts.size(); d++) {
            List<ChunkRecord> c = new ArrayList<>();
            for (String t : texts.get(d)) {
                c.add(new ChunkRecord(t, vectors.get(at++)));
            }
            docs.add(new Doc(String.format("doc-%03d.md", d), c));
        }
        List<float[]> queries = model.embed(queries(flat, queryCount));

        RedisTopology t = topology.getObject();
        UnifiedJedis server = t.shards().get(0).node();
        List<IndexLayout> layouts = new ArrayList<>();
        layouts.add(IndexLayouts.choose(t.client(), server, "scan", VectorSetLayout.Options.DEFAULTS));
        if (IndexLayouts.has(server, "VADD")) {
            List<VectorSetLayout.Options> variants = new ArrayList<>();
            for (String m : a.value("--m", "16,8,6").split(",")) {
                variants.add(new VectorSetLayout.Options("q8", Integer.parseInt(m.strip())));
            }
            variants.add(new VectorSetLayout.Options("noquant", 16));
            variants.add(new VectorSetLayout.Options("bin", 16));
            for (VectorSetLayout.Options o : variants) {
                layouts.add(IndexLayouts.choose(t.client(), server, "vectorset", o));
            }
        } else {
            err.println("this Redis has no vector sets (VADD): vectorset not measured");
        }
        if (IndexLayouts.has(server, "FT.CREATE")) {
            layouts.add(IndexLayouts.choose(t.client(), server, "search", VectorSetLayout.Options.DEFAULTS));
        } else {
            err.println("this Redis has no search module (FT.CREATE): search not measured");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        long stamp = System.currentTimeMillis() % 1_000_000;
        if (!a.flag("--json")) {
            out.printf("%d chunks (%d documents, %d bytes of text a chunk), %d queries, k = %d, %d dims; Redis %s%n%n",
                    flat.size(), docs.size(), flat.stream().mapToLong(c -> c.getBytes(StandardCharsets.UTF_8).length).sum()
                            / Math.max(1, flat.size()), queries.size(), k, model.info().dimensions(),
                    t.cluster() ? "Cluster" : "standalone");
            out.printf("%-10s %-8s %3s %-9s %12s %12s %12s %10s %7s %9s %9s %11s%n", "layout", "quant", "M", "hashes",
                    "bytes/chunk", "room b/chunk", "used_memory", "recall@" + k, "worst", "p50 µs", "p99 µs", "rooms/1GB*");
        }
        List<Boolean> encodings = a.flag("--listpack") ? List.of(false, true) : List.of(false);
        String listpackValue = server.configGet("hash-max-listpack-value").values().stream().findFirst().orElse("64");
        for (boolean listpack : encodings) {
            for (IndexLayout layout : layouts) {
                if (listpack && layout.quantization().equals("NOQUANT") || listpack && layout.quantization().equals("BIN")) {
                    continue;
                }
                String encoding = listpack ? "listpack" : "default";
                IndexBenchmark.Result r;
                try {
                    // a chunk's ~500 characters are over the default hash-max-listpack-value (64): a hashtable
                    setListpackValue(t, listpack ? "1024" : listpackValue);
                    r = IndexBenchmark.run(t, layout, "bench-index-" + layout.name() + "-" + stamp, docs, model.info(),
                            queries, k);
                } finally {
                    setListpackValue(t, listpackValue);
                }
                long perRoom = roomsPerGb(r);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("layout", r.layout());
                row.put("quantization", r.quantization());
                row.put("m", layout.links());
                row.put("chunkHashes", encoding);
                row.put("chunks", r.chunks());
                row.put("contentBytesPerChunk", r.contentBytesPerChunk());
                row.put("bytesPerChunk", r.bytesPerChunk());
                row.put("roomBytesPerChunk", r.roomBytesPerChunk());
                row.put("usedMemoryPerChunk", r.usedMemoryPerChunk());
                row.put("recallAtK", r.recall());
                row.put("worstRecallAtK", r.minRecall());
                row.put("p50Micros", r.p50Micros());
                row.put("p99Micros", r.p99Micros());
                row.put("mixedRoomsPer1GB", perRoom);
                rows.add(row);
                if (!a.flag("--json")) {
                    out.printf(Locale.ROOT, "%-10s %-8s %3s %-9s %,12d %,12d %,12d %10.4f %7.2f %,9d %,9d %,11d%n", r.layout(),
                            r.quantization().isEmpty() ? "-" : r.quantization(), layout.links() == 0 ? "-" : layout.links(),
                            encoding, r.bytesPerChunk(), r.roomBytesPerChunk(), r.usedMemoryPerChunk(), r.recall(),
                            r.minRecall(), r.p50Micros(), r.p99Micros(), perRoom);
                }
            }
        }
        if (a.flag("--json")) {
            out.println(JsonMapper.shared().writeValueAsString(Map.of("k", k, "queries", queries.size(), "layouts", rows)));
        } else {
            out.printf("%n* rooms of the capacity table's mixed size (70 %% 50 chunks, 25 %% 200, 5 %% 500) in 1 GB, 80 %% of it"
                    + " for rooms, from the room bytes per chunk above%n");
        }
        return 0;
    }

    private static void setListpackValue(RedisTopology t, String value) {
        for (RedisTopology.Shard shard : t.shards()) {
            shard.node().configSet("hash-max-listpack-value", value);
        }
    }

    /** Mixed-size rooms in a 1 GB instance, 80 % of it for rooms, with this layout's measured room bytes per chunk. */
    static long roomsPerGb(IndexBenchmark.Result r) {
        Capacity.Measurement m = new Capacity.Measurement(r.roomBytesPerChunk(), r.usedMemoryPerChunk(), 0, 0,
                r.contentBytesPerChunk(), 0, r.chunks(), 0, "", r.layout());
        return Capacity.rooms(m, Capacity.SCENARIOS.get(4), 1L << 30, 0.8);
    }

    /** Documents of chunks: sample-docs as the job chunks and samples them, then generated text up to {@code total} chunks. */
    private List<List<String>> corpus(Path sampleDocs, Embedder model, int total) throws Exception {
        TextChunker chunker = TextChunker.forModel(props.ingest().chunking(), model);
        ChunkSampler sampler = new ChunkSampler(props.ingest().maxChunksPerFile(), 10);
        List<List<String>> docs = new ArrayList<>();
        int n = 0;
        if (Files.isDirectory(sampleDocs)) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(sampleDocs)) {
                files = s.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
            }
            for (Path f : files) {
                Extraction e = extractor.getObject().extract(f);
                if (e.ok() && n < total) {
                    List<String> c = chunker.chunk(e.text());
                    List<String> kept = sampler.select(c).apply(c);
                    kept = kept.subList(0, Math.min(kept.size(), total - n));
                    docs.add(kept);
                    n += kept.size();
                }
            }
        }
        List<String> generated = SyntheticChunks.generate(Math.max(0, total - n), 480, 17);
        for (int i = 0; i < generated.size(); i += 40) {
            docs.add(generated.subList(i, Math.min(generated.size(), i + 40)));
        }
        return docs;
    }

    /** A sentence or so from the middle of random chunks: what someone in the room might ask about. */
    static List<String> queries(List<String> chunks, int count) {
        Random r = new Random(23);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String c = chunks.get(r.nextInt(chunks.size()));
            int from = c.length() / 3;
            int dot = c.indexOf(". ", from);
            int start = dot > 0 && dot < c.length() - 40 ? dot + 2 : from;
            out.add(c.substring(start, Math.min(c.length(), start + 160)));
        }
        return out;
    }
}
