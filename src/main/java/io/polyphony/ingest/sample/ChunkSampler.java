package io.polyphony.ingest.sample;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Picks at most {@code maxChunks} of a long document's chunks, before anything is embedded:
 * <ol>
 *   <li>the opening chunks (title, summary) are always kept, unless they only repeat what recurs all
 *       through the document (a running header);</li>
 *   <li>the rest of the document is cut into as many equal stretches as there are places left, and
 *       each stretch contributes one chunk, so every part of the document is covered and the choice is
 *       spread evenly;</li>
 *   <li>within a stretch the chunk with the most information wins: each word trigram counts
 *       1 / (number of chunks it occurs in), so running headers, footers, boilerplate and repeated
 *       passages weigh almost nothing.</li>
 * </ol>
 * Deterministic: the same chunks give the same choice (ties go to the earlier chunk), so a restart
 * picks the same chunks again.
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
        List<long[]> shingles = chunks.stream().map(ChunkSampler::shingles).toList();
        Map<Long, Integer> df = documentFrequencies(shingles);
        double[] weight = informationWeights(shingles, df);
        int[] kept = new int[maxChunks];
        int k = 0;
        int next = 0;
        // the opening, minus what repeats all through the document (a running header is no summary)
        for (; k < openingChunks && next < 2 * openingChunks; next++) {
            if (!repeated(shingles.get(next), df)) {
                kept[k++] = next;
            }
        }
        int places = maxChunks - k;
        int rest = n - next;
        for (int s = 0; s < places; s++) {
            int from = next + (int) ((long) s * rest / places);
            int to = next + (int) ((long) (s + 1) * rest / places);
            int best = from;
            for (int i = from + 1; i < to; i++) {
                if (weight[i] > weight[best]) {
                    best = i;
                }
            }
            kept[k++] = best;
        }
        return new Selection(kept, n);
    }

    /** Sum over a chunk's distinct word trigrams of 1 / document frequency. */
    static double[] informationWeights(List<String> chunks) {
        List<long[]> shingles = chunks.stream().map(ChunkSampler::shingles).toList();
        return informationWeights(shingles, documentFrequencies(shingles));
    }

    private static double[] informationWeights(List<long[]> shingles, Map<Long, Integer> df) {
        double[] w = new double[shingles.size()];
        for (int i = 0; i < w.length; i++) {
            for (long h : shingles.get(i)) {
                w[i] += 1.0 / df.get(h);
            }
        }
        return w;
    }

    private static Map<Long, Integer> documentFrequencies(List<long[]> shingles) {
        Map<Long, Integer> df = new HashMap<>();
        for (long[] s : shingles) {
            for (long h : s) {
                df.merge(h, 1, Integer::sum);
            }
        }
        return df;
    }

    /** Every trigram of the chunk occurs in at least three chunks. */
    private static boolean repeated(long[] shingles, Map<Long, Integer> df) {
        for (long h : shingles) {
            if (df.get(h) < 3) {
                return false;
            }
        }
        return shingles.length > 0;
    }

    /** Distinct hashed word trigrams, after lower-casing and replacing digits (page numbers differ). */
    static long[] shingles(String text) {
        String[] words = NON_WORD.split(text.toLowerCase(Locale.ROOT).replaceAll("\\p{N}", "0").strip());
        java.util.Set<Long> out = new java.util.LinkedHashSet<>();
        for (int i = 0; i + 2 < words.length; i++) {
            out.add(hash(words[i], words[i + 1], words[i + 2]));
        }
        if (out.isEmpty() && words.length > 0 && !words[0].isEmpty()) {
            out.add(hash(String.join(" ", words), "", ""));
        }
        return out.stream().mapToLong(Long::longValue).toArray();
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
