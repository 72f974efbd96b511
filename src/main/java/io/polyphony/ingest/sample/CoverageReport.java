package io.polyphony.ingest.sample;

import io.polyphony.ingest.embed.Embedder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * How well a choice of chunks stands for the whole document: embed every chunk, then average over all
 * chunks the best cosine to a kept chunk. 1.0 means every passage has an identical kept passage. Our
 * sampler is compared with the naive choices: a uniform stride and the first N chunks.
 */
public final class CoverageReport {

    /** Means over all chunks, and over the worst-covered 5 % of chunks (the passages a choice represents least). */
    public record Row(String document, int chunks, double sampler, double stride, double firstN,
                      double samplerTail, double strideTail, double firstNTail) {
    }

    private final Embedder embedder;
    private final ChunkSampler sampler;

    public CoverageReport(Embedder embedder, ChunkSampler sampler) {
        this.embedder = embedder;
        this.sampler = sampler;
    }

    public Row measure(String document, List<String> chunks) {
        List<float[]> v = embedder.embed(chunks);
        int n = chunks.size();
        int max = Math.min(sampler.maxChunks(), n);
        int[] stride = new int[max];
        int[] first = new int[max];
        for (int i = 0; i < max; i++) {
            stride[i] = (int) ((long) i * n / max);
            first[i] = i;
        }
        int[] ours = sampler.select(chunks).kept();
        return new Row(document, n, coverage(v, ours), coverage(v, stride), coverage(v, first),
                tail(v, ours), tail(v, stride), tail(v, first));
    }

    static double coverage(List<float[]> vectors, int[] kept) {
        double sum = 0;
        for (double b : best(vectors, kept)) {
            sum += b;
        }
        return sum / vectors.size();
    }

    /** Mean best cosine of the worst-covered 5 % of chunks (at least one). */
    static double tail(List<float[]> vectors, int[] kept) {
        double[] b = best(vectors, kept);
        java.util.Arrays.sort(b);
        int m = Math.max(1, b.length / 20);
        double sum = 0;
        for (int i = 0; i < m; i++) {
            sum += b[i];
        }
        return sum / m;
    }

    private static double[] best(List<float[]> vectors, int[] kept) {
        double[] out = new double[vectors.size()];
        int at = 0;
        for (float[] x : vectors) {
            double best = -1;
            for (int k : kept) {
                float[] y = vectors.get(k);
                double dot = 0;
                for (int j = 0; j < x.length; j++) {
                    dot += x[j] * y[j];
                }
                best = Math.max(best, dot);
            }
            out[at++] = best;
        }
        return out;
    }

    public static void print(List<Row> rows, PrintStream out) {
        out.printf("%-36s %7s %9s %9s %9s%n", "document", "chunks", "sampler", "stride", "first-N");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-36s %7d %9.4f %9.4f %9.4f%n", r.document(), r.chunks(), r.sampler(), r.stride(), r.firstN());
        }
        Function<Function<Row, Double>, Double> mean = f -> rows.stream().mapToDouble(f::apply).average().orElse(0);
        out.printf(Locale.ROOT, "%-36s %7s %9.4f %9.4f %9.4f%n", "mean", "", mean.apply(Row::sampler), mean.apply(Row::stride),
                mean.apply(Row::firstN));
        out.printf("%nworst-covered 5 %% of chunks: their mean best cosine to a kept chunk%n");
        out.printf("%-36s %7s %9s %9s %9s%n", "document", "chunks", "sampler", "stride", "first-N");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-36s %7d %9.4f %9.4f %9.4f%n", r.document(), r.chunks(), r.samplerTail(),
                    r.strideTail(), r.firstNTail());
        }
        out.printf(Locale.ROOT, "%-36s %7s %9.4f %9.4f %9.4f%n", "mean", "", mean.apply(Row::samplerTail),
                mean.apply(Row::strideTail), mean.apply(Row::firstNTail));
    }

    /**
     * Long documents for the report when none are given, shaped like real ones: sections on distinct
     * subjects (a first-N choice never reaches the later ones) and a legal notice repeated every few pages
     * as a chunk of its own (a stride keeps copy after copy of it).
     */
    public static List<String[]> generatedDocuments() {
        List<String[]> docs = new ArrayList<>();
        Random r = new Random(17);
        String[][] subjects = {
            {"pricing", "discount", "list price", "annual contract", "renewal quote", "volume tier"},
            {"hiring", "candidate", "interview loop", "offer letter", "recruiter", "job posting"},
            {"security", "penetration test", "access token", "encryption key", "audit log", "phishing drill"},
            {"latency", "p99 response time", "cache hit rate", "database index", "load balancer", "cold start"},
            {"onboarding", "buddy", "first week", "laptop setup", "welcome session", "starter project"},
            {"vendors", "supplier", "purchase order", "invoice", "service agreement", "procurement review"},
            {"budget", "forecast", "cost centre", "quarterly spend", "capital expense", "headcount plan"},
            {"churn", "cancellation", "health score", "customer interview", "win-back offer", "usage drop"},
            {"legal", "contract clause", "liability cap", "data processing agreement", "jurisdiction", "signature"},
            {"support", "ticket queue", "escalation", "first response", "knowledge base", "satisfaction survey"},
            {"roadmap", "milestone", "feature flag", "beta programme", "release train", "deprecation"},
            {"migration", "cutover", "data backfill", "rollback plan", "dual write", "schema change"}};
        String[] verbs = {"reduced", "reviewed", "doubled", "replaced", "audited", "simplified", "measured", "documented"};
        String[] tails = {"in spring", "after the incident", "for the pilot", "ahead of plan", "with help from finance",
            "before the board meeting", "across all regions", "for the second time"};
        String notice = "Notice: this document is confidential and intended only for the addressee. If you received it by "
                + "mistake, delete it and tell the sender. Figures are unaudited and may change. Nothing in this document "
                + "is an offer or a commitment of any kind. Copyright 2026 ACME Corporation, all rights reserved.";
        StringBuilder report = new StringBuilder("Annual operations report\n\nSummary: a year of growth across twelve areas.\n\n");
        for (int section = 0; section < subjects.length; section++) {
            String[] s = subjects[section];
            report.append("Section ").append(section + 1).append(": ").append(s[0]).append("\n\n");
            for (int page = 0; page < 14; page++) {
                for (int p = 0; p < 6; p++) {
                    for (int k = 0; k < 3; k++) {
                        report.append("The ").append(s[1 + r.nextInt(5)]).append(' ').append(verbs[r.nextInt(verbs.length)])
                                .append(" the ").append(s[1 + r.nextInt(5)]).append(' ').append(tails[r.nextInt(tails.length)]).append(". ");
                    }
                    report.append("\n\n");
                }
                report.append(notice).append("\n\n");
            }
        }
        docs.add(new String[] {"generated: sectioned report", report.toString()});
        StringBuilder transcript = new StringBuilder("Transcript of the all-hands meeting\n\n");
        String[] speakers = {"Alice", "Bob", "Chen", "Dana", "Emil"};
        for (int i = 0; i < 5200; i++) {
            String[] s = subjects[(i * subjects.length) / 5200];
            transcript.append(speakers[r.nextInt(speakers.length)]).append(": ");
            transcript.append(r.nextInt(5) == 0 ? "Thanks, next question please." : "On " + s[0] + ", the " + s[1 + r.nextInt(5)]
                    + " " + verbs[r.nextInt(verbs.length)] + " the " + s[1 + r.nextInt(5)] + " " + tails[r.nextInt(tails.length)] + ".");
            transcript.append("\n\n");
        }
        docs.add(new String[] {"generated: meeting transcript", transcript.toString()});
        // a post-mortem: a varied narrative, then a long pasted log in which one chunk reads much like the next
        StringBuilder postMortem = new StringBuilder("Post-mortem: search latency incident\n\nSummary: slow searches for two hours.\n\n");
        for (int section = 0; section < subjects.length; section++) {
            String[] s = subjects[section];
            postMortem.append("Impact on ").append(s[0]).append("\n\n");
            for (int p = 0; p < 12; p++) {
                for (int k = 0; k < 3; k++) {
                    postMortem.append("The ").append(s[1 + r.nextInt(5)]).append(' ').append(verbs[r.nextInt(verbs.length)])
                            .append(" the ").append(s[1 + r.nextInt(5)]).append(' ').append(tails[r.nextInt(tails.length)]).append(". ");
                }
                postMortem.append("\n\n");
            }
        }
        postMortem.append("Appendix: server log\n\n");
        String[] levels = {"INFO", "INFO", "INFO", "WARN"};
        for (int line = 0; line < 4000; line++) {
            postMortem.append(String.format(Locale.ROOT, "2026-03-04T12:%02d:%02dZ %s worker-%d search served in %d ms status=200 room=%d%n",
                    line / 60 % 60, line % 60, levels[r.nextInt(levels.length)], r.nextInt(8), 5 + r.nextInt(900), r.nextInt(40)));
            if (line % 5 == 4) {
                postMortem.append('\n');
            }
        }
        docs.add(new String[] {"generated: post-mortem with a log", postMortem.toString()});
        return docs;
    }
}
