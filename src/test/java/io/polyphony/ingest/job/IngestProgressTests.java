package io.polyphony.ingest.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngestProgressTests {

    @Test
    void theLineMovesAsFilesAreParsedAndChunksEmbeddedBeforeTheirTransactionCommits() {
        IngestProgress p = new IngestProgress();
        p.start(10, 0);
        assertThat(p.line()).startsWith("files 0/10 (0 parsed) · chunks 0 (0 embedded)");
        p.fileParsed();
        p.fileParsed();
        p.fileParsed();
        p.chunksEmbedded(32);
        p.chunksEmbedded(8);
        assertThat(p.line()).startsWith("files 0/10 (3 parsed) · chunks 0 (40 embedded)");
        p.filesDone(List.of(new FileResult(0, "a.md", "r", Outcome.INGESTED, null, null, 40, 40, "x"),
                new FileResult(1, "b.md", "r", Outcome.UNCHANGED, null, null, 0, 0, "y"),
                new FileResult(2, "c.md", "r", Outcome.INGESTED, null, null, 0, 0, "z")));
        assertThat(p.line()).startsWith("files 3/10 (3 parsed) · chunks 40 (40 embedded)");
    }
}
