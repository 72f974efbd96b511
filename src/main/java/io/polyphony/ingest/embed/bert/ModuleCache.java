package io.polyphony.ingest.embed.bert;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/**
 * Generated TorchScript modules kept on disk, so that a later start loads one (a fraction of a second) instead of
 * reading the ONNX file and generating the module again (about 2 s per model on two cores).
 *
 * <p>An entry's key covers everything the module is made from: where the weights come from (the resource's address,
 * length and time), the folder's options, the precision, and the class files of the code that generates modules, so a
 * new build of the generator never loads an old module. Entries are written to a temporary file and moved into place,
 * so several processes may fill the same cache at once; one that does not load is deleted and generated again.
 */
public final class ModuleCache {

    /** The shape of a cached encoder: what {@link BertEncoder} needs without reading the weights. */
    public record Dimensions(int hidden, int intermediate, int layers, int maxPositions) {

        static Dimensions of(BertWeights w) {
            return new Dimensions(w.hidden(), w.intermediate(), w.layers(), w.maxPositions());
        }
    }

    /** The classes whose code decides what a generated module contains. */
    private static final Class<?>[] GENERATOR = {BertModule.class, BertWeights.class, BertEncoder.class,
        io.polyphony.ingest.embed.TorchScriptWriter.class, io.polyphony.ingest.embed.onnx.OnnxReader.class};

    private final Path dir;

    private ModuleCache(Path dir) {
        this.dir = dir;
    }

    /** A cache in {@code dir} (created when first written); null or blank means none. */
    public static ModuleCache at(Path dir) {
        return new ModuleCache(dir);
    }

    public static ModuleCache none() {
        return new ModuleCache(null);
    }

    public boolean enabled() {
        return dir != null;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The entry's key: {@code <label>-<SHA-256 over the weights' identity, the options and the generator's class files>}.
     * Storing an entry deletes the others of the same label (older builds or weights of the same model).
     */
    public static String key(String label, String weightsIdentity, String options) {
        if (!label.matches("[A-Za-z0-9._]+(-[A-Za-z0-9._]+)*")) {
            throw new IllegalArgumentException("cache label '" + label + "' is not a plain file name");
        }
        return label + "-" + digest(weightsIdentity, options);
    }

    private static String digest(String weightsIdentity, String options) {
        MessageDigest sha = sha256();
        sha.update(weightsIdentity.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(options.getBytes(StandardCharsets.UTF_8));
        for (Class<?> c : GENERATOR) {
            sha.update((byte) 0);
            try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
                if (in == null) {
                    throw new IllegalStateException("class file of " + c.getName() + " not found");
                }
                sha.update(in.readAllBytes());
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the class file of " + c.getName(), e);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The module file of the entry ({@code <key>.pt}), which DJL loads as model {@code <key>} from {@link #dir}. */
    Path moduleFile(String key) {
        return dir.resolve(key + ".pt");
    }

    /** The entry, when both its files are there. */
    Optional<Dimensions> find(String key) {
        if (dir == null || !Files.isRegularFile(moduleFile(key))) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(key + ".properties"), StandardCharsets.UTF_8)) {
            p.load(r);
            return Optional.of(new Dimensions(Integer.parseInt(p.getProperty("hidden")),
                    Integer.parseInt(p.getProperty("intermediate")), Integer.parseInt(p.getProperty("layers")),
                    Integer.parseInt(p.getProperty("maxPositions"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Writes an entry: the dimensions first, then the module, each moved into place whole. */
    void store(String key, Dimensions d, ModuleWriter module) throws IOException {
        Files.createDirectories(dir);
        Properties p = new Properties();
        p.setProperty("hidden", Integer.toString(d.hidden()));
        p.setProperty("intermediate", Integer.toString(d.intermediate()));
        p.setProperty("layers", Integer.toString(d.layers()));
        p.setProperty("maxPositions", Integer.toString(d.maxPositions()));
        Path props = Files.createTempFile(dir, key, ".properties.tmp");
        Path pt = Files.createTempFile(dir, key, ".pt.tmp");
        try {
            try (Writer w = Files.newBufferedWriter(props, StandardCharsets.UTF_8)) {
                p.store(w, "dimensions of the generated module " + key + ".pt");
            }
            module.write(pt);
            move(props, dir.resolve(key + ".properties"));
            move(pt, moduleFile(key));
        } finally {
            Files.deleteIfExists(props);
            Files.deleteIfExists(pt);
        }
        pruneOthers(key);
    }

    /** Deletes the entries of the same label but another key: a module is 70–90 MB, and those will not be loaded again. */
    private void pruneOthers(String key) {
        String label = key.substring(0, key.lastIndexOf('-') + 1);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                boolean sibling = n.startsWith(label) && n.substring(label.length()).matches("[0-9a-f]{64}\\.(pt|properties)");
                if (sibling && !n.startsWith(key + ".")) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            // left for the next store
        }
    }

    /** Deletes an entry that did not load. */
    void evict(String key) {
        try {
            Files.deleteIfExists(moduleFile(key));
            Files.deleteIfExists(dir.resolve(key + ".properties"));
        } catch (IOException e) {
            // the next load regenerates it and tries to replace it again
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a module to a file. */
    @FunctionalInterface
    interface ModuleWriter {
        void write(Path file) throws IOException;
    }
}
