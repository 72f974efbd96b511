package io.polyphony.ingest;

import io.polyphony.ingest.launch.FastStart;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.boot.system.ApplicationHome;

@SpringBootApplication
@ConfigurationPropertiesScan
public class PolyphonyApplication {

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        JvmHeap.limitFreeHeap();
        SpringApplication app = new SpringApplication(PolyphonyApplication.class);
        app.addInitializers(io.polyphony.ingest.embed.EmbeddingConfiguration.preloadFor(args),
                io.polyphony.ingest.job.IngestJobConfiguration.preloadFor(args));
        boolean serve = args.length > 0 && args[0].equals("serve");
        // only `serve` starts the web server; every other command runs and exits
        app.setWebApplicationType(serve ? WebApplicationType.SERVLET : WebApplicationType.NONE);
        if (serve) {
            try {
                app.run(args);
            } catch (Throwable t) {
                System.exit(1);
            }
            return;
        }
        int code;
        try {
            code = SpringApplication.exit(app.run(withoutJobFiles(args)));
        } catch (Throwable t) {
            // Spring has already logged why; exit explicitly so no stray non-daemon thread keeps us alive.
            code = 1;
        }
        System.exit(code);
    }

    /** Commands that never run a job: they must not create the job repository's files in ./data. */
    private static final Set<String> NO_JOBS = Set.of("embed", "bench-embed", "bench-sample", "bench-index", "search", "help", "--help");

    static String[] withoutJobFiles(String[] args) {
        boolean noJobs = args.length == 0 || NO_JOBS.contains(args[0]);
        boolean own = Arrays.stream(args).anyMatch(a -> a.startsWith("--spring.datasource.url"));
        if (!noJobs || own) {
            return args;
        }
        String[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = "--spring.datasource.url=jdbc:h2:mem:polyphony";
        return out;
    }

    /** The folder of the jar the user started (or of the classes): where {@code models/} and {@code jobs/} are looked for. */
    public static Path home() {
        return FastStart.home().orElseGet(() -> new ApplicationHome(PolyphonyApplication.class).getDir().toPath());
    }

    /** {@link #prepareDjl(int)} with one embedding lane per core. */
    public static void prepareDjl() {
        prepareDjl(io.polyphony.ingest.embed.Lanes.resolve(0));
    }

    /**
     * DJL reads these once, when its engine loads: stay offline (nothing may come from a model hub), one inter-op
     * thread, and as many intra-op threads per forward pass as leave each of the {@code lanes} batches running at once
     * its share of the cores; and glibc's thresholds set so that batches reuse each other's freed pages.
     */
    public static void prepareDjl(int lanes) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(io.polyphony.ingest.embed.Lanes.threadsPerLane(lanes)));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        io.polyphony.ingest.embed.NativeMemory.keepPagesWithinCalls();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
