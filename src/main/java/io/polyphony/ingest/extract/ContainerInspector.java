package io.polyphony.ingest.extract;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.Sizes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Measures what a zip-based document really unpacks to by inflating it into nowhere, counting bytes,
 * and stopping at the limit. Declared sizes in zip headers can lie, so only inflating tells the truth.
 */
final class ContainerInspector {

    private ContainerInspector() {
    }

    static boolean isZip(byte[] content) {
        return content.length >= 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4;
    }

    /** Empty when the container is within limits, else why not. */
    static Optional<Problem> check(byte[] content, ExtractionLimits limits) {
        long total = 0;
        int entries = 0;
        byte[] sink = new byte[64 * 1024];
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(content))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (++entries > limits.maxEntries()) {
                    return Optional.of(new Problem(Reason.UNPARSEABLE, "container has more than "
                            + limits.maxEntries() + " parts; refused as a possible zip bomb"));
                }
                int n;
                while ((n = zip.read(sink)) > 0) {
                    total += n;
                    if (total > limits.maxExpandedBytes()) {
                        return Optional.of(new Problem(Reason.TOO_MUCH_TEXT, "unpacks to more than "
                                + Sizes.human(limits.maxExpandedBytes()) + " from " + Sizes.human(content.length)
                                + "; refused as a possible zip bomb"));
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.of(new Problem(Reason.UNPARSEABLE, "corrupt container: " + e.getMessage()));
        }
        return Optional.empty();
    }
}
