package io.polyphony.ingest;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param modelsDir folder of model folders; unset means the repository's {@code models/}, found from
 *                  the jar's or classes' location whatever the working directory
 */
@ConfigurationProperties("polyphony")
public record PolyphonyProperties(Path modelsDir, @DefaultValue Embedding embedding) {

    /**
     * @param model     name of the folder under models/ to embed with
     * @param batchSize sequences per forward pass (after length bucketing)
     */
    public record Embedding(@DefaultValue("minilm-bge-ensemble") String model, @DefaultValue("32") int batchSize) {
    }
}
