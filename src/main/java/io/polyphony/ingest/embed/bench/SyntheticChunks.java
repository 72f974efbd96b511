package io.polyphony.ingest.embed.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic ~500-character English chunks, in the style of meeting notes, for benchmarks. */
public final class SyntheticChunks {

    private static final String[] SUBJECTS = {"The team", "Our vendor", "The steering committee", "Alice", "Bob",
        "The platform group", "Finance", "The pilot customer", "Legal", "The on-call engineer"};
    private static final String[] VERBS = {"agreed to", "proposed to", "declined to", "will", "promised to",
        "asked us to", "decided to", "plans to", "needs to", "offered to"};
    private static final String[] OBJECTS = {"postpone the launch until the security review is complete",
        "rewrite the PDF extractor so that scanned contracts no longer fail",
        "cap every room at one thousand chunks and evict inactive rooms first",
        "share the revised budget for the Berlin office before Friday",
        "measure how much memory each chunk really takes in Redis",
        "review the retention policy for uploaded meeting recordings",
        "move the weekly sync to Thursday afternoons",
        "document the restart procedure for failed ingest runs",
        "compare the new embedding model against last quarter's baseline",
        "send the customer a summary of the open action items"};
    private static final String[] TAILS = {"because the deadline moved", "after a long discussion",
        "with some reservations", "as a first step", "pending approval from finance",
        "to reduce the risk of another outage", "so that the pilot can start on time", "without further delay"};

    private SyntheticChunks() {
    }

    public static List<String> generate(int count, int targetChars, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder(targetChars + 120);
            while (sb.length() < targetChars) {
                sb.append(pick(r, SUBJECTS)).append(' ').append(pick(r, VERBS)).append(' ')
                        .append(pick(r, OBJECTS)).append(' ').append(pick(r, TAILS)).append(". ");
            }
            int cut = sb.lastIndexOf(". ", targetChars + 40);
            out.add(sb.substring(0, cut > 0 ? cut + 1 : sb.length()).trim());
        }
        return out;
    }

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }
}
