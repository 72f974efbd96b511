package io.polyphony.ingest.extract;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.Sizes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.tika.detect.DefaultDetector;
import org.apache.tika.detect.Detector;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.mime.MediaTypeRegistry;
import org.apache.tika.mime.MimeTypes;

/**
 * Text out of one file, with limits; the result is the text or a {@link Problem}, never an exception.
 * Order of the guards: size before reading, type before parsing, container expansion before parsing,
 * then a parse bounded in characters and time.
 */
public final class TextExtractor implements AutoCloseable {

    /** Types we extract text from; anything else is {@code unsupported}. Images have no text without OCR. */
    private static final List<String> SUPPORTED = List.of("text/", "application/pdf",
            "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
            "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
            "application/rtf", "application/epub+zip", "message/rfc822", "application/xhtml+xml",
            "application/xml", "application/json");

    private final ExtractionLimits limits;
    private final Detector detector = Types.DETECTOR;
    private final ParserProcesses parsers;
    private final boolean ownsParsers;

    /** With parser processes of its own (closed with it). */
    public TextExtractor(ExtractionLimits limits) {
        this(limits, new ParserProcesses(ParserProcesses.Settings.of(limits)), true);
    }

    /** Sharing {@code parsers} (whose time limit applies), which stay open when this closes. */
    public TextExtractor(ExtractionLimits limits, ParserProcesses parsers) {
        this(limits, parsers, false);
    }

    private TextExtractor(ExtractionLimits limits, ParserProcesses parsers, boolean ownsParsers) {
        this.limits = limits;
        this.parsers = parsers;
        this.ownsParsers = ownsParsers;
    }

    /** The same parser processes under a different file size limit (a job spec's override). */
    public TextExtractor withMaxFileBytes(long maxFileBytes) {
        return new TextExtractor(limits.withMaxFileBytes(maxFileBytes), parsers, false);
    }

    public ExtractionLimits limits() {
        return limits;
    }

    public Extraction extract(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return Extraction.refused(new Problem(Reason.UNPARSEABLE, "file disappeared before it was read"), null, 0, null);
        } catch (IOException e) {
            return Extraction.refused(new Problem(Reason.UNPARSEABLE, "cannot read file: " + e.getMessage()), null, 0, null);
        }
        if (size > limits.maxFileBytes()) {
            return Extraction.refused(new Problem(Reason.TOO_LARGE, tooLarge(size)), null, size, null);
        }
        if (size == 0) {
            return Extraction.refused(new Problem(Reason.EMPTY, "file is empty (0 bytes)"), null, 0, null);
        }
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            // the size may have changed since we looked: never read more than the limit allows
            content = in.readNBytes((int) Math.min(limits.maxFileBytes() + 1, Integer.MAX_VALUE - 16));
        } catch (IOException e) {
            return Extraction.refused(new Problem(Reason.UNPARSEABLE, "cannot read file: " + e.getMessage()), null, size, null);
        }
        if (content.length > limits.maxFileBytes()) {
            return Extraction.refused(new Problem(Reason.TOO_LARGE, tooLarge(content.length)), null, content.length, null);
        }
        return extract(content, file.getFileName() == null ? "" : file.getFileName().toString());
    }

    /** Extracts from content already in memory; {@code name} is only a hint for type detection. */
    /** Why a file of this content and name cannot be ingested by type, if it cannot: decided before any parse. */
    public Optional<Problem> typeProblem(byte[] content, String name) {
        if (content.length == 0) {
            return Optional.of(new Problem(Reason.EMPTY, "file is empty (0 bytes)"));
        }
        return refuseByType(detect(content, name), content);
    }

    public Extraction extract(byte[] content, String name) {
        String sha = sha256(content);
        long bytes = content.length;
        if (bytes == 0) {
            return Extraction.refused(new Problem(Reason.EMPTY, "file is empty (0 bytes)"), null, 0, sha);
        }
        String type = detect(content, name);
        Optional<Problem> refusal = refuseByType(type, content);
        if (refusal.isPresent()) {
            return Extraction.refused(refusal.get(), type, bytes, sha);
        }
        if (ContainerInspector.isZip(content)) {
            Optional<Problem> bomb = ContainerInspector.check(content, limits);
            if (bomb.isPresent()) {
                return Extraction.refused(bomb.get(), type, bytes, sha);
            }
        }
        String text;
        if (PlainText.handles(type)) {
            text = PlainText.decode(content);
            if (text.length() > limits.maxChars()) {
                return Extraction.refused(tooMuchText(limits.maxChars()), type, bytes, sha);
            }
        } else {
            Object parsed = parseIsolated(content, name);
            if (parsed instanceof Problem p) {
                return Extraction.refused(p, type, bytes, sha);
            }
            text = (String) parsed;
        }
        if (text.isBlank()) {
            Problem p = PlainText.handles(type) || type.startsWith("text/")
                    ? new Problem(Reason.EMPTY, "file holds only whitespace")
                    : new Problem(Reason.NO_TEXT, "no extractable text in this " + type + " (scanned or image-only?)");
            return Extraction.refused(p, type, bytes, sha);
        }
        return Extraction.of(text, type, bytes, sha);
    }

    private String tooLarge(long size) {
        String have = Sizes.human(size);
        String limit = Sizes.human(limits.maxFileBytes());
        if (have.equals(limit) || have.startsWith(limit.split(" ")[0] + ".0")) {
            have = size + " bytes";
            limit = limits.maxFileBytes() + " bytes";
        }
        return have + " > " + limit + " limit";
    }

    static Problem tooMuchText(int maxChars) {
        return new Problem(Reason.TOO_MUCH_TEXT, "more than " + String.format(Locale.ROOT, "%,d", maxChars)
                + " characters of text");
    }

    private String detect(byte[] content, String name) {
        Metadata md = new Metadata();
        md.set(TikaCoreProperties.RESOURCE_NAME_KEY, name);
        try (TikaInputStream in = TikaInputStream.get(content)) {
            return detector.detect(in, md).getBaseType().toString();
        } catch (IOException e) {
            return "application/octet-stream";
        }
    }

    private static Optional<Problem> refuseByType(String type, byte[] content) {
        if (type.equals("application/x-tika-ooxml-protected")) {
            return Optional.of(new Problem(Reason.ENCRYPTED, "password-protected Office document"));
        }
        if (type.startsWith("image/")) {
            return Optional.of(new Problem(Reason.NO_TEXT, "an image (" + type + "): no text to extract without OCR"));
        }
        if (SUPPORTED.stream().noneMatch(type::startsWith) && !isXml(type)) {
            return Optional.of(new Problem(Reason.UNSUPPORTED, "unsupported file type " + type));
        }
        if (type.startsWith("text/") && PlainText.looksBinary(content)) {
            return Optional.of(new Problem(Reason.UNSUPPORTED, "binary content in a file that claims to be " + type));
        }
        return Optional.empty();
    }

    /** An XML dialect (Atom, RSS, XLIFF...): Tika reads the text of any of them. */
    private static boolean isXml(String type) {
        MediaType t = MediaType.parse(type);
        return t != null && Types.REGISTRY.isSpecializationOf(t, MediaType.APPLICATION_XML);
    }

    /** The text, or a Problem: parsed in a child process, from a private copy of exactly the bytes checked. */
    private Object parseIsolated(byte[] content, String name) {
        Path copy = null;
        try {
            copy = Files.createTempFile("polyphony-parse-", ".bin");
            Files.write(copy, content);
            return parsers.parse(copy, name);
        } catch (IOException e) {
            return new Problem(Reason.INTERNAL, "cannot hand the file to the parser: " + e.getMessage());
        } finally {
            if (copy != null) {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException e) {
                    // a temp file left behind
                }
            }
        }
    }

    /**
     * SHA-256 of a file's bytes (what {@link Extraction#sha256()} holds), read in blocks; empty when the file
     * is over the size limit or cannot be read, so the caller goes on to {@link #extract(Path)} for the reason.
     */
    public Optional<String> fileSha256(Path file) {
        try {
            if (Files.size(file) > limits.maxFileBytes()) {
                return Optional.empty();
            }
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[64 * 1024];
                for (int r; (r = in.read(buf)) > 0; ) {
                    md.update(buf, 0, r);
                }
            }
            return Optional.of(HexFormat.of().formatHex(md.digest()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (ownsParsers) {
            parsers.close();
        }
    }

    /**
     * Starts reading Tika's type database on a daemon thread (about 0.6 s of class loading and XML), for a command
     * that is about to extract: the first file then does not wait for it.
     */
    public static void warmUp() {
        Thread t = new Thread(() -> {
            Types.DETECTOR.getClass(); // initialises the holder
        }, "type-detection-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Tika's default detector (magic bytes, container inspection, names) and type registry, loaded once: the same
     * detector {@code TikaConfig.getDefaultConfig()} makes, without loading every parser as that does (parsing
     * happens in the parser processes).
     */
    private static final class Types {
        static final MimeTypes TYPES = MimeTypes.getDefaultMimeTypes();
        static final Detector DETECTOR = new DefaultDetector(TYPES);
        static final MediaTypeRegistry REGISTRY = TYPES.getMediaTypeRegistry();
    }
}
