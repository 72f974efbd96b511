package io.polyphony.ingest.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Start-up without Spring Boot's nested-jar class loading and with a class data sharing archive: {@code java -jar
 * polyphony-ingest.jar …} unpacks the jar once into a cache folder and replaces itself ({@code execv}, the same
 * process) with a JVM that runs the unpacked classes with the command's archive of loaded classes.
 *
 * <p>Class loading is most of a command's start-up (about 9,800 classes); from an archive the JVM maps them instead of
 * reading, parsing and verifying them. The first run of each command (for each set of JVM options) writes the archive
 * when it exits; the runs after it read it. The same process id throughout: a signal or {@code kill -9} aimed at the
 * process reaches the program that does the work. Commands that run and exit start with C1 alone and the serial
 * collector unless the JVM options choose otherwise ({@link #startUpOptions}).
 *
 * <p>Off with {@code -Dpolyphony.fast-start=false} or the environment variable {@code POLYPHONY_FAST_START=false};
 * not attempted outside Linux, outside a Spring Boot jar, or when the JVM options already choose class data sharing or
 * a debugger. Anything that fails on the way leaves the process as it was, with a line on standard error.
 */
public final class FastStart {

    /** Set in the replacement process: the folder of the jar the user started (for {@code models/}, {@code jobs/}). */
    public static final String HOME_PROPERTY = "polyphony.home";
    static final String SWITCH = "polyphony.fast-start";
    /**
     * Before the options that read or write an archive: the JVM's own warnings go to standard error, never standard
     * output; those of writing an archive (classes it leaves out, dozens at a first run's exit) not at all.
     */
    static final List<String> QUIET = List.of("-Xshare:auto", "-Xlog:disable", "-Xlog:all=warning,cds*=error:stderr");

    private FastStart() {
    }

    /**
     * Replaces this process with the fast-starting one when that applies; returns when it does not (or could not).
     * First thing in {@code main}: nothing of the application may have started yet.
     */
    public static void relaunch(String mainClass, String[] args) {
        if (System.getProperty(HOME_PROPERTY) != null || !enabled() || !System.getProperty("os.name", "").equals("Linux")) {
            return;
        }
        Optional<Path> jar = BootJar.path();
        Optional<List<String>> jvmOptions = ProcessHandle.current().info().arguments().flatMap(a -> jvmOptions(List.of(a)));
        if (jar.isEmpty() || jvmOptions.isEmpty() || !suitable(jvmOptions.get())) {
            return;
        }
        try {
            Path unpacked = unpacked(jar.get(), cacheRoot());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ClassArchive archive = ClassArchive.in(unpacked.resolve("cds"), archiveName(command(args), jvmOptions.get()));
            List<String> options = new ArrayList<>(startUpOptions(command(args), jvmOptions.get()));
            options.addAll(jvmOptions.get());
            List<String> cmd = command(java, options, archive.jvmOptions(ProcessHandle.current().pid()),
                    jar.get().toAbsolutePath().getParent(), applicationJar(unpacked), mainClass, args);
            String why = Exec.replaceProcess(cmd);
            System.err.println("polyphony-ingest: starting without the fast start (" + why + ")");
        } catch (IOException | RuntimeException e) {
            System.err.println("polyphony-ingest: starting without the fast start (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The folder of the jar the user started, in the replacement process; empty in any other. */
    public static Optional<Path> home() {
        String h = System.getProperty(HOME_PROPERTY);
        return h == null || h.isBlank() ? Optional.empty() : Optional.of(Path.of(h));
    }

    static boolean enabled() {
        String p = System.getProperty(SWITCH);
        String e = System.getenv("POLYPHONY_FAST_START");
        return !"false".equalsIgnoreCase(p) && !(p == null && "false".equalsIgnoreCase(e));
    }

    /** The JVM options of a {@code java [options] -jar file [args]} command line (without the program); else empty. */
    static Optional<List<String>> jvmOptions(List<String> arguments) {
        int jar = arguments.indexOf("-jar");
        return jar < 0 ? Optional.empty() : Optional.of(List.copyOf(arguments.subList(0, jar)));
    }

    /** Options under which the replacement would change what the user asked for: their own sharing, a debugger. */
    static boolean suitable(List<String> jvmOptions) {
        return jvmOptions.stream().noneMatch(o -> o.startsWith("-Xshare") || o.contains("SharedArchiveFile")
                || o.contains("ArchiveClassesAtExit") || o.contains("DumpLoadedClassList") || o.startsWith("-agentlib:jdwp")
                || o.startsWith("-Xdebug") || o.startsWith("-Xrunjdwp"));
    }

    /**
     * For commands that run and exit (all but {@code serve}): C1 alone and the serial collector, each unless the user's
     * options choose the compiler or the collector. On few cores C2's compiler threads and a parallel collector compete
     * with start-up for them, while the work that takes the time runs in libtorch and in the parser process.
     */
    static List<String> startUpOptions(String command, List<String> jvmOptions) {
        if (command.equals("serve")) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (jvmOptions.stream().noneMatch(o -> o.matches("-XX:(TieredStopAtLevel=.*|[+-]TieredCompilation)|-Xint|-Xcomp"))) {
            out.add("-XX:TieredStopAtLevel=1");
        }
        if (jvmOptions.stream().noneMatch(o -> o.matches("-XX:[+-]Use\\w+GC"))) {
            out.add("-XX:+UseSerialGC");
        }
        return out;
    }

    /** The command's name (one archive each: the classes they load differ), or {@code none}. */
    static String command(String[] args) {
        String c = args.length == 0 ? "none" : args[0].toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "").replaceAll("^-+", "");
        return c.isEmpty() ? "none" : c;
    }

    /**
     * {@code <command>-<hash of the JVM and its options>}: an archive is only valid for the JVM that wrote it, and for
     * its options; system properties ({@code -D}) play no part in that, so runs that differ only in them share one.
     */
    static String archiveName(String command, List<String> jvmOptions) {
        List<String> jvm = jvmOptions.stream().filter(o -> !o.startsWith("-D") || o.startsWith("-Djava.")).toList();
        return command + "-" + sha256(System.getProperty("java.home") + "\0" + System.getProperty("java.vm.version") + "\0"
                + String.join("\0", jvm)).substring(0, 12);
    }

    static List<String> command(String java, List<String> jvmOptions, List<String> archiveOptions, Path home, Path appJar,
                                String mainClass, String[] args) {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(QUIET);
        cmd.addAll(jvmOptions);
        cmd.addAll(archiveOptions);
        cmd.addAll(List.of("-D" + HOME_PROPERTY + "=" + home, "-cp", appJar.toString(), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * In a process that the fast start replaced: options for a child JVM of {@code kind} started with {@code jvmOptions}
     * on the same unpacked class path, to read that kind's class archive, or to write it at exit while there is none
     * (this process stands in as its writer: no other process starts writing it while this one runs). Else none.
     */
    public static List<String> classArchiveOptions(String kind, List<String> jvmOptions) {
        if (home().isEmpty()) {
            return List.of();
        }
        try {
            Path unpacked = Path.of(System.getProperty("java.class.path")).toAbsolutePath().getParent();
            List<String> archive = ClassArchive.in(unpacked.resolve("cds"), archiveName(kind, jvmOptions))
                    .jvmOptions(ProcessHandle.current().pid());
            if (archive.isEmpty()) {
                return List.of();
            }
            List<String> out = new ArrayList<>(QUIET);
            out.addAll(archive);
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of(); // the child starts as it would have without the fast start
        }
    }

    /** Ends a child that writes its class archive at exit: a termination signal, then up to 30 s for the archive. */
    public static void endWritingArchive(ProcessHandle child) {
        child.destroy();
        try {
            child.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // it is killed after this
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("polyphony-ingest").resolve("launch");
    }

    /**
     * The jar unpacked by Spring Boot's own tool ({@code -Djarmode=tools extract}) into {@code <root>/<path
     * hash>/<size>-<mtime>}: once per jar file and version. A new version replaces the older ones of the same path (a
     * process still running from one keeps the files it has open, as it would keep a replaced jar).
     */
    static Path unpacked(Path jar, Path root) throws IOException, InterruptedException {
        Path abs = jar.toAbsolutePath().normalize();
        Path base = root.resolve(sha256(abs.toString()).substring(0, 16));
        String version = Files.size(abs) + "-" + Files.getLastModifiedTime(abs).toMillis();
        Path dir = base.resolve(version);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(base);
        Path tmp = base.resolve(version + ".tmp-" + ProcessHandle.current().pid());
        deleteTree(tmp);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djarmode=tools", "-jar", abs.toString(), "extract", "--destination", tmp.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            deleteTree(tmp);
            throw new IOException("could not unpack " + abs + " (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")");
        }
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(tmp); // another process unpacked it first
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        removeOthers(base, version);
        return dir;
    }

    /** Older versions of the same jar, and unpacking left behind by processes that are gone. */
    private static void removeOthers(Path base, String version) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(base)) {
            for (Path other : s) {
                String n = other.getFileName().toString();
                int tmp = n.indexOf(".tmp-");
                boolean abandoned = tmp >= 0 && ProcessHandle.of(parsePid(n.substring(tmp + 5))).isEmpty();
                if (!n.equals(version) && (tmp < 0 || abandoned)) {
                    deleteTree(other);
                }
            }
        }
    }

    private static long parsePid(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The application's own jar in the unpacked folder (its manifest lists the libraries). */
    static Path applicationJar(Path unpacked) throws IOException {
        try (Stream<Path> s = Files.list(unpacked)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).findFirst()
                    .orElseThrow(() -> new IOException("no application jar in " + unpacked));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This process's Spring Boot jar, when it runs from one. */
    public static final class BootJar {
        private BootJar() {
        }

        /** The jar on the class path when it is a Spring Boot jar (its classes nested, so a plain -cp cannot load them). */
        public static Optional<Path> path() {
            String cp = System.getProperty("java.class.path", "");
            if (cp.contains(java.io.File.pathSeparator) || !cp.endsWith(".jar")) {
                return Optional.empty();
            }
            Path jar = Path.of(cp).toAbsolutePath();
            try (JarFile j = new JarFile(jar.toFile())) {
                return j.getEntry("BOOT-INF/lib/") != null || j.getEntry("BOOT-INF/classes/") != null
                        ? Optional.of(jar) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
    }
}
