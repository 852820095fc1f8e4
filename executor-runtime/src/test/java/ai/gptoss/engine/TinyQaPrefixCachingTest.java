package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tiny-qa eval prompts (which share the harmony system prefix) through one engine with prefix
 * caching, twice: the first pass shares the system prefix between rows, the second finds every prompt
 * cached up to its last full page before its final token. Both passes reproduce transformers' greedy
 * ids exactly, and nothing stays referenced or cached once the cache is cleared.
 */
class TinyQaPrefixCachingTest {
  static final int CASES = 8;

  @Test
  void evalPromptsTwiceThroughTheCache() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    List<GenerationRequest> reqs = new ArrayList<>();
    List<int[]> want = new ArrayList<>();
    for (JsonNode c : Golden.json("tiny-qa.eval.json").get("results")) {
      if (reqs.size() == CASES) break;
      int[] greedy = Golden.ints(c.get("greedy_ids"));
      reqs.add(GenerationRequest.greedy(c.get("id").asText(), Golden.ints(c.get("prompt_ids")), greedy.length, List.of(200002)));
      want.add(greedy);
    }
    EngineConfig cfg = EngineConfig.defaults().withMaxTokensPerStep(96).withPrefillChunkSize(40);
    try (CpuBackend b = new CpuBackend(w); Engine e = Engine.start(b, cfg)) {
      long firstPassCached = 0;
      for (int pass = 0; pass < 2; pass++) {
        List<RequestHandle> hs = e.submitAll(reqs);
        for (int i = 0; i < hs.size(); i++) {
          GenerationResult r = hs.get(i).result().join();
          assertArrayEquals(want.get(i), r.outputIds(), "pass " + pass + " case " + r.id());
          int len = reqs.get(i).inputIds().length;
          if (pass == 0) firstPassCached += r.cachedTokens();
          else assertEquals((len - 1) / 16 * 16, r.cachedTokens(), "second pass, case " + r.id() + " of " + len + " tokens");
        }
      }
      assertTrue(firstPassCached > 0, "rows admitted after the first step share the system prefix's first page");
      assertTrue(e.stats().poolsFree(), e.stats().toString());
      e.clearPrefixCache().join();
      assertEquals(e.fullPool().capacity(), e.fullPool().uncachedFreePages());
      assertEquals(e.slidingPool().capacity(), e.slidingPool().uncachedFreePages());
    }
  }
}
