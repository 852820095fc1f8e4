package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import org.junit.jupiter.api.Test;

/**
 * The pure-Java forward pass against transformers float32 on tiny-b, a fixture unlike tiny-a
 * (made on the GPU machine with shared/device/reference_fixture.py, seed 11): 8 query heads over a
 * single KV head of 32, 16 experts top-2, expert width 64 narrower than hidden 128, 3 layers,
 * sliding window 4, vocabulary 512.
 */
class CpuBackendTinyBGoldenTest {
  @Test
  void lastLogitsAndTeacherForcedTop1MatchTransformers() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-b"))) {
      w = ModelWeights.load(ckpt);
    }
    assertEquals(1, w.config.numKeyValueHeads());
    assertEquals(4, w.config.slidingWindow());
    GoldenAssertions.lastLogitsAndTop1("tiny-b", Golden.json("tiny-b.golden.json"), () -> new CpuBackend(w), true);
  }
}
