package io.polyphony.ingest.job;

import java.nio.file.Path;
import java.util.List;
import org.springframework.batch.infrastructure.item.support.AbstractItemCountingItemStreamItemReader;

/**
 * Reads the run's files one by one. The list is discovered again on restart and sorted the same way;
 * the item count saved with each committed chunk tells where to resume.
 */
public class UploadedFilesReader extends AbstractItemCountingItemStreamItemReader<FileTask> {

    private final Path path;
    private final String room;
    private final IngestProgress progress;
    private List<FileTask> files;

    public UploadedFilesReader(Path path, String room, IngestProgress progress) {
        this.path = path;
        this.room = room;
        this.progress = progress;
        setName("uploadedFilesReader");
    }

    @Override
    protected void doOpen() {
        files = UploadedFiles.discover(path, room);
        progress.start(files.size(), 0);
    }

    @Override
    protected FileTask doRead() {
        int i = getCurrentItemCount() - 1; // the count is incremented before doRead
        return i < files.size() ? files.get(i) : null;
    }

    @Override
    protected void jumpToItem(int itemIndex) {
        // nothing to skip over: the list is in memory and doRead indexes it by the restored count
        progress.start(files.size(), itemIndex);
    }

    @Override
    protected void doClose() {
        files = null;
    }

    public int total() {
        return files == null ? 0 : files.size();
    }
}
