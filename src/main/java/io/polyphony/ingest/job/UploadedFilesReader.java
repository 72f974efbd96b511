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
    private final Map<String, String> held;
    private List<FileTask> files;

    public UploadedFilesReader(Path path, String room, IngestProgress progress) {
        this(path, room, progress, null, null);
    }

    /**
     * @param only when not null, the run's list is just these of the files found (a retry of failed files)
     * @param held when not null, a rehydrate: exactly these documents (file name to SHA-256) the room held when it was
     *             evicted, from the room's archive; one the archive no longer holds, or holds with other content, is
     *             reported {@code missing}
     */
    public UploadedFilesReader(Path path, String room, IngestProgress progress, java.util.Set<String> only,
                               Map<String, String> held) {
        this.path = path;
        this.room = room;
        this.progress = progress;
        this.only = only;
        this.held = held;
        setName("uploadedFilesReader");
    }

    @Override
    @SuppressWarnings("unchecked")
    public void open(ExecutionContext context) throws ItemStreamException {
        List<FileTask> found = UploadedFiles.discover(path, room);
        if (context.containsKey(FILES_KEY)) {
            files = sameList((List<String>) context.get(FILES_KEY), held == null ? found : rehydrated(found));
        } else {
            files = held != null ? rehydrated(found)
                    : only == null ? found : renumbered(found.stream().filter(t -> only.contains(t.path())).toList());
            context.put(FILES_KEY, new ArrayList<>(files.stream().map(FileTask::path).toList()));
        }
        super.open(context);
    }

    /** The documents the room held, by name: those the archive holds with the same content, the others missing. */
    private List<FileTask> rehydrated(List<FileTask> found) {
        Map<String, FileTask> byName = new LinkedHashMap<>();
        found.forEach(t -> byName.put(t.name(), t));
        List<FileTask> out = new ArrayList<>(held.size());
        for (Map.Entry<String, String> doc : new java.util.TreeMap<>(held).entrySet()) {
            FileTask t = byName.get(doc.getKey());
            String expected = doc.getValue();
            if (t == null) {
                out.add(new FileTask(out.size(), path.resolve(doc.getKey()).toString(), room, doc.getKey(),
                        new Problem(Reason.MISSING, "the room held it (sha256 " + abbreviated(expected) + ") when it was"
                                + " evicted, but the archive no longer has it: not rebuilt")));
                continue;
            }
            java.util.Optional<String> sha = UploadArchive.sha256(Path.of(t.path()));
            if (t.problem() == null && !expected.isEmpty() && !sha.equals(java.util.Optional.of(expected))) {
                out.add(new FileTask(out.size(), t.path(), t.room(), t.name(), new Problem(Reason.MISSING,
                        "the archive holds other content under this name now (sha256 " + sha.map(this::abbreviated)
                                .orElse("unreadable") + "; the room held " + abbreviated(expected) + "): not rebuilt")));
                continue;
            }
            out.add(new FileTask(out.size(), t.path(), t.room(), t.name(), t.problem()));
        }
        return out;
    }

    private String abbreviated(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) + "…" : sha;
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
