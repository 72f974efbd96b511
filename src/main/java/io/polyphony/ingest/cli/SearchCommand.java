package io.polyphony.ingest.cli;

import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.roomindex.RoomKeys;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** {@code search --room <id> [--k 5] [--json] <query...>}: the room's top-k chunks, to see an ingest worked. */
@Component
public class SearchCommand implements Command {

    private final ObjectProvider<Embedder> embedder;
    private final ObjectProvider<RoomIndex> rooms;

    public SearchCommand(ObjectProvider<Embedder> embedder, ObjectProvider<RoomIndex> rooms) {
        this.embedder = embedder;
        this.rooms = rooms;
    }

    @Override
    public String name() {
        return "search";
    }

    @Override
    public String usage() {
        return "--room <id> [--k 5] [--json] <query...>: top-k chunks of a room (exact cosine search)";
    }

    @Override
    public int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        CliArgs a = CliArgs.parse(args, List.of("--room", "--k"), List.of("--json"));
        String room = a.values().get("--room");
        String query = String.join(" ", a.positional()).strip();
        if (room == null || query.isEmpty()) {
            err.println("usage: search " + usage());
            return CommandLineDispatcher.USAGE;
        }
        if (!RoomKeys.isValidRoom(room)) {
            err.println("invalid room id '" + room + "'");
            return CommandLineDispatcher.USAGE;
        }
        int k = a.intValue("--k", 5);
        Embedder model = embedder.getObject();
        RoomIndex index = rooms.getObject();
        index.requireCompatible(room, model.info());
        int tokens = model.countTokens(query);
        if (tokens > model.info().maxTokens()) {
            err.println("query has " + tokens + " tokens > " + model.info().maxTokens() + "-token limit");
            return CommandLineDispatcher.USAGE;
        }
        List<RoomIndex.Hit> hits = index.search(room, model.embed(List.of(query)).get(0), k);
        if (a.flag("--json")) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("room", room);
            doc.put("query", query);
            doc.put("method", index.searchMethod(room));
            doc.put("hits", hits.stream().map(h -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("score", h.score());
                m.put("file", h.file());
                m.put("doc", h.docId());
                m.put("ord", h.ord());
                m.put("content", h.content());
                return m;
            }).toList());
            out.println(JsonMapper.shared().writeValueAsString(doc));
        } else if (hits.isEmpty()) {
            out.println("no chunks in room " + room);
        } else {
            for (RoomIndex.Hit h : hits) {
                String text = h.content().replaceAll("\\s+", " ");
                out.printf("%.3f  %s #%d%n       %s%n", h.score(), h.file(), h.ord(), text.length() > 200 ? text.substring(0, 200) + "…" : text);
            }
        }
        return 0;
    }
}
