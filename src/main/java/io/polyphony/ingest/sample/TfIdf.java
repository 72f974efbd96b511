package io.polyphony.ingest.sample;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Unit-length TF-IDF word vectors of a document's chunks, stored sparse (sorted term ids and weights). */
final class TfIdf {

    private final int[][] terms;
    private final float[][] weights;

    private TfIdf(int[][] terms, float[][] weights) {
        this.terms = terms;
        this.weights = weights;
    }

    static TfIdf of(List<String> chunks) {
        Map<String, Integer> ids = new HashMap<>();
        int n = chunks.size();
        int[][] termIds = new int[n][];
        int[][] termCounts = new int[n][];
        int[] counts = new int[1024];
        for (int i = 0; i < n; i++) {
            // term counts through one reused array instead of a map per chunk
            int[] touched = new int[16];
            int distinct = 0;
            for (String w : ChunkSampler.words(chunks.get(i))) {
                if (w.length() < 2) {
                    continue;
                }
                int id = ids.computeIfAbsent(w, x -> ids.size());
                if (id >= counts.length) {
                    counts = Arrays.copyOf(counts, Math.max(id + 1, counts.length * 2));
                }
                if (counts[id]++ == 0) {
                    if (distinct == touched.length) {
                        touched = Arrays.copyOf(touched, distinct * 2);
                    }
                    touched[distinct++] = id;
                }
            }
            int[] t = Arrays.copyOf(touched, distinct);
            Arrays.sort(t);
            int[] c = new int[distinct];
            for (int j = 0; j < distinct; j++) {
                c[j] = counts[t[j]];
                counts[t[j]] = 0;
            }
            termIds[i] = t;
            termCounts[i] = c;
        }
        int[] df = new int[ids.size()];
        for (int[] t : termIds) {
            for (int id : t) {
                df[id]++;
            }
        }
        float[][] weights = new float[n][];
        for (int i = 0; i < n; i++) {
            int[] t = termIds[i];
            float[] w = new float[t.length];
            double norm = 0;
            for (int j = 0; j < t.length; j++) {
                w[j] = (float) ((1 + Math.log(termCounts[i][j])) * Math.log((double) n / df[t[j]]));
                norm += w[j] * w[j];
            }
            float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0;
            for (int j = 0; j < w.length; j++) {
                w[j] *= inv;
            }
            weights[i] = w;
        }
        return new TfIdf(termIds, weights);
    }

    double cosine(int a, int b) {
        int[] ta = terms[a];
        int[] tb = terms[b];
        float[] wa = weights[a];
        float[] wb = weights[b];
        double dot = 0;
        for (int i = 0, j = 0; i < ta.length && j < tb.length; ) {
            if (ta[i] == tb[j]) {
                dot += wa[i++] * wb[j++];
            } else if (ta[i] < tb[j]) {
                i++;
            } else {
                j++;
            }
        }
        return dot;
    }
}
