package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The two ways weights reach the GPU arena write the same bytes: the checkpoint streamed as it is on
 * disk (what {@code --device cuda} uses) and the host {@link ModelWeights} converted to bf16 (what the
 * GPU conformance suite validated on the H100).
 */
class DeviceModelImageTest {
  @Test
  void streamedCheckpointEqualsConvertedWeights() {
    for (Path dir : new Path[] {Golden.dir("tiny-a"), Golden.dir("tiny-b"), EmbeddedModel.path()}) {
      try (Checkpoint ckpt = Checkpoint.open(dir)) {
        byte[] streamed = DeviceModel.hostImage(ckpt);
        byte[] converted = DeviceModel.hostImage(ModelWeights.load(ckpt));
        assertEquals(DeviceModel.bytes(ckpt.config()), streamed.length);
        int nonZero = 0;
        for (byte b : streamed) if (b != 0) nonZero++;
        assertTrue(nonZero > streamed.length / 100, dir + ": image empty"); // tiny-qa: most embedding rows are zero
        assertArrayEquals(converted, streamed, dir.toString());
      }
    }
  }
}
