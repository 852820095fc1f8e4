package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The embedded tiny-qa model on the CPU backend answers under every test schema, greedy and sampled,
 * through the engine with continuous batching ({@link StructuredRuns}): every completed answer parses
 * and validates against its schema with networknt's validator, and every schema gets completed answers.
 */
class StructuredEngineTest {
  @Test
  void everyCompletedAnswerValidates() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    try (CpuBackend b = new CpuBackend(w); Engine e = Engine.start(b, EngineConfig.defaults())) {
      Map<String, StructuredRuns.Outcome> out = StructuredRuns.run(e, 160);
      long maskNanos = 0, masks = 0;
      for (Schemas.Case c : Schemas.all()) {
        SchemaMasks.Stats st = SchemaMasks.of(c.format(), b.config().vocabSize()).stats();
        maskNanos += st.computeNanos();
        masks += st.computed();
      }
      System.out.printf("structured: %s; %d masks computed in %.1f ms%n", out, masks, maskNanos / 1e6);
      assertTrue(out.size() >= 10);
      out.forEach((name, o) -> {
        assertEquals(List.of(), o.problems(), name);
        assertTrue(o.completed() >= 1, name + ": no completed answer");
      });
    }
  }
}
