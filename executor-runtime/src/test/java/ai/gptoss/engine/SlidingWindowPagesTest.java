package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A long generation on a model with a small window: the sliding layers' pages stop growing at
 * window/pageSize + 1 while the full-attention layers' pages grow with the sequence, checked with the
 * engine's own accounting after every step.
 */
class SlidingWindowPagesTest {
  @Test
  void slidingPagesStayBoundedWhileFullPagesGrowLinearly() {
    int window = 16, page = 16, newTokens = 2000;
    ModelConfig c = SyntheticModel.config(window);
    int[] prompt = {5, 9, 2};
    List<EngineStats> perStep = new ArrayList<>();
    GenerationResult r;
    ai.gptoss.model.ModelWeights w = SyntheticModel.weights(c, 42);
    try (CpuBackend b = new CpuBackend(w);
        Engine e = Engine.start(b, EngineConfig.defaults().withPageSize(page), perStep::add)) {
      r = e.submit(GenerationRequest.greedy("long", prompt, newTokens, List.of())).result().join();
      assertTrue(e.stats().poolsFree(), "pages held after the request finished: " + e.stats());
    }
    assertEquals(FinishReason.LENGTH, r.finishReason(), r.error());
    assertEquals(newTokens, r.completionTokens());
    // Released pages were really out of view: the same ids as a driver that keeps every page.
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        TinyA.alone(w, prompt, newTokens, ai.gptoss.backend.SamplingParams.greedy(), List.of()), r.outputIds());
    assertEquals(newTokens, perStep.size(), "one prefill step plus one step per further token");
    int maxSliding = 0, maxFull = 0;
    for (int i = 0; i < perStep.size() - 1; i++) { // the last step finished the request and freed everything
      EngineStats s = perStep.get(i);
      long computed = s.computedTokens(); // one sequence, no preemption: its KV length
      assertTrue(s.slidingPagesUsed() <= window / page + 1,
          "step " + i + ": " + s.slidingPagesUsed() + " sliding pages held at length " + computed);
      assertEquals((computed + page - 1) / page, s.fullPagesUsed(), "step " + i + ": full pages at length " + computed);
      maxSliding = Math.max(maxSliding, s.slidingPagesUsed());
      maxFull = Math.max(maxFull, s.fullPagesUsed());
    }
    assertEquals(0, perStep.get(perStep.size() - 1).fullPagesUsed());
    assertEquals(window / page + 1, maxSliding, "the window is exercised");
    assertEquals((prompt.length + newTokens - 1 + page - 1) / page, maxFull);
  }
}
