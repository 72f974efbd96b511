package io.polyphony.ingest.embed;

import java.util.ArrayList;
import java.util.List;

/** Varied texts for comparing our forward pass with reference implementations. */
final class FidelityTexts {

    private FidelityTexts() {
    }

    static final String PARAGRAPH = "The quarterly planning meeting opened with a review of last quarter's delivery: "
            + "the ingestion pipeline shipped two weeks late because the PDF extractor choked on scanned contracts, "
            + "and the team agreed to budget time for a proper OCR fallback. ";

    static List<String> all() {
        List<String> t = new ArrayList<>(List.of(
                // short
                "Hello",
                "ok",
                "a",
                "Meeting notes",
                "Action items for Friday",
                "What is the budget for the Berlin office?",
                "Summarise the decisions from yesterday's call.",
                // sentences
                "Alice will send the revised contract to legal by Tuesday, and Bob owns the follow-up with procurement.",
                "The room's assistant searches uploaded documents and answers questions during the meeting.",
                "Redis keeps every active room's vectors in memory, so a huge upload must never starve other rooms.",
                "We decided to postpone the launch until the security review is complete.",
                "Revenue grew 14% year over year, driven mostly by enterprise renewals in EMEA.",
                "Please bring your laptop; the projector in room 4B only supports HDMI.",
                "The cat sat on the mat while the dog slept by the fire.",
                "Quantum error correction remains the main obstacle to fault-tolerant computation.",
                // punctuation-heavy
                "!!! ??? ... --- ;;; ::: ,,,",
                "Wait... what?! (Really?) [Yes.] {No!} <maybe> \"quoted\" 'single' `tick`",
                "e-mail: first.last+tag@example.com; url: https://example.com/a/b?c=d&e=f#g",
                "**bold** _italic_ ~~strike~~ > quote | table | row |",
                "#hashtag @mention $VAR %PCT ^caret &amp; *star* (paren) _under_ =eq+plus",
                // code
                "public static void main(String[] args) { System.out.println(\"hi\"); }",
                "def embed(texts):\n    return [model(t) for t in texts if t]\n",
                "SELECT room_id, COUNT(*) FROM chunks WHERE dims = 768 GROUP BY room_id HAVING COUNT(*) > 1000;",
                "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // dot product",
                "{\"id\": \"doc-1\", \"text\": \"hello\", \"vector\": [0.1, -0.2, 0.3]}",
                "git rebase -i HEAD~3 && mvn -B verify -DskipTests=false | tee build.log",
                // non-English
                "Die Besprechung wurde auf nächsten Donnerstag verschoben, weil der Vorstand verhindert ist.",
                "La réunion a été reportée à jeudi prochain ; merci de mettre à jour vos agendas.",
                "La reunión se aplazó hasta el próximo jueves por la ausencia del director financiero.",
                "会议推迟到下周四，因为董事会成员无法出席。",
                "会議は来週の木曜日に延期されました。",
                "Совещание перенесено на следующий четверг.",
                "تم تأجيل الاجتماع إلى يوم الخميس المقبل.",
                "Η συνάντηση αναβλήθηκε για την επόμενη Πέμπτη.",
                "회의가 다음 주 목요일로 연기되었습니다.",
                "Emoji test 🚀🔥 with mixed content ✓ ∑ ∞ ≠ ≤ ≥ → ←",
                "naïve café résumé façade coöperate Ångström",
                // numbers
                "3.14159 2.71828 1.41421 1.73205",
                "Invoice 2026-11-26 #44817: 1,234.56 EUR, due in 30 days, VAT 19 %",
                "0 1 2 3 4 5 6 7 8 9 10 100 1000 10000 100000 1000000",
                "+49 (30) 123-4567 ext. 89; ISBN 978-3-16-148410-0",
                "Q3: 12.5M; Q4: 14.1M (+12.8%); FY: 51.9M vs 47.3M plan",
                "IPv4 192.168.0.1, IPv6 2001:db8::1, MAC 00:1A:2B:3C:4D:5E",
                // whitespace and case oddities
                "   leading and trailing spaces   ",
                "UPPER CASE SHOUTING ABOUT THE DEADLINE",
                "tabs\tand\nnewlines\r\nmixed",
                "CamelCaseIdentifiersLikeThisOneAreSplitIntoWordPieces",
                "Risks: vendor lock-in, unclear data retention policy, and the on-call rota for the holidays.",
                "Decision: adopt the 768-dimension ensemble; revisit after the pilot with three customer rooms.",
                "The slides mention a 20 % latency regression after the upgrade — root cause still unknown.",
                "Ich habe die Präsentation überarbeitet und die Zahlen für das dritte Quartal ergänzt."));
        // long texts: about 60, 120 (MiniLM's oracle window is 128) and about 250, 500 tokens (bge's window)
        t.add(PARAGRAPH);
        t.add(PARAGRAPH + PARAGRAPH.replace("quarter", "sprint"));
        t.add(repeat(PARAGRAPH, 4));
        t.add(repeat("Section 4.2 of the agreement, including all schedules, is amended as follows. ", 20));
        t.add(repeat(PARAGRAPH, 7));
        t.add(repeat("def f(x): return x * 2  # doubles x\n", 35));
        return t;
    }

    static String repeat(String s, int n) {
        return s.repeat(n).trim();
    }
}
