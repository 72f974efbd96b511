package io.polyphony.ingest.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which chunks of a document are kept, as indices into its chunk list in ascending order.
 *
 * @param total how many chunks the document had
 */
public record Selection(int[] kept, int total) {

    public boolean sampled() {
        return kept.length < total;
    }

    public <T> List<T> apply(List<T> chunks) {
        List<T> out = new ArrayList<>(kept.length);
        for (int i : kept) {
            out.add(chunks.get(i));
        }
        return out;
    }

    /** "sampled 500 of 2,341", or "all 37 chunks". */
    public String describe() {
        return sampled()
                ? String.format(Locale.ROOT, "sampled %,d of %,d", kept.length, total)
                : String.format(Locale.ROOT, "all %,d chunks", total);
    }
}
