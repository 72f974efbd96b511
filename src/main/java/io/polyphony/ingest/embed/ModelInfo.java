package io.polyphony.ingest.embed;

/**
 * What a stored vector depends on: the model that made it and its dimension. A room's vectors are
 * only comparable with query vectors of the same model.
 */
public record ModelInfo(String name, int dimensions, int maxTokens) {

    public ModelInfo {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (dimensions <= 0) {
            throw new IllegalArgumentException("dimensions must be greater than zero");
        }
        if (maxTokens <= 2) {
            throw new IllegalArgumentException("maxTokens must leave room for text besides [CLS] and [SEP]");
        }
    }

    /**
     * Refuses to mix vectors of different models in one index.
     *
     * @param what     what holds the existing vectors, for the message (e.g. "room 42")
     * @param model    the model name recorded there
     * @param dims     the dimension recorded there
     */
    public void requireCompatible(String what, String model, int dims) {
        if (!name.equals(model) || dimensions != dims) {
            throw new IncompatibleModelException(what + " holds " + dims + "-dim vectors of model '" + model
                    + "', but the configured model is '" + name + "' (" + dimensions + " dims); "
                    + "re-ingest " + what + " with one model or configure '" + model + "'");
        }
    }

    public static final class IncompatibleModelException extends IllegalStateException {
        public IncompatibleModelException(String message) {
            super(message);
        }
    }
}
