package io.polyphony.ingest.chunk;

import io.polyphony.ingest.embed.Embedder;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * Text into chunks of about {@code targetChars}, cut at paragraph, then sentence, then word boundaries,
 * with a small overlap of whole sentences, and never more tokens than the model reads. Deterministic:
 * the same text and options always give the same chunks.
 */
public final class TextChunker {

    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\n\\s*\\n");
    private static final Pattern SPACES = Pattern.compile("[ \\t\\x0B\\f\\u00A0\\u2000-\\u200B\\u3000]+");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}&&[^\\n\\t]]");

    private final ChunkingOptions options;
    private final Function<List<String>, int[]> tokens;
    private final int maxTokens;

    /**
     * @param tokens    the model's token count for a text
     * @param maxTokens the model's limit; no chunk exceeds it
     */
    public TextChunker(ChunkingOptions options, ToIntFunction<String> tokens, int maxTokens) {
        this(maxTokens, options, texts -> texts.stream().mapToInt(tokens).toArray());
    }

    /** {@code tokens}: the model's token count of each text of a list, in order. */
    private TextChunker(int maxTokens, ChunkingOptions options, Function<List<String>, int[]> tokens) {
        this.options = options;
        this.tokens = tokens;
        this.maxTokens = maxTokens;
    }

    /** A chunker sized to a model: its token counts (a text's chunks counted together) and its limit. */
    public static TextChunker forModel(ChunkingOptions options, Embedder model) {
        return new TextChunker(model.info().maxTokens(), options, model::countTokens);
    }

    public List<String> chunk(String text) {
        List<Unit> units = units(normalize(text));
        List<String> chunks = new ArrayList<>();
        List<Unit> current = new ArrayList<>();
        int length = 0;
        for (Unit u : units) {
            int added = u.text.length() + (current.isEmpty() ? 0 : 2);
            if (length + added > options.targetChars() && hasNew(current)) {
                chunks.add(join(current));
                current = overlap(current);
                length = joinedLength(current);
                added = u.text.length() + (current.isEmpty() ? 0 : 2);
            }
            current.add(u);
            length += added;
        }
        if (hasNew(current)) {
            chunks.add(join(current));
        }
        int[] counts = tokens.apply(chunks);
        List<String> fitted = new ArrayList<>(chunks.size());
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] <= maxTokens) {
                fitted.add(chunks.get(i));
            } else {
                fitTokens(chunks.get(i), fitted);
            }
        }
        return fitted;
    }

    /** A sentence-sized piece; {@code paragraphStart} says how it joins the piece before it. */
    private record Unit(String text, boolean paragraphStart, boolean carried) {
        Unit carriedOver() {
            return new Unit(text, paragraphStart, true);
        }
    }

    private static boolean hasNew(List<Unit> units) {
        return units.stream().anyMatch(u -> !u.carried);
    }

    private List<Unit> overlap(List<Unit> previous) {
        List<Unit> tail = new ArrayList<>();
        int length = 0;
        for (int i = previous.size() - 1; i > 0; i--) {
            Unit u = previous.get(i);
            if (length + u.text.length() > options.overlapChars()) {
                break;
            }
            tail.add(0, u.carriedOver());
            length += u.text.length() + 1;
        }
        return tail;
    }

    static String normalize(String text) {
        String t = text.replace("\r\n", "\n").replace('\r', '\n');
        t = CONTROL.matcher(t).replaceAll(" ");
        t = SPACES.matcher(t).replaceAll(" ");
        return t.strip();
    }

    private List<Unit> units(String text) {
        List<Unit> out = new ArrayList<>();
        for (String paragraph : PARAGRAPH_BREAK.split(text)) {
            String p = paragraph.replace('\n', ' ').replaceAll(" {2,}", " ").strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean first = true;
            for (String piece : p.length() <= options.targetChars() ? List.of(p) : sentences(p)) {
                out.add(new Unit(piece, first, false));
                first = false;
            }
        }
        return out;
    }

    /** Sentences of a long paragraph; a sentence still too long is cut between words, a word between characters. */
    private List<String> sentences(String paragraph) {
        List<String> out = new ArrayList<>();
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        it.setText(paragraph);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String s = paragraph.substring(start, end).strip();
            if (s.isEmpty()) {
                continue;
            }
            if (s.length() <= options.targetChars()) {
                out.add(s);
            } else {
                out.addAll(words(s, options.targetChars()));
            }
        }
        return out;
    }

    private static List<String> words(String s, int max) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (String w : s.split(" ")) {
            while (w.length() > max) { // a URL, a base64 blob, CJK text without spaces
                flush(sb, out);
                int cut = Character.isHighSurrogate(w.charAt(max - 1)) ? max - 1 : max;
                out.add(w.substring(0, cut));
                w = w.substring(cut);
            }
            if (sb.length() + w.length() + 1 > max) {
                flush(sb, out);
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(w);
        }
        flush(sb, out);
        return out;
    }

    private static void flush(StringBuilder sb, List<String> out) {
        if (sb.length() > 0) {
            out.add(sb.toString());
            sb.setLength(0);
        }
    }

    private static String join(List<Unit> units) {
        StringBuilder sb = new StringBuilder();
        for (Unit u : units) {
            if (sb.length() > 0) {
                sb.append(u.paragraphStart ? "\n\n" : " ");
            }
            sb.append(u.text);
        }
        return sb.toString();
    }

    private static int joinedLength(List<Unit> units) {
        return join(units).length();
    }

    /** Splits a chunk the model could not read whole (dense scripts, code) until every piece fits. */
    private void fitTokens(String chunk, List<String> out) {
        if (tokens.apply(List.of(chunk))[0] <= maxTokens) {
            out.add(chunk);
            return;
        }
        int mid = chunk.length() / 2;
        int cut = chunk.lastIndexOf(' ', mid);
        if (cut <= 0) {
            cut = chunk.indexOf(' ', mid);
        }
        if (cut <= 0 || cut >= chunk.length() - 1) {
            cut = Character.isHighSurrogate(chunk.charAt(mid - 1)) ? mid - 1 : mid;
        }
        fitTokens(chunk.substring(0, cut).strip(), out);
        fitTokens(chunk.substring(cut).strip(), out);
    }
}
