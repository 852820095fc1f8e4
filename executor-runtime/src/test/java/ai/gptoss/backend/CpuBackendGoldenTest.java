package ai.gptoss.backend;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pure-Java forward pass against transformers float32 on tiny-a (shared/golden/tiny-a.golden.json). */
class CpuBackendGoldenTest {
  static ModelWeights weights;
  static JsonNode golden;

  @BeforeAll
  static void load() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      weights = ModelWeights.load(ckpt);
    }
    golden = Golden.json("tiny-a.golden.json");
  }

  @Test
  void lastLogitsAndTeacherForcedTop1MatchTransformers() {
    GoldenAssertions.lastLogitsAndTop1("tiny-a", golden, () -> new CpuBackend(weights), false);
  }

  @Test
  void perLayerHiddenStatesOfLen17MatchTransformers() {
    GoldenAssertions.hiddenStatesOfLen17("tiny-a", golden, weights.config, weights.norm, probe -> {
      CpuBackend b = new CpuBackend(weights);
      b.setResidualProbe(probe);
      return b;
    });
  }

  @Test
  void greedyIdsMatchUpToFirstSmallMargin() {
    GoldenAssertions.greedyIdsUpToFirstSmallMargin("tiny-a", golden, () -> new CpuBackend(weights));
  }
}
