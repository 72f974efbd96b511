package io.polyphony.ingest;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class PolyphonyApplication {

    public static void main(String[] args) {
        prepareDjl();
        SpringApplication app = new SpringApplication(PolyphonyApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        int code;
        try {
            code = SpringApplication.exit(app.run(args));
        } catch (Throwable t) {
            // Spring has already logged why; exit explicitly so no stray non-daemon thread keeps us alive.
            code = 1;
        }
        System.exit(code);
    }

    /**
     * DJL reads these once, when its first class loads: stay offline (nothing may come from a model hub)
     * and use every core for intra-op parallelism but one inter-op thread, since we run one batch at a time.
     */
    public static void prepareDjl() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
