package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine-driven tiny-qa check of the GPU suite, on the reference backend (first 12 cases). */
class EngineEvalCpuTest {
  @Test
  void engineBatchesReproduceTransformersGreedyIds() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    try (CpuBackend b = new CpuBackend(w)) {
      assertEquals(List.of(), EngineEval.mismatches(b, Golden.json("tiny-qa.eval.json"), 256, 12));
    }
  }
}
