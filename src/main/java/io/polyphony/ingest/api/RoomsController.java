package io.polyphony.ingest.api;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.Problem;
import io.polyphony.ingest.budget.DiskBudget;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** Rooms: uploads into a room's inbox, listing, details, search and deletion. */
@RestController
@ConditionalOnWebApplication
@RequestMapping("/api/rooms")
class RoomsController {

    private static final Pattern CONTROL = Pattern.compile("\\p{Cc}|\\p{Cf}");

    private final RunLauncher runs;
    private final ObjectProvider<RoomIndex> rooms;
    private final ObjectProvider<Embedder> embedder;
    private final ObjectProvider<TextExtractor> extractor;
    private final PolyphonyProperties props;

    RoomsController(RunLauncher runs, ObjectProvider<RoomIndex> rooms, ObjectProvider<Embedder> embedder,
                    ObjectProvider<TextExtractor> extractor, PolyphonyProperties props) {
        this.runs = runs;
        this.rooms = rooms;
        this.embedder = embedder;
        this.extractor = extractor;
        this.props = props;
    }

    /** Why a submitted file name cannot be stored, if it cannot: path parts, dot names, control characters. */
    static Optional<String> hostileName(String name) {
        if (name == null || name.isBlank()) {
            return Optional.of("the file part has no file name");
        }
        if (name.contains("/") || name.contains("\\")) {
            return Optional.of("file name '" + printable(name) + "' contains a path separator");
        }
        if (name.equals(".") || name.contains("..")) {
            return Optional.of("file name '" + printable(name) + "' contains '..'");
        }
        if (CONTROL.matcher(name).find()) {
            return Optional.of("file name '" + printable(name) + "' contains control characters");
        }
        if (name.startsWith(".")) {
            return Optional.of("file name '" + printable(name) + "' is hidden (starts with '.')");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
            return Optional.of("file name is longer than 255 bytes");
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        return CONTROL.matcher(s).replaceAll("?");
    }

    /**
     * Stores the file in the room's inbox ({@code <data-dir>/uploads/<room>/}, kept as the room's archive)
     * and starts its ingest: 202 with the execution. 400 for an invalid room or a hostile name, 413 over
     * 10 MiB (refused as the body streams in), 415 for a type we cannot read, 507 over a disk quota or the free-space
     * floor (nothing of the file is kept).
     */
    @PostMapping(path = "/{room}/documents", consumes = "multipart/form-data")
    ResponseEntity<Map<String, Object>> upload(@PathVariable String room, @RequestPart("file") MultipartFile file)
            throws Exception {
        RoomKeys.requireValidRoom(room);
        String name = file.getOriginalFilename();
        hostileName(name).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        Path dir = props.uploadsDir().resolve(room);
        DiskBudget disk = props.disk().budget();
        disk.requireFree(props.dataDir(), file.getSize());
        Files.createDirectories(dir);
        Path incoming = dir.resolve(".incoming-" + UUID.randomUUID());
        try (InputStream in = file.getInputStream()) {
            Files.copy(in, incoming);
        }
        try {
            disk.requireQuota(props.uploadsDir(), room, name, incoming);
            Optional<Problem> problem = extractor.getObject().typeProblem(Files.readAllBytes(incoming), name);
            if (problem.isPresent()) {
                throw new ApiErrors.UnsupportedTypeException("rejected: " + problem.get().message()
                        + " (PDF, Word, PowerPoint, Excel, OpenDocument, EPUB, RTF, HTML, Markdown, e-mail and plain text are read)");
            }
            Path target = dir.resolve(name);
            if (!target.normalize().getParent().equals(dir.normalize())) {
                throw new IllegalArgumentException("file name '" + name + "' leaves the room's folder");
            }
            var e = runs.upload(target, room,
                    () -> Files.move(incoming, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("execution", e.execution());
            body.put("run", e.run());
            body.put("room", room);
            body.put("file", name);
            body.put("bytes", file.getSize());
            body.put("status", e.status());
            body.put("location", "/api/runs/" + e.execution());
            return ResponseEntity.accepted().location(java.net.URI.create("/api/runs/" + e.execution())).body(body);
        } finally {
            Files.deleteIfExists(incoming);
        }
    }

    /** Rebuilds the room from its archived uploads (after an eviction): 202 with the run. */
    @PostMapping("/{room}/rehydrate")
    ResponseEntity<Map<String, Object>> rehydrate(@PathVariable String room) throws Exception {
        var e = runs.rehydrate(room, props.uploadsDir());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("execution", e.execution());
        body.put("run", e.run());
        body.put("room", room);
        body.put("status", e.status());
        body.put("location", "/api/runs/" + e.execution());
        return ResponseEntity.accepted().location(java.net.URI.create("/api/runs/" + e.execution())).body(body);
    }

    /** Marks the room active now (the touch the rooms' app sends; see README). */
    @PostMapping("/{room}/touch")
    Map<String, Object> touch(@PathVariable String room) {
        RoomKeys.requireValidRoom(room);
        long now = rooms.getObject().touch(room)
                .orElseThrow(() -> new ApiErrors.NotFoundException("no room '" + room + "'"));
        return Map.of("room", room, "lastActive", now);
    }

    @GetMapping
    List<RoomIndex.RoomSummary> list() {
        return rooms.getObject().rooms();
    }

    @GetMapping("/{room}")
    Map<String, Object> room(@PathVariable String room) {
        RoomKeys.requireValidRoom(room);
        RoomIndex index = rooms.getObject();
        RoomIndex.RoomSummary summary = index.room(room)
                .orElseThrow(() -> new ApiErrors.NotFoundException("no room '" + room + "'"));
        List<RoomIndex.DocumentSummary> docs = index.documents(room);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room", room);
        body.put("model", summary.model());
        body.put("dims", summary.dims());
        body.put("chunks", summary.chunks());
        body.put("bytes", docs.stream().mapToLong(RoomIndex.DocumentSummary::bytes).sum());
        body.put("lastActive", summary.lastActive());
        body.put("documents", docs);
        return body;
    }

    @GetMapping("/{room}/search")
    Map<String, Object> search(@PathVariable String room, @RequestParam("q") String q,
                               @RequestParam(defaultValue = "5") int k) {
        RoomKeys.requireValidRoom(room);
        if (q.isBlank()) {
            throw new IllegalArgumentException("q is empty");
        }
        if (k < 1 || k > 100) {
            throw new IllegalArgumentException("k must be between 1 and 100");
        }
        Embedder model = embedder.getObject();
        RoomIndex index = rooms.getObject();
        index.requireCompatible(room, model.info());
        int tokens = model.countTokens(q);
        if (tokens > model.info().maxTokens()) {
            throw new IllegalArgumentException("query has " + tokens + " tokens > " + model.info().maxTokens() + "-token limit");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room", room);
        body.put("query", q);
        body.put("method", index.searchMethod());
        body.put("hits", index.search(room, model.embed(List.of(q)).get(0), k));
        return body;
    }

    /** Deletes the room's keys (and search index) and its archived uploads. */
    @DeleteMapping("/{room}")
    Map<String, Object> delete(@PathVariable String room) throws IOException {
        RoomKeys.requireValidRoom(room);
        Path dir = props.uploadsDir().resolve(room);
        boolean hadUploads = Files.isDirectory(dir);
        RoomIndex.Deleted d = rooms.getObject().deleteRoom(room);
        if (d.keys() == 0 && !hadUploads) {
            throw new ApiErrors.NotFoundException("no room '" + room + "'");
        }
        long files = 0;
        if (hadUploads) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    if (Files.isRegularFile(p)) {
                        files++;
                    }
                    Files.delete(p);
                }
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room", room);
        body.put("keysDeleted", d.keys());
        body.put("chunksDeleted", d.chunks());
        body.put("documentsDeleted", d.documents());
        body.put("uploadsDeleted", files);
        return body;
    }
}
