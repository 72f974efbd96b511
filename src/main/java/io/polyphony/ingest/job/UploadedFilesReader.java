package io.polyphony.ingest.job;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamException;
import org.springframework.batch.infrastructure.item.support.AbstractItemCountingItemStreamItemReader;

/**
 * Reads the run's files one by one. The list is fixed when the run first opens it and saved in the
 * step's context: a restart works through the same list (files added since wait for the next run), and
 * the item count saved with each committed chunk tells where to resume.
 */
public class UploadedFilesReader extends AbstractItemCountingItemStreamItemReader<FileTask> {

    static final String FILES_KEY = IngestRuns.FILES_KEY;

    private final Path path;
    private final String room;
    private final IngestProgress progress;
    private final java.util.Set<String> only;
    private List<FileTask> files;

    public UploadedFilesReader(Path path, String room, IngestProgress progress) {
        this(path, room, progress, null);
    }

    /** {@code only}: when not null, the run's list is just these of the files found (a retry of failed files). */
    public UploadedFilesReader(Path path, String room, IngestProgress progress, java.util.Set<String> only) {
        this.path = path;
        this.room = room;
        this.progress = progress;
        this.only = only;
        setName("uploadedFilesReader");
    }

    @Override
    @SuppressWarnings("unchecked")
    public void open(ExecutionContext context) throws ItemStreamException {
        List<FileTask> found = UploadedFiles.discover(path, room);
        if (context.containsKey(FILES_KEY)) {
            files = sameList((List<String>) context.get(FILES_KEY), found);
        } else {
            files = only == null ? found : renumbered(found.stream().filter(t -> only.contains(t.path())).toList());
            context.put(FILES_KEY, new ArrayList<>(found.stream().map(FileTask::path).toList()));
        }
        super.open(context);
    }

    private static List<FileTask> renumbered(List<FileTask> tasks) {
        List<FileTask> out = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            FileTask t = tasks.get(i);
            out.add(new FileTask(i, t.path(), t.room(), t.name(), t.problem()));
        }
        return out;
    }

    /** The run's original list, in its original order; a file gone since then is reported as such. */
    private static List<FileTask> sameList(List<String> paths, List<FileTask> found) {
        Map<String, FileTask> byPath = new LinkedHashMap<>();
        found.forEach(t -> byPath.put(t.path(), t));
        List<FileTask> out = new ArrayList<>(paths.size());
        for (int i = 0; i < paths.size(); i++) {
            FileTask t = byPath.get(paths.get(i));
            out.add(t != null ? new FileTask(i, t.path(), t.room(), t.name(), t.problem())
                    : new FileTask(i, paths.get(i), null, Path.of(paths.get(i)).getFileName().toString(),
                            new Problem(Reason.UNPARSEABLE, "file disappeared before the run was resumed")));
        }
        return out;
    }

    @Override
    protected void doOpen() {
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
}
