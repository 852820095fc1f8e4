package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pools too small for every request at once: the scheduler preempts the newest sequences and
 * recomputes them later, and every request still gets the ids it gets alone.
 */
class PreemptionTest {
  static final int NEW = 24;

  record Outcome(List<GenerationResult> results, EngineStats stats) {}

  static Outcome run(EngineConfig cfg, List<GenerationRequest> reqs) {
    try (CpuBackend b = TinyA.backend(); Engine e = Engine.start(b, cfg)) {
      List<GenerationResult> out = new ArrayList<>();
      for (RequestHandle h : e.submitAll(reqs)) out.add(h.result().join());
      EngineStats s = e.stats();
      assertTrue(s.poolsFree(), "pages held after all requests finished: " + s);
      return new Outcome(out, s);
    }
  }

  static List<GenerationRequest> greedyCases() {
    List<GenerationRequest> reqs = new ArrayList<>();
    for (TinyA.Case c : TinyA.cases()) reqs.add(GenerationRequest.greedy(c.name(), c.inputIds(), NEW, List.of()));
    return reqs;
  }

  @Test
  void fullPoolTooSmallStillCompletesEveryCaseAsAlone() {
    // 32 pages of 4 tokens = 128 tokens: the longest case (97 + 24) fits alone, the five together
    // (159 prompt tokens + 120 generated) do not.
    EngineConfig cfg = EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(64).withPools(32, 64);
    Outcome o = run(cfg, greedyCases());
    assertTrue(o.stats().preemptions() > 0, "the pool was meant to run out: " + o.stats());
    for (int i = 0; i < o.results().size(); i++) {
      GenerationResult r = o.results().get(i);
      assertEquals(FinishReason.LENGTH, r.finishReason(), r.id() + ": " + r.error());
      assertArrayEquals(TinyA.aloneGreedy(TinyA.cases().get(i), NEW), r.outputIds(), r.id());
    }
  }

  @Test
  void slidingPoolTooSmallPreemptsToo() {
    // Window 8, page 4: a decoding sequence holds 3 sliding pages, a chunk of 8 needs up to 5.
    // 7 pages cannot hold five decoding sequences.
    EngineConfig cfg = EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(8).withPools(1000, 7);
    Outcome o = run(cfg, greedyCases());
    assertTrue(o.stats().preemptions() > 0, "the sliding pool was meant to run out: " + o.stats());
    for (int i = 0; i < o.results().size(); i++) {
      assertArrayEquals(TinyA.aloneGreedy(TinyA.cases().get(i), NEW), o.results().get(i).outputIds(),
          o.results().get(i).id());
    }
  }

  @Test
  void seededSamplingSurvivesPreemption() {
    List<GenerationRequest> reqs = new ArrayList<>();
    for (TinyA.Case c : TinyA.cases()) {
      reqs.add(new GenerationRequest(c.name(), c.inputIds(), NEW, List.of(), SamplingParams.of(0.9f, 0.95f, 0, c.name().hashCode())));
    }
    Outcome o = run(EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(64).withPools(32, 64), reqs);
    assertTrue(o.stats().preemptions() > 0);
    for (int i = 0; i < reqs.size(); i++) {
      GenerationRequest r = reqs.get(i);
      int[] alone = TinyA.alone(TinyA.weights(), r.inputIds(), NEW,
          r.sampling(), List.of());
      assertArrayEquals(alone, o.results().get(i).outputIds(), r.id());
    }
  }

  @Test
  void requestLongerThanThePoolStopsAtItsCapacity() {
    // 8 pages of 4 = 32 tokens: a 17-token prompt may grow to 32 tokens, then ends with LENGTH.
    EngineConfig cfg = EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(16).withPools(8, 16);
    TinyA.Case c = TinyA.cases().get(2);
    Outcome o = run(cfg, List.of(GenerationRequest.greedy(c.name(), c.inputIds(), 100, List.of())));
    GenerationResult r = o.results().get(0);
    assertEquals(FinishReason.LENGTH, r.finishReason());
    assertEquals(32 - c.inputIds().length, r.completionTokens());
  }
}
