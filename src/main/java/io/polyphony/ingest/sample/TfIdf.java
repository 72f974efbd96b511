package io.polyphony.ingest.sample;

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
        List<Map<Integer, Integer>> tf = chunks.stream().map(c -> {
            Map<Integer, Integer> counts = new HashMap<>();
            for (String w : ChunkSampler.words(c)) {
                if (w.length() > 1) {
                    counts.merge(ids.computeIfAbsent(w, x -> ids.size()), 1, Integer::sum);
                }
            }
            return counts;
        }).toList();
        int[] df = new int[ids.size()];
        tf.forEach(m -> m.keySet().forEach(t -> df[t]++));
        int[][] terms = new int[n][];
        float[][] weights = new float[n][];
        for (int i = 0; i < n; i++) {
            int[] t = tf.get(i).keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
            float[] w = new float[t.length];
            double norm = 0;
            for (int j = 0; j < t.length; j++) {
                w[j] = (float) ((1 + Math.log(tf.get(i).get(t[j]))) * Math.log((double) n / df[t[j]]));
                norm += w[j] * w[j];
            }
            float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0;
            for (int j = 0; j < w.length; j++) {
                w[j] *= inv;
            }
            terms[i] = t;
            weights[i] = w;
        }
        return new TfIdf(terms, weights);
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
