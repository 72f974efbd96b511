package io.polyphony.ingest.roomindex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.embed.ModelInfo;
import io.polyphony.ingest.embed.TestModels;
import io.polyphony.ingest.roomindex.RoomIndex.ChunkRecord;
import io.polyphony.ingest.roomindex.RoomIndex.DocumentWrite;
import io.polyphony.ingest.testing.RedisTestServer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/** Against a real redis-server. Each test uses rooms of its own, so tests do not see each other's keys. */
class RoomIndexTests {

    static final ModelInfo MODEL = new ModelInfo("test-model", 4, 256);
    final RedisClient redis = RedisTestServer.client();
    final RoomIndex index = new RoomIndex(RedisTestServer.topology(), Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC));
    final String room = "r" + UUID.randomUUID().toString().substring(0, 8);

    static ChunkRecord chunk(String text, float... v) {
        return new ChunkRecord(text, v);
    }

    DocumentWrite doc(String room, String file, String sha, List<ChunkRecord> chunks) {
        return new DocumentWrite(room, RoomKeys.docId(room, file), file, sha, 1234, chunks, chunks.size(), false, MODEL, "run-1");
    }

    /** Every key of a room with its type and content, for before/after comparisons. */
    Map<String, Object> snapshot(String room) {
        Map<String, Object> out = new TreeMap<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> r = redis.scan(cursor, new ScanParams().match("room:{" + room + "}:*").count(1000));
            for (String k : r.getResult()) {
                switch (redis.type(k)) {
                    case "hash" -> {
                        Map<String, String> h = new TreeMap<>(redis.hgetAll(k));
                        h.remove("embedding");
                        h.put("embedding-bytes", String.valueOf(redis.hstrlen(k, "embedding")));
                        out.put(k, h);
                    }
                    case "set" -> out.put(k, new TreeMap<>(Map.of("members", new java.util.TreeSet<>(redis.smembers(k)))));
                    default -> out.put(k, redis.type(k));
                }
            }
            cursor = r.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return out;
    }

    @Test
    void aDocumentIsWrittenInTheContractLayout() {
        var w = doc(room, "notes.md", "aa11", List.of(chunk("first", 1, 0, 0, 0), chunk("second", 0, 1, 0, 0)));
        assertThat(index.write(w)).isEqualTo(new RoomIndex.WriteResult(true, 0, 2));
        String docId = w.docId();
        Map<String, String> c1 = redis.hgetAll("room:{" + room + "}:chunk:" + docId + ":1");
        assertThat(c1).containsEntry("content", "second").containsEntry("doc", docId)
                .containsEntry("file", "notes.md").containsEntry("ord", "1");
        byte[] emb = redis.hget(("room:{" + room + "}:chunk:" + docId + ":1").getBytes(), "embedding".getBytes());
        assertThat(emb).hasSize(16);
        assertThat(RoomIndex.fromBytes(emb)).containsExactly(0, 1, 0, 0);
        assertThat(emb[4]).isEqualTo((byte) 0); // little-endian 1.0f = 00 00 80 3F
        assertThat(emb[6]).isEqualTo((byte) 0x80);
        assertThat(redis.hgetAll("room:{" + room + "}:doc:" + docId)).containsEntry("file", "notes.md")
                .containsEntry("sha256", "aa11").containsEntry("bytes", "1234").containsEntry("chunks", "2")
                .containsEntry("total_chunks", "2").containsEntry("sampled", "0").containsEntry("model", "test-model")
                .containsEntry("ingested_at", "1700000000000").containsEntry("run", "run-1");
        assertThat(index.document(room, docId)).contains(new RoomIndex.StoredDocument("aa11", "test-model", "run-1", 2, 2, false));
        assertThat(redis.smembers("room:{" + room + "}:docs")).containsExactly(docId);
        assertThat(redis.hgetAll("room:{" + room + "}:meta")).containsEntry("model", "test-model")
                .containsEntry("dims", "4").containsEntry("chunks", "2").containsEntry("docs", "1")
                .containsEntry("last_active", "1700000000000");
        assertThat(redis.zscore("rooms", room)).isEqualTo(1.7e12);
    }

    @Test
    void identicalContentWritesNothing() {
        var w = doc(room, "a.txt", "same", List.of(chunk("x", 1, 0, 0, 0)));
        index.write(w);
        Map<String, Object> before = snapshot(room);
        assertThat(index.unchanged(room, w.docId(), "same", MODEL)).isTrue();
        assertThat(index.write(w).written()).isFalse();
        assertThat(snapshot(room)).isEqualTo(before);
    }

    @Test
    void aChangedFileReplacesItsChunksWithNoneLeftOver() {
        List<ChunkRecord> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(chunk("v1 part " + i, 1, 0, 0, 0));
        }
        index.write(doc(room, "spec.docx", "v1", five));
        index.write(doc(room, "other.txt", "o", List.of(chunk("other", 0, 0, 1, 0))));
        var result = index.write(doc(room, "spec.docx", "v2", List.of(chunk("v2 a", 0, 1, 0, 0), chunk("v2 b", 0, 1, 0, 0))));
        assertThat(result).isEqualTo(new RoomIndex.WriteResult(true, 5, 2));
        String docId = RoomKeys.docId(room, "spec.docx");
        long left = snapshot(room).keySet().stream().filter(k -> k.contains(":chunk:" + docId + ":")).count();
        assertThat(left).isEqualTo(2);
        assertThat(index.meta(room)).containsEntry("chunks", "3").containsEntry("docs", "2");
    }

    @Test
    void roomsAreIsolatedEvenWhenOneIdIsAPrefixOfAnother() {
        String one = room + "1";
        String ten = room + "10";
        index.write(doc(ten, "a.txt", "t", List.of(chunk("ten", 1, 0, 0, 0), chunk("ten 2", 0, 1, 0, 0))));
        Map<String, Object> tenBefore = snapshot(ten);
        index.write(doc(one, "a.txt", "o1", List.of(chunk("one", 1, 0, 0, 0), chunk("one 2", 0, 1, 0, 0), chunk("3", 0, 0, 1, 0))));
        index.write(doc(one, "a.txt", "o2", List.of(chunk("one again", 1, 0, 0, 0))));
        assertThat(snapshot(ten)).isEqualTo(tenBefore);
        assertThat(RoomKeys.docId(one, "a.txt")).isNotEqualTo(RoomKeys.docId(ten, "a.txt"));
        assertThat(index.search(ten, new float[] {1, 0, 0, 0}, 5)).extracting(RoomIndex.Hit::content).containsExactly("ten", "ten 2");
    }

    @Test
    void anotherModelOrDimensionIsAClearErrorAndWritesNothing() {
        index.write(doc(room, "a.txt", "1", List.of(chunk("x", 1, 0, 0, 0))));
        Map<String, Object> before = snapshot(room);
        ModelInfo other = new ModelInfo("other-model", 3, 256);
        var w = new DocumentWrite(room, RoomKeys.docId(room, "b.txt"), "b.txt", "2", 1, List.of(chunk("y", 1, 0, 0)), 1, false, other, "run-1");
        assertThatThrownBy(() -> index.write(w)).isInstanceOf(ModelInfo.IncompatibleModelException.class)
                .hasMessageContaining("room " + room + " holds 4-dim vectors of model 'test-model'");
        assertThat(snapshot(room)).isEqualTo(before);
    }

    @Test
    void searchRanksByCosineAndReturnsTopK() {
        index.write(doc(room, "a.txt", "1", List.of(chunk("east", 1, 0, 0, 0), chunk("north", 0, 1, 0, 0))));
        index.write(doc(room, "b.txt", "2", List.of(chunk("north-east", 0.7071f, 0.7071f, 0, 0))));
        List<RoomIndex.Hit> hits = index.search(room, new float[] {0.8f, 0.6f, 0, 0}, 2);
        assertThat(hits).extracting(RoomIndex.Hit::content).containsExactly("north-east", "east");
        assertThat(hits.get(0).score()).isCloseTo(0.98995, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(hits.get(0).file()).isEqualTo("b.txt");
        assertThat(index.search("nobody" + room, new float[] {1, 0, 0, 0}, 3)).isEmpty();
    }

    @Test
    void searchWithTheRealModelFindsTheRelevantChunk() {
        Embedder model = TestModels.ensemble();
        List<String> texts = List.of("The budget for the Berlin office grows by 12 percent next year.",
                "Our cat sleeps on the windowsill every afternoon.",
                "The security review of the login flow found two issues.");
        List<float[]> v = model.embed(texts);
        List<ChunkRecord> chunks = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            chunks.add(new ChunkRecord(texts.get(i), v.get(i)));
        }
        index.write(new DocumentWrite(room, RoomKeys.docId(room, "notes.txt"), "notes.txt", "s", 10, chunks, 3, false, model.info(), "run-1"));
        float[] q = model.embed(List.of("how much money does the Berlin office get?")).get(0);
        assertThat(index.search(room, q, 1).get(0).content()).startsWith("The budget for the Berlin office");
    }

    @Test
    void invalidRoomIdsAreRefused() {
        for (String bad : new String[] {"", "a b", "../x", "a}b", "x".repeat(65), "räum"}) {
            assertThatThrownBy(() -> RoomKeys.meta(bad)).hasMessageStartingWith("invalid room id");
        }
        assertThat(RoomKeys.isValidRoom("Room_42-b")).isTrue();
    }
}
