package io.polyphony.ingest.embed;

import io.polyphony.ingest.PolyphonyApplication;
import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.embed.bert.ModuleCache;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

@Configuration(proxyBeanMethods = false)
public class EmbeddingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingConfiguration.class);

    @Bean
    public ModelLoader modelLoader(PolyphonyProperties props) {
        return loader(props);
    }

    /** Commands that embed: their model starts loading while the rest of the application starts. */
    static final Set<String> EMBEDDING_COMMANDS = Set.of("serve", "ingest", "embed", "search", "replay", "rehydrate",
            "bench-ingest");

    /**
     * For {@code main}: when the command will embed, its model starts loading in the background as soon as the
     * configuration is known, before the context creates its beans, so the seconds of a model load overlap the rest of
     * the start-up; the {@link #embedder} bean then waits for it.
     */
    public static ApplicationContextInitializer<ConfigurableApplicationContext> preloadFor(String[] args) {
        return ctx -> {
            if (args.length == 0 || !EMBEDDING_COMMANDS.contains(args[0])) {
                return;
            }
            PolyphonyProperties props = Binder.get(ctx.getEnvironment()).bindOrCreate("polyphony", PolyphonyProperties.class);
            ModelPreload preload = new ModelPreload(() -> load(loader(props), props));
            preload.start();
            ctx.getBeanFactory().registerSingleton("modelPreload", preload);
        };
    }

    private static ModelLoader loader(PolyphonyProperties props) {
        Path home = PolyphonyApplication.home();
        Path models = ModelsDirectory.resolve(props.modelsDir(), home);
        String precision = props.embedding().precision();
        int lanes = Lanes.resolve(props.embedding().lanes());
        PolyphonyApplication.prepareDjl(lanes); // before anything loads DJL's engine
        Path cache = props.embedding().moduleCacheDir();
        return new ModelLoader(models, props.embedding().batchSize(), precision.isBlank() ? null : Precision.parse(precision),
                lanes, cache == null ? ModuleCache.none() : ModuleCache.at(cache));
    }

    private static Embedder load(ModelLoader loader, PolyphonyProperties props) {
        long start = System.nanoTime();
        Embedder e = loader.load(props.embedding().model());
        log.info("model {} loaded in {} ms: {} dims, {} tokens max; {} batch(es) of {} at once, {} libtorch thread(s) each",
                e.info().name(), (System.nanoTime() - start) / 1_000_000, e.info().dimensions(), e.info().maxTokens(),
                loader.lanes(), props.embedding().batchSize(), System.getProperty("ai.djl.pytorch.num_threads"));
        return e;
    }

    /** Lazy: commands that never embed should not pay for loading a model. */
    @Bean(destroyMethod = "close")
    @Lazy
    public Embedder embedder(ModelLoader loader, PolyphonyProperties props, ObjectProvider<ModelPreload> preload) {
        ModelPreload started = preload.getIfAvailable();
        return started != null ? started.get() : load(loader, props);
    }

    /** A model load that may have started in the background; {@link #get} waits for it, or loads now. */
    public static final class ModelPreload {
        private final java.util.function.Supplier<Embedder> load;
        private final java.util.concurrent.CompletableFuture<Embedder> result = new java.util.concurrent.CompletableFuture<>();
        private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

        ModelPreload(java.util.function.Supplier<Embedder> load) {
            this.load = load;
        }

        void start() {
            if (started.compareAndSet(false, true)) {
                Thread t = new Thread(this::run, "model-load");
                t.setDaemon(true);
                t.start();
            }
        }

        private void run() {
            try {
                result.complete(load.get());
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        }

        Embedder get() {
            if (started.compareAndSet(false, true)) {
                run(); // nobody started it: load here
            }
            try {
                return result.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw e;
            }
        }
    }
}
