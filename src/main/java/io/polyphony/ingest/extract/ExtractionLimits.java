package io.polyphony.ingest.extract;

import java.time.Duration;

/**
 * Guards applied to every file before and while its text is extracted.
 *
 * @param maxFileBytes     files larger than this are refused before being read (10 MiB by default)
 * @param maxChars         extracted text longer than this fails as {@code too_much_text}
 * @param timeout          longest a single file may take to parse
 * @param maxExpandedBytes a container format (DOCX, XLSX, ODT, EPUB...) whose parts together unpack to
 *                         more than this is refused before parsing: Tika's own limits act too late to
 *                         save the heap from a zip bomb
 * @param maxEntries       a container with more parts than this is refused the same way
 */
public record ExtractionLimits(long maxFileBytes, int maxChars, Duration timeout, long maxExpandedBytes, int maxEntries) {

    public static final long TEN_MIB = 10L * 1024 * 1024;

    public static ExtractionLimits defaults() {
        return new ExtractionLimits(TEN_MIB, 20_000_000, Duration.ofSeconds(60), 256L * 1024 * 1024, 10_000);
    }

    public ExtractionLimits {
        if (maxFileBytes <= 0 || maxChars <= 0 || maxExpandedBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("extraction limits must be greater than zero");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("extraction timeout must be positive");
        }
    }

    public ExtractionLimits withMaxFileBytes(long bytes) {
        return new ExtractionLimits(bytes, maxChars, timeout, maxExpandedBytes, maxEntries);
    }

    public ExtractionLimits withTimeout(Duration t) {
        return new ExtractionLimits(maxFileBytes, maxChars, t, maxExpandedBytes, maxEntries);
    }
}
