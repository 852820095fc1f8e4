package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import java.util.ArrayList;
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
    // All 150 at once through the continuous-batching engine (the CPU backend's results do not depend
    // on the batch: BatchInvarianceTest), which is several times faster than one at a time.
    List<GenerationRequest> requests = new ArrayList<>();
    for (JsonNode cs : cases) {
      int[] ref = Golden.ints(cs.get("greedy_ids"));
      requests.add(GenerationRequest.greedy(cs.get("id").asText(), Golden.ints(cs.get("prompt_ids")), ref.length + 8, stops));
    }
    try (CpuBackend b = new CpuBackend(weights); Engine engine = Engine.start(b, EngineConfig.defaults())) {
      List<RequestHandle> handles = engine.submitAll(requests);
      for (int i = 0; i < cases.size(); i++) {
        GenerationResult r = handles.get(i).result().join();
        assertArrayEquals(Golden.ints(cases.get(i).get("greedy_ids")), r.outputIds(), "case " + cases.get(i).get("id"));
      }
    }
  }
}
