package io.polyphony.ingest.embed;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer with its file's own truncation and padding switched off: the tokenizer.json
 * shipped with all-MiniLM-L6-v2 truncates at 128 and pads to 128, which would hide over-long input and
 * waste compute on padding. We pad per batch ourselves.
 *
 * <p>Only token ids are read back from the native encodings: DJL's {@code Encoding} also copies each token's string,
 * type, word, mask and character span into Java, which cost more than the tokenising itself (about a third of a
 * second per 1,000 chunks and tokenizer, on the ingesting thread).
 */
public final class Tokenizer implements AutoCloseable {

    private static final TokenizersLibrary LIB = TokenizersLibrary.LIB;

    private final HuggingFaceTokenizer hf;

    private Tokenizer(HuggingFaceTokenizer hf) {
        this.hf = hf;
    }

    public static Tokenizer load(InputStream tokenizerJson) throws IOException {
        return new Tokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true")));
    }

    /** Token ids per text, [CLS] and [SEP] included, never truncated; the texts are tokenised in parallel. */
    public long[][] ids(List<String> texts) {
        long[] encodings = LIB.batchEncode(hf.getHandle(), texts.toArray(String[]::new), true);
        long[][] ids = new long[encodings.length][];
        try {
            for (int i = 0; i < encodings.length; i++) {
                ids[i] = LIB.getTokenIds(encodings[i]);
            }
        } finally {
            for (long e : encodings) {
                LIB.deleteEncoding(e);
            }
        }
        return ids;
    }

    public int count(String text) {
        long encoding = LIB.encode(hf.getHandle(), text, true);
        try {
            return LIB.getTokenIds(encoding).length;
        } finally {
            LIB.deleteEncoding(encoding);
        }
    }

    @Override
    public void close() {
        hf.close();
    }
}
