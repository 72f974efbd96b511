package io.polyphony.ingest.embed;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A model folder in DJL's convention: {@code models/<name>/serving.properties} plus files. Keys
 * {@code option.*} configure the model; we also read {@code engine} and {@code translatorFactory}.
 * A file reference is either a path inside the folder or {@code classpath:<resource>}, which is how the
 * default models point at weights that come from Maven artifacts instead of git.
 */
public record ModelFolder(String name, Path dir, Properties properties) {

    public static ModelFolder open(Path modelsDir, String name) {
        if (!name.matches("[A-Za-z0-9._-]{1,128}") || name.startsWith(".")) {
            throw new IllegalArgumentException("invalid model name '" + name + "'");
        }
        Path dir = modelsDir.resolve(name);
        Path file = dir.resolve("serving.properties");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model '" + name + "' not found: no " + file
                    + " (set polyphony.models-dir or polyphony.embedding.model)");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new ModelFolder(name, dir, p);
    }

    public String option(String key, String defaultValue) {
        return properties.getProperty("option." + key, defaultValue);
    }

    public String requireOption(String key) {
        String v = properties.getProperty("option." + key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(dir.resolve("serving.properties") + ": option." + key + " is required");
        }
        return v.trim();
    }

    public String property(String key) {
        return properties.getProperty(key);
    }

    /**
     * What identifies a file's content without reading it: its address, length and modification time (for a classpath
     * resource in a jar, the entry's size and CRC-32).
     */
    public String identity(String ref) throws IOException {
        if (ref.startsWith("classpath:")) {
            String resource = ref.substring("classpath:".length());
            java.net.URL url = ModelFolder.class.getClassLoader().getResource(resource);
            if (url == null) {
                throw new FileNotFoundException("model '" + name + "': classpath resource " + resource + " not found");
            }
            java.net.URLConnection c = url.openConnection();
            if (c instanceof java.net.JarURLConnection jar) {
                // an entry of a jar (the artifact's version is in the jar's name): its size and CRC-32 do not change when
                // the application's own jar is rebuilt around it, nor where the jar is (nested in the application's jar,
                // or unpacked by the fast start)
                java.util.jar.JarEntry entry = jar.getJarEntry();
                String jarFile = jar.getJarFileURL().toString();
                return jarFile.substring(jarFile.lastIndexOf('/') + 1) + "!/" + entry.getName() + "|" + entry.getSize() + "|"
                        + Long.toHexString(entry.getCrc());
            }
            return url + "|" + c.getContentLengthLong() + "|" + c.getLastModified();
        }
        Path p = dir.resolve(ref).normalize().toAbsolutePath();
        return p + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis();
    }

    public InputStream openFile(String ref) throws IOException {
        if (ref.startsWith("classpath:")) {
            String resource = ref.substring("classpath:".length());
            InputStream in = ModelFolder.class.getClassLoader().getResourceAsStream(resource);
            if (in == null) {
                throw new FileNotFoundException("model '" + name + "': classpath resource " + resource
                        + " not found; it comes from a Maven artifact (see " + dir.resolve("serving.properties") + ")");
            }
            return in;
        }
        Path p = dir.resolve(ref).normalize();
        if (!p.startsWith(dir.normalize())) {
            throw new IllegalArgumentException("model '" + name + "': file " + ref + " is outside its folder");
        }
        return Files.newInputStream(p);
    }
}
