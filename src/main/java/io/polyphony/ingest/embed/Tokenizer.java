package io.polyphony.ingest.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer with its file's own truncation and padding switched off: the tokenizer.json
 * shipped with all-MiniLM-L6-v2 truncates at 128 and pads to 128, which would hide over-long input and
 * waste compute on padding. We pad per batch ourselves.
 */
public final class Tokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer hf;

    private Tokenizer(HuggingFaceTokenizer hf) {
        this.hf = hf;
    }

    public static Tokenizer load(InputStream tokenizerJson) throws IOException {
        return new Tokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true")));
    }

    /** Token ids per text, [CLS] and [SEP] included, never truncated. */
    public long[][] ids(List<String> texts) {
        Encoding[] enc = hf.batchEncode(texts);
        long[][] ids = new long[enc.length][];
        for (int i = 0; i < enc.length; i++) {
            ids[i] = enc[i].getIds();
        }
        return ids;
    }

    public int count(String text) {
        return hf.encode(text).getIds().length;
    }

    @Override
    public void close() {
        hf.close();
    }
}
