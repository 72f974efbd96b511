package io.polyphony.ingest.job;

import io.polyphony.ingest.JvmHeap;
import io.polyphony.ingest.Outcome;
import io.polyphony.ingest.Problem;
import io.polyphony.ingest.budget.RoomBudget;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.extract.Extraction;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.roomindex.Retrying;
import io.polyphony.ingest.roomindex.RoomFault;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import io.polyphony.ingest.sample.ChunkSampler;
import io.polyphony.ingest.sample.Selection;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.infrastructure.item.ItemProcessor;

/** Extract, check for unchanged content, chunk and sample one file: everything before embedding. */
public class FileToChunksProcessor implements ItemProcessor<FileTask, PreparedFile> {

    private static final Logger log = LoggerFactory.getLogger(FileToChunksProcessor.class);

    private final TextExtractor extractor;
    private final TextChunker chunker;
    private final ChunkSampler sampler;
    private final RoomIndex rooms;
    private final Retrying retrying;
    private final ModelInfo model;
    private final String run;
    private final RoomBudget budget;

    private final IngestProgress progress;
    private final PendingChunks pending;

    /** {@code pending}: shared with the step's writer, which clears it after each transaction. */
    FileToChunksProcessor(TextExtractor extractor, TextChunker chunker, ChunkSampler sampler, RoomIndex rooms,
                          Retrying retrying, ModelInfo model, String run, RoomBudget budget, IngestProgress progress,
                          PendingChunks pending) {
        this.pending = pending;
        this.budget = budget;
        this.progress = progress;
        this.extractor = extractor;
        this.chunker = chunker;
        this.sampler = sampler;
        this.rooms = rooms;
        this.retrying = retrying;
        this.model = model;
        this.run = run;
    }

    @Override
    public PreparedFile process(FileTask task) {
        PreparedFile p = decide(task);
        progress.fileParsed();
        return p;
    }

    private PreparedFile decide(FileTask task) {
        if (task.problem() != null) {
            return PreparedFile.decided(FileResult.of(task, task.problem()), task);
        }
        try {
            return prepare(task);
        } catch (RuntimeException e) {
            // one room's bad state fails its file, not the run (Redis out of reach is rethrown: the step stops)
            Problem p = RoomFault.of(task.room(), e);
            log.warn("{}: {}", task.path(), p, e);
            return PreparedFile.decided(FileResult.of(task, p), task);
        }
    }

    private PreparedFile prepare(FileTask task) {
        String docId = RoomKeys.docId(task.room(), task.name());
        Optional<RoomIndex.StoredDocument> stored = retrying.call("reading room " + task.room(),
                () -> rooms.document(task.room(), docId));
        // the room's copy is compared by the file's hash before anything is parsed: a scheduled run over a
        // folder of unchanged files reads each file once and parses none
        Optional<String> sha = stored.isPresent() ? extractor.fileSha256(Path.of(task.path())) : Optional.empty();
        if (sha.isPresent() && stored.get().sha256().equals(sha.get()) && stored.get().model().equals(model.name())) {
            RoomIndex.StoredDocument d = stored.get();
            if (run.equals(d.run())) { // written by this very run before a crash or failure
                return PreparedFile.decided(FileResult.of(task, d.sampled() ? Outcome.SAMPLED : Outcome.INGESTED,
                        "written before the restart", d.chunks(), d.totalChunks(), d.sha256()), task);
            }
            return PreparedFile.decided(FileResult.of(task, Outcome.UNCHANGED, "same content already in room "
                    + task.room(), d.chunks(), d.totalChunks(), d.sha256()), task);
        }
        Extraction e = extractor.extract(Path.of(task.path()));
        if (!e.ok()) {
            return PreparedFile.decided(FileResult.of(task, e.problem()), task);
        }
        List<String> chunks = chunker.chunk(e.text());
        Selection selection = sampler.select(chunks);
        int adding = selection.kept().length;
        int replacing = stored.map(RoomIndex.StoredDocument::chunks).orElse(0);
        if (budget.maxChunks() > 0) {
            // refused before it is embedded, counting what this transaction's earlier files will add; the write script
            // checks again, atomically, when it writes
            String held = retrying.call("reading room " + task.room(), () -> rooms.meta(task.room()).get("chunks"));
            int roomChunks = (held == null ? 0 : Integer.parseInt(held)) + pending.of(task.room());
            if (budget.refuses(roomChunks, replacing, adding)) {
                return PreparedFile.decided(FileResult.of(task, budget.refusal(task.room(), roomChunks, adding,
                        roomChunks - replacing + adding)), task);
            }
            pending.add(task.room(), adding - replacing);
        }
        PreparedFile prepared = new PreparedFile(task, docId, e.sha256(), e.bytes(), selection.apply(chunks),
                chunks.size(), selection.describe(), null);
        if (e.text().length() > JvmHeap.LARGE_TEXT_CHARS) {
            JvmHeap.giveBack(); // before the model's activations need the memory; see JvmHeap
        }
        return prepared;
    }
}
