package io.polyphony.ingest.embed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a real TorchScript archive, as {@code torch.jit.save} lays it out, for a bag-of-words text
 * encoder: {@code forward(input_ids, attention_mask) = embedding(weight, input_ids)}, i.e. a
 * last_hidden_state of shape [batch, tokens, dims]. No Python is available here, so tests build the
 * model file a DJL converter folder would hold; libtorch compiles the code and unpickles the weight.
 */
final class TorchScriptArchive {

    private TorchScriptArchive() {
    }

    static final String CODE = """
            class BagOfWords(Module):
              __parameters__ = []
              __buffers__ = ["weight", ]
              training : bool
              weight : Tensor
              def forward(self: __torch__.BagOfWords,
                input_ids: Tensor,
                attention_mask: Tensor) -> Tensor:
                weight = self.weight
                return torch.embedding(weight, input_ids)
            """;

    static void write(Path file, float[][] weight) throws IOException {
        int rows = weight.length;
        int cols = weight[0].length;
        ByteBuffer data = ByteBuffer.allocate(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : weight) {
            for (float f : row) {
                data.putFloat(f);
            }
        }
        TorchScriptWriter.write(file, "BagOfWords", CODE, List.of(new TorchScriptWriter.Buffer("weight",
                TorchScriptWriter.Storage.FLOAT, new long[] {rows, cols}, data.flip())));
    }
}
