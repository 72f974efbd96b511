package io.polyphony.ingest.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Picks at most {@code maxChunks} of a long document's chunks, before anything is embedded:
 * <ol>
 *   <li>duplicate chunks (equal but for case and spacing: a notice repeated on every page) are dropped
 *       after their first copy;</li>
 *   <li>the opening chunks (title, summary) are always kept, unless they only repeat what recurs all
 *       through the document (a running header);</li>
 *   <li>the rest of the document is cut into as many stretches as there are places left, each holding
 *       the same share of new content (a chunk counts for a base plus how unlike its predecessor it is),
 *       and each stretch contributes one chunk: every part of the document is covered, the choice is
 *       spread evenly over what the document says, and a long run of look-alike chunks (a pasted log)
 *       takes fewer places;</li>
 *   <li>within a stretch the chunk that best covers its surroundings wins: the one whose words (TF-IDF)
 *       are most like those of the neighbouring chunks that no kept chunk resembles yet. Chunks made
 *       mostly of text that recurs all through the document (running headers and footers, boilerplate)
 *       are passed over.</li>
 * </ol>
 * Coverage is what the report of {@code bench-sample} measures with the real embeddings: every dropped
 * chunk should have a kept chunk close to it. Deterministic: ties go to the earlier chunk, so a restart picks the same
 * chunks again.
 */
public final class ChunkSampler {

    private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");

    private final int maxChunks;
    private final int openingChunks;

    public ChunkSampler(int maxChunks, int openingChunks) {
        if (maxChunks <= 0) {
            throw new IllegalArgumentException("maxChunks must be greater than zero");
        }
        if (openingChunks < 0 || openingChunks > maxChunks) {
            throw new IllegalArgumentException("openingChunks must be between 0 and maxChunks");
        }
        this.maxChunks = maxChunks;
        this.openingChunks = openingChunks;
    }

    public static ChunkSampler defaults() {
        return new ChunkSampler(500, 10);
    }

    public int maxChunks() {
        return maxChunks;
    }

    public Selection select(List<String> chunks) {
        int n = chunks.size();
        if (n <= maxChunks) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return new Selection(all, n);
        }
        // duplicates (a notice repeated page after page) are covered by their first copy: they give their
        // places to content
        List<Integer> fresh = new ArrayList<>();
        Map<String, Integer> copies = new HashMap<>();
        List<String> signatures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String sig = signature(chunks.get(i));
            signatures.add(sig);
            if (copies.merge(sig, 1, Integer::sum) == 1) {
                fresh.add(i);
            }
        }
        if (fresh.size() <= maxChunks) {
            return new Selection(fresh.stream().mapToInt(Integer::intValue).toArray(), n);
        }
        List<String> texts = fresh.stream().map(chunks::get).toList();
        int m = texts.size();
        List<long[]> shingles = texts.stream().map(ChunkSampler::shingles).toList();
        DocumentFrequencies df = new DocumentFrequencies(shingles);
        boolean[] repeated = new boolean[m];
        int common = Math.max(3, m / 50);
        for (int i = 0; i < m; i++) {
            repeated[i] = copies.get(signatures.get(fresh.get(i))) >= 3 || repeated(shingles.get(i), df, common);
        }
        TfIdf vectors = TfIdf.of(texts);
        double[] covered = new double[m];
        int[] kept = new int[maxChunks];
        int k = 0;
        int next = 0;
        // the opening, minus what repeats all through the document (a running header is no summary)
        // (in a document where everything recurs, the opening is kept as it is)
        int window = Math.min(m, 2 * openingChunks);
        for (; k < openingChunks && next < window; next++) {
            if (!repeated[next] || window - next <= openingChunks - k) {
                kept[k++] = next;
                cover(vectors, covered, next, Math.max(0, next - 4), Math.min(m, next + 5));
            }
        }
        int places = maxChunks - k;
        int[] bounds = noveltyBounds(vectors, next, m, places);
        for (int s = 0; s < places; s++) {
            kept[k++] = representative(vectors, repeated, covered, bounds[s], bounds[s + 1], next, m);
        }
        for (int i = 0; i < kept.length; i++) {
            kept[i] = fresh.get(kept[i]);
        }
        return new Selection(kept, n);
    }

    /**
     * Stretch boundaries that give each stretch the same share of new content rather than the same number
     * of chunks: a chunk weighs a base plus how unlike its predecessor it is (1 − TF-IDF cosine). A run of
     * near-identical chunks (a pasted log, a long table) then gets fewer places and varied text more; on
     * evenly varied text it is a uniform stride. The base keeps every part represented. Measured with
     * bench-sample (README): a base of 0.25 beat a stride on average; down-weighting recurring text too
     * lost coverage of it.
     */
    static int[] noveltyBounds(TfIdf vectors, int from, int to, int places) {
        int n = to - from;
        double[] cum = new double[n + 1];
        for (int i = 0; i < n; i++) {
            int c = from + i;
            double novelty = c == 0 ? 1.0 : 1.0 - Math.max(0, vectors.cosine(c, c - 1));
            double w = 0.25 + novelty;
            cum[i + 1] = cum[i] + w;
        }
        int[] bounds = new int[places + 1];
        bounds[0] = from;
        bounds[places] = to;
        int at = 0;
        for (int s = 1; s < places; s++) {
            double target = cum[n] * s / places;
            while (at < n && cum[at + 1] < target) {
                at++;
            }
            // every stretch keeps at least one chunk, and leaves one for each stretch after it
            int b = Math.max(bounds[s - 1] - from + 1, Math.min(at + 1, n - (places - s)));
            bounds[s] = from + b;
        }
        return bounds;
    }

    /**
     * The candidate in [from, to) that covers most of what is not yet covered around it (a local greedy
     * step of facility location: coverage of a chunk is its best similarity to a kept chunk). Chunks of
     * recurring text only compete when the whole stretch is made of them.
     */
    private static int representative(TfIdf vectors, boolean[] repeated, double[] covered, int from, int to, int lo, int hi) {
        int reach = Math.max(1, to - from);
        int wFrom = Math.max(lo, from - reach);
        int wTo = Math.min(hi, to + reach);
        boolean anyFresh = false;
        for (int i = from; i < to; i++) {
            anyFresh |= !repeated[i];
        }
        int best = from;
        double bestGain = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            if (anyFresh && repeated[i]) {
                continue;
            }
            double gain = 0;
            for (int j = wFrom; j < wTo; j++) {
                double sim = j == i ? 1.0 : vectors.cosine(i, j);
                gain += Math.max(0, sim - covered[j]);
            }
            if (gain > bestGain) {
                bestGain = gain;
                best = i;
            }
        }
        cover(vectors, covered, best, wFrom, wTo);
        return best;
    }

    private static void cover(TfIdf vectors, double[] covered, int kept, int from, int to) {
        for (int j = from; j < to; j++) {
            covered[j] = Math.max(covered[j], j == kept ? 1.0 : vectors.cosine(kept, j));
        }
    }

    /**
     * In how many chunks each trigram occurs, from one sorted array of all chunks' (distinct) trigrams:
     * a 10 MiB file has over a million of them, too many for a map of boxed numbers.
     */
    private static final class DocumentFrequencies {
        private final long[] sorted;

        DocumentFrequencies(List<long[]> shingles) {
            sorted = new long[shingles.stream().mapToInt(x -> x.length).sum()];
            int at = 0;
            for (long[] x : shingles) {
                System.arraycopy(x, 0, sorted, at, x.length);
                at += x.length;
            }
            Arrays.sort(sorted);
        }

        int of(long shingle) {
            return bound(shingle, true) - bound(shingle, false);
        }

        /** Index of the first element greater than (after) or not less than (before) the key. */
        private int bound(long key, boolean after) {
            int lo = 0;
            int hi = sorted.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] < key || (after && sorted[mid] == key)) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /**
     * Most of the chunk's trigrams recur all through the document (in at least {@code common} chunks):
     * a running header or footer, boilerplate. Page numbers differ, so "most", not "all".
     */
    private static boolean repeated(long[] shingles, DocumentFrequencies df, int common) {
        if (shingles.length == 0) {
            return false;
        }
        int recurring = 0;
        for (long h : shingles) {
            if (df.of(h) >= common) {
                recurring++;
            }
        }
        return recurring >= 0.6 * shingles.length;
    }

    /**
     * Text with case and spacing levelled. Numbers are kept: rows of a table differ only in their
     * numbers and are not duplicates (a footer that differs in its page number is caught as recurring).
     */
    static String signature(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    static String[] words(String text) {
        return NON_WORD.split(text.toLowerCase(Locale.ROOT).replaceAll("\\p{N}", "0").strip());
    }

    /** Distinct hashed word trigrams, after lower-casing and replacing digits (page numbers differ). */
    static long[] shingles(String text) {
        String[] words = words(text);
        if (words.length < 3) {
            return words.length > 0 && !words[0].isEmpty() ? new long[] {hash(String.join(" ", words), "", "")} : new long[0];
        }
        long[] out = new long[words.length - 2];
        for (int i = 0; i + 2 < words.length; i++) {
            out[i] = hash(words[i], words[i + 1], words[i + 2]);
        }
        return Arrays.stream(out).sorted().distinct().toArray();
    }

    private static long hash(String a, String b, String c) {
        long h = 1125899906842597L;
        for (String s : new String[] {a, b, c}) {
            for (int i = 0; i < s.length(); i++) {
                h = 31 * h + s.charAt(i);
            }
            h = 31 * h + 0x1F;
        }
        return h;
    }
}
