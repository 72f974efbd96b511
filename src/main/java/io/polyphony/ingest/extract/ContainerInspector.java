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

    /** The part of an OpenDocument file that lists its parts; it stays readable when the parts are encrypted. */
    private static final String ODF_MANIFEST = "META-INF/manifest.xml";

    /**
     * Empty when the container is within limits and readable, else why not: too large unpacked, too many parts, or an
     * OpenDocument file whose manifest declares encrypted parts (a password-protected ODF).
     */
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
                java.io.ByteArrayOutputStream manifest = e.getName().equals(ODF_MANIFEST) ? new java.io.ByteArrayOutputStream() : null;
                int n;
                while ((n = zip.read(sink)) > 0) {
                    if (manifest != null && manifest.size() < 1 << 20) {
                        manifest.write(sink, 0, n);
                    }
                    total += n;
                    if (total > limits.maxExpandedBytes()) {
                        return Optional.of(new Problem(Reason.TOO_MUCH_TEXT, "unpacks to more than "
                                + Sizes.human(limits.maxExpandedBytes()) + " from " + Sizes.human(content.length)
                                + "; refused as a possible zip bomb"));
                    }
                }
                if (manifest != null && manifest.toString(java.nio.charset.StandardCharsets.UTF_8).contains("encryption-data")) {
                    return Optional.of(new Problem(Reason.ENCRYPTED, "password-protected OpenDocument file: its manifest"
                            + " declares encrypted parts; save it without a password and upload it again"));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.of(new Problem(Reason.UNPARSEABLE, "corrupt container: " + e.getMessage()));
        }
        return Optional.empty();
    }
}
