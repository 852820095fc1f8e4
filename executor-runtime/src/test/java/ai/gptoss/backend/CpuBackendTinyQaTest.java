package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedded tiny-qa model on the pure-Java backend reproduces transformers' greedy ids for every
 * case of tiny-qa.eval.json. Every margin there is above 14, so any difference is a bug.
 */
class CpuBackendTinyQaTest {
  @Test
  void everyEvalCaseReproducesGreedyIds() {
    JsonNode eval = Golden.json("tiny-qa.eval.json");
    JsonNode cases = eval.get("results");
    assertEquals(150, cases.size());
    ModelWeights weights;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      weights = ModelWeights.load(ckpt);
    }
    List<Integer> stops = weights.config.eosTokenIds();
    for (JsonNode cs : cases) {
      int[] prompt = Golden.ints(cs.get("prompt_ids"));
      int[] ref = Golden.ints(cs.get("greedy_ids"));
      try (CpuBackend b = new CpuBackend(weights)) {
        List<Integer> out = new SingleSequence(b, prompt.length + ref.length + 1)
            .generate(prompt, ref.length + 8, SamplingParams.greedy(), stops);
        assertArrayEquals(ref, out.stream().mapToInt(Integer::intValue).toArray(), "case " + cs.get("id"));
      }
    }
  }
}
