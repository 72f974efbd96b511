package io.polyphony.ingest.extract;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.tika.parser.txt.CharsetDetector;
import org.apache.tika.parser.txt.CharsetMatch;

/**
 * Decoding of plain-text formats ourselves: Tika's detector takes UTF-8 that begins with plain ASCII
 * for ISO-8859-1 and mangles every accent after it. Valid UTF-8 is UTF-8; only otherwise do we guess.
 */
final class PlainText {

    private PlainText() {
    }

    static boolean handles(String type) {
        return type.equals("text/plain") || type.equals("text/x-web-markdown") || type.equals("text/markdown")
                || type.equals("text/csv") || type.equals("text/tab-separated-values") || type.equals("text/x-log");
    }

    static String decode(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) {
            return new String(b, 3, b.length - 3, StandardCharsets.UTF_8);
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16BE);
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16LE);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException notUtf8) {
            CharsetDetector detector = new CharsetDetector();
            detector.setText(b);
            CharsetMatch match = detector.detect();
            Charset cs = Charset.forName("windows-1252");
            if (match != null && match.getConfidence() >= 30 && Charset.isSupported(match.getName())) {
                cs = Charset.forName(match.getName());
            }
            return new String(b, cs);
        }
    }

    /** Control bytes other than whitespace in the first 8 KB: not text, whatever the file name says. */
    static boolean looksBinary(byte[] b) {
        int n = Math.min(b.length, 8192);
        if (n >= 2 && ((b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF || (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE)) {
            return false; // UTF-16 text is full of zero bytes
        }
        int control = 0;
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)) {
                control++;
            }
        }
        return control > n / 100;
    }
}
