package io.polyphony.ingest.embed;

import io.polyphony.ingest.PolyphonyApplication;
import io.polyphony.ingest.PolyphonyProperties;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.system.ApplicationHome;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

@Configuration(proxyBeanMethods = false)
public class EmbeddingConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingConfiguration.class);

    @Bean
    public ModelLoader modelLoader(PolyphonyProperties props) {
        Path home = new ApplicationHome(PolyphonyApplication.class).getDir().toPath();
        Path models = ModelsDirectory.resolve(props.modelsDir(), home);
        return new ModelLoader(models, props.embedding().batchSize());
    }

    /** Lazy: commands that never embed should not pay for loading a model. */
    @Bean(destroyMethod = "close")
    @Lazy
    public Embedder embedder(ModelLoader loader, PolyphonyProperties props) {
        PolyphonyApplication.prepareDjl();
        long start = System.nanoTime();
        Embedder e = loader.load(props.embedding().model());
        log.info("model {} loaded in {} ms: {} dims, {} tokens max", e.info().name(),
                (System.nanoTime() - start) / 1_000_000, e.info().dimensions(), e.info().maxTokens());
        return e;
    }
}
