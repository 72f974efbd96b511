package io.polyphony.ingest.roomindex;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.polyphony.ingest.testing.RedisTestServer;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * The search module is absent from the bundled redis-server 7.0.15 and from Debian's Redis 8.0.2 (and no Redis
 * with vector search can be installed on this kind of machine), so the search layout is checked through the
 * exact replies and commands the module documents, and the real server checks the layout choice.
 */
class SearchLayoutTests {

    final RedisClient redis = RedisTestServer.client();

    @Test
    void theBundledServerHasNeitherVectorSetsNorTheSearchModuleSoRoomsAreScanned() {
        assertThat(IndexLayouts.has(redis, "HSET")).isTrue();
        assertThat(IndexLayouts.has(redis, "FT.CREATE")).isFalse();
        assertThat(IndexLayouts.has(redis, "VADD")).isFalse();
        assertThat(IndexLayouts.choose(redis, redis, "auto", VectorSetLayout.Options.DEFAULTS).name()).isEqualTo("scan");
        assertThat(new RoomIndex(RedisTestServer.topology(), Clock.systemUTC()).searchMethod()).isEqualTo("exact");
        assertThatThrownBy(() -> IndexLayouts.choose(redis, redis, "search", VectorSetLayout.Options.DEFAULTS))
                .hasMessageContaining("polyphony.index=search needs a Redis with FT.CREATE");
        assertThatThrownBy(() -> IndexLayouts.choose(redis, redis, "vectorset", VectorSetLayout.Options.DEFAULTS))
                .hasMessageContaining("polyphony.index=vectorset needs a Redis with VADD");
        assertThatThrownBy(() -> IndexLayouts.choose(redis, redis, "hnsw", VectorSetLayout.Options.DEFAULTS))
                .hasMessageContaining("polyphony.index must be one of [auto, vectorset, search, scan], not 'hnsw'");
    }

    @Test
    void indexCoversOnlyTheRoomsChunksWithACosineVectorOfTheModelsSize() {
        assertThat(String.join(" ", SearchLayout.createArgs("1", 768))).isEqualTo(
                "idx:room:{1} ON HASH PREFIX 1 room:{1}:chunk: SCHEMA content TEXT doc TAG file TAG ord NUMERIC "
                        + "embedding VECTOR HNSW 6 TYPE FLOAT32 DIM 768 DISTANCE_METRIC COSINE");
        // room 1's prefix must not match room 10's keys
        assertThat("room:{10}:chunk:abc:0").doesNotStartWith(SearchLayout.createArgs("1", 768)[5]);
    }

    @Test
    void knnQuerySendsTheVectorAsFloat32LittleEndianBytes() {
        float[] q = {0.6f, -0.8f};
        byte[][] args = SearchLayout.searchArgs("room-a", q, 4);
        assertThat(new String(args[0], UTF_8)).isEqualTo("idx:room:{room-a}");
        assertThat(new String(args[1], UTF_8)).isEqualTo("*=>[KNN 4 @embedding $vec AS __score]");
        assertThat(args[5]).isEqualTo(RoomIndex.toBytes(q));
        assertThat(Arrays.stream(args).map(a -> new String(a, UTF_8)).toList()).containsSequence("LIMIT", "0", "4")
                .containsSequence("DIALECT", "2");
    }

    @Test
    void parsesHitsAndTurnsCosineDistanceIntoSimilarity() {
        List<Object> reply = List.of(2L,
                b("room:{a}:chunk:d1:3"), List.of(b("content"), b("budget"), b("doc"), b("d1"), b("file"), b("x.md"),
                        b("ord"), b("3"), b("__score"), b("0.25")),
                b("room:{a}:chunk:d2:0"), List.of(b("__score"), b("0.5"), b("content"), b("agenda"), b("doc"), b("d2"),
                        b("file"), b("y.md"), b("ord"), b("0")));
        List<SearchLayout.KnnHit> hits = SearchLayout.parseSearch(reply);
        assertThat(hits).extracting(SearchLayout.KnnHit::doc).containsExactly("d1", "d2");
        assertThat(hits.get(0).score()).isEqualTo(0.75);
        assertThat(hits.get(1).ord()).isZero();
        assertThat(hits.get(1).content()).isEqualTo("agenda");
        assertThat(SearchLayout.parseSearch(List.of(0L))).isEmpty();
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }
}
