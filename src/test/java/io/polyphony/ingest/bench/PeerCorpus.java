package io.polyphony.ingest.bench;

import io.polyphony.ingest.embed.bench.SyntheticChunks;
import io.polyphony.ingest.extract.TestDocuments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A generated corpus of meeting documents for the peer race: Markdown, plain text, HTML, Word and PDF files of 4 to
 * 60 paragraphs of meeting-notes prose, deterministic for a seed.
 */
final class PeerCorpus {

    private PeerCorpus() {
    }

    static void generate(Path dir, int files, long seed) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < files; i++) {
            int paragraphs = 4 + (int) ((i * 37L + seed) % 57);
            List<String> p = SyntheticChunks.generate(paragraphs, 300 + (i % 5) * 60, seed * 1000 + i);
            String title = "Meeting " + (i + 1) + ": decisions and action items";
            switch (i % 5) {
                case 0 -> TestDocuments.text(dir, String.format("notes-%02d.md", i),
                        "# " + title + "\n\n" + String.join("\n\n", p) + "\n", StandardCharsets.UTF_8);
                case 1 -> TestDocuments.text(dir, String.format("minutes-%02d.txt", i),
                        title + "\n\n" + String.join("\n\n", p) + "\n", StandardCharsets.UTF_8);
                case 2 -> TestDocuments.text(dir, String.format("page-%02d.html", i), "<html><head><title>" + title
                        + "</title></head><body><h1>" + title + "</h1><p>" + String.join("</p>\n<p>", p)
                        + "</p></body></html>\n", StandardCharsets.UTF_8);
                case 3 -> TestDocuments.docx(dir, String.format("report-%02d.docx", i), prepend(title, p));
                default -> TestDocuments.pdf(dir, String.format("memo-%02d.pdf", i), null, pdfLines(title, p));
            }
        }
    }

    private static String[] prepend(String title, List<String> p) {
        String[] out = new String[p.size() + 1];
        out[0] = title;
        for (int i = 0; i < p.size(); i++) {
            out[i + 1] = p.get(i);
        }
        return out;
    }

    /** PDF lines of at most 90 characters (one page holds what it holds: PDFBox does not wrap or paginate). */
    private static String[] pdfLines(String title, List<String> p) {
        StringBuilder all = new StringBuilder(title).append(' ');
        p.forEach(x -> all.append(x).append(' '));
        List<String> lines = new java.util.ArrayList<>();
        String[] words = all.toString().split(" ");
        StringBuilder line = new StringBuilder();
        for (String w : words) {
            if (line.length() + w.length() + 1 > 90) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(w).append(' ');
        }
        lines.add(line.toString());
        return lines.subList(0, Math.min(lines.size(), 42)).toArray(String[]::new);
    }
}
