package io.polyphony.ingest.bench;

import io.polyphony.ingest.embed.Precision;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The peer race ({@code scripts/bench-peer.sh}): one generated corpus ingested, in turn and {@code --repeats} times,
 * by {@link LangChain4jIngest} and by {@code java -jar target/polyphony-ingest.jar ingest} (with its embedded Redis, H2
 * job database and restartable step), each a fresh process, timed from start to exit. Prints each run, the medians
 * and their ratio, with the processor. Both wall times include JVM start, model load, parsing and embedding. The
 * {@code --warm-ups} rounds first (1 by default) are not counted: they fill each side's caches as a user's first run does.
 */
public final class PeerRace {

    private PeerRace() {
    }

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        int files = intArg(a, "--files", 40);
        int repeats = intArg(a, "--repeats", 3);
        int warmUps = intArg(a, "--warm-ups", 1);
        Path jar = Path.of("target/polyphony-ingest.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: mvn -B package -DskipTests first");
        }
        Path work = Files.createTempDirectory("polyphony-peer-race");
        Path corpus = work.resolve("corpus");
        PeerCorpus.generate(corpus, files, 7);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // JVM options for both sides alike, e.g. --jvm-options "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
        List<String> jvm = Arrays.stream(stringArg(a, "--jvm-options", "").split(" ")).filter(x -> !x.isBlank()).toList();
        System.out.printf(Locale.ROOT, "jvm options %s%n", jvm.isEmpty() ? "(defaults)" : String.join(" ", jvm));
        System.out.printf(Locale.ROOT, "processor   %s, %d cores; polyphony precision %s%n", Precision.cpuModel(),
                Runtime.getRuntime().availableProcessors(), Precision.detect().label());
        System.out.printf(Locale.ROOT, "corpus      %d files (md, txt, html, docx, pdf) in %s%n", files, corpus);
        List<Double> peer = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        // uncounted rounds first: each side's caches (our generated modules and class archive, the files in the page
        // cache) as a user's second run finds them
        for (int r = -warmUps; r < repeats; r++) {
            String label = r < 0 ? "warm-up" : "run " + (r + 1);
            long t0 = System.nanoTime();
            List<String> peerCmd = new ArrayList<>(List.of(java));
            peerCmd.addAll(jvm);
            peerCmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LangChain4jIngest.class.getName(),
                    corpus.toString()));
            String peerOut = run(work, "peer" + r, peerCmd);
            double peerSeconds = (System.nanoTime() - t0) / 1e9;
            Path data = work.resolve("data" + r);
            t0 = System.nanoTime();
            List<String> ourCmd = new ArrayList<>(List.of(java));
            ourCmd.addAll(jvm);
            ourCmd.addAll(List.of("-jar", jar.toString(), "ingest", corpus.toString(), "--room", "race", "--json",
                    "--polyphony.data-dir=" + data, "--polyphony.redis.embedded-port=" + RedisTestServer.freePort()));
            String ourOut = run(work, "ours" + r, ourCmd);
            double ourSeconds = (System.nanoTime() - t0) / 1e9;
            if (r >= 0) {
                peer.add(peerSeconds);
                ours.add(ourSeconds);
            }
            JsonNode report = JsonMapper.shared().readTree(ourOut);
            long chunks = 0;
            for (JsonNode f : report.get("files")) {
                chunks += f.get("chunks").asLong();
            }
            System.out.printf(Locale.ROOT, "%-11s LangChain4j + ONNX Runtime %6.1f s (%s segments)   polyphony-ingest %6.1f s"
                    + " (%d chunks, %s)%n", label, peerSeconds, peerOut.trim().split(" ")[1], ourSeconds, chunks,
                    report.get("status").stringValue());
        }
        double p = median(peer);
        double o = median(ours);
        System.out.printf(Locale.ROOT, "median      LangChain4j + ONNX Runtime %.1f s, polyphony-ingest %.1f s: %.2fx%n", p, o, p / o);
    }

    private static String run(Path work, String name, List<String> cmd) throws IOException, InterruptedException {
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        Process proc = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!proc.waitFor(30, TimeUnit.MINUTES) || proc.exitValue() != 0) {
            proc.destroyForcibly();
            throw new IllegalStateException(name + " failed (exit " + (proc.isAlive() ? "none" : proc.exitValue()) + "): "
                    + Files.readString(err).lines().reduce((x, y) -> y).orElse(""));
        }
        return Files.readString(out);
    }

    private static int intArg(List<String> a, String name, int def) {
        return Integer.parseInt(stringArg(a, name, Integer.toString(def)));
    }

    private static String stringArg(List<String> a, String name, String def) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : def;
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
