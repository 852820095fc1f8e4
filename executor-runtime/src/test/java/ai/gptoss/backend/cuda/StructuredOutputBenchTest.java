package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The structured-output bench's loop on the CPU backend (proves the bench; its figures are for the GPU). */
class StructuredOutputBenchTest {
  @Test
  void benchRunsConstrainedAndUnconstrainedPasses() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    try (CpuBackend b = new CpuBackend(w)) {
      List<StructuredOutputBench.Pass> passes = StructuredOutputBench.run(b, 3, 6, 2);
      assertEquals(2, passes.size());
      assertTrue(!passes.get(0).masked() && passes.get(1).masked());
      for (StructuredOutputBench.Pass p : passes) assertEquals(18, p.tokens());
      StructuredOutputBench.report("tiny-qa on cpu", 3, passes);
    }
  }
}
