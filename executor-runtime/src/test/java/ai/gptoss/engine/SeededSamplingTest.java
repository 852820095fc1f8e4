package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A seeded request samples the same tokens whatever shares its batch and whenever it runs. */
class SeededSamplingTest {
  static final int NEW = 20;

  /** Three sampled requests per golden prompt, with different sampling settings and seeds. */
  static List<GenerationRequest> sampled() {
    List<GenerationRequest> out = new ArrayList<>();
    for (TinyA.Case c : TinyA.cases()) {
      out.add(new GenerationRequest(c.name() + "/t1", c.inputIds(), NEW, List.of(), SamplingParams.of(1.0f, 1f, 0, 7)));
      out.add(new GenerationRequest(c.name() + "/p", c.inputIds(), NEW, List.of(), SamplingParams.of(0.8f, 0.9f, 0, 11)));
      out.add(new GenerationRequest(c.name() + "/k", c.inputIds(), NEW, List.of(), SamplingParams.of(1.2f, 0.95f, 40, 12345)));
    }
    return out;
  }

  /**
   * Runs {@code fillers} from the start and {@code reqs} from the start too ({@code arriveAfterStep}
   * 0) or after that many steps; returns the output ids of {@code reqs}.
   */
  static int[][] run(EngineConfig cfg, List<GenerationRequest> reqs, List<GenerationRequest> fillers, int arriveAfterStep) {
    java.util.concurrent.CompletableFuture<List<RequestHandle>> late = new java.util.concurrent.CompletableFuture<>();
    Engine[] engine = new Engine[1];
    int[] steps = {0};
    try (CpuBackend b = TinyA.backend();
        Engine e = engine[0] = Engine.start(b, cfg, stats -> {
          if (++steps[0] == arriveAfterStep) late.complete(engine[0].submitAll(reqs));
        })) {
      List<GenerationRequest> first = new ArrayList<>(fillers);
      if (arriveAfterStep == 0) first.addAll(reqs);
      List<RequestHandle> hs = e.submitAll(first);
      List<RequestHandle> mine = arriveAfterStep == 0 ? hs.subList(fillers.size(), hs.size()) : late.join();
      int[][] out = new int[reqs.size()][];
      for (int i = 0; i < reqs.size(); i++) {
        GenerationResult r = mine.get(i).result().join();
        assertEquals(FinishReason.LENGTH, r.finishReason(), r.id() + ": " + r.error());
        out[i] = r.outputIds();
      }
      for (RequestHandle h : hs) h.result().join();
      assertTrue(e.stats().poolsFree());
      return out;
    }
  }

  @Test
  void sameTokensAloneTogetherAndInOtherCompany() {
    List<GenerationRequest> reqs = sampled();
    int[][] alone = new int[reqs.size()][];
    for (int i = 0; i < reqs.size(); i++) {
      GenerationRequest r = reqs.get(i);
      alone[i] = TinyA.alone(TinyA.weights(), r.inputIds(), NEW,
          r.sampling(), List.of());
    }
    // Greedy fillers of other lengths change the batch composition around the sampled requests.
    List<GenerationRequest> fillers = new ArrayList<>();
    for (TinyA.Case c : TinyA.cases()) fillers.add(GenerationRequest.greedy("filler-" + c.name(), c.inputIds(), 5, List.of()));
    List<GenerationRequest> reversed = new ArrayList<>(reqs);
    java.util.Collections.reverse(reversed);
    int[][] together = run(EngineConfig.defaults(), reqs, List.of(), 0);
    int[][] small = run(EngineConfig.defaults().withMaxTokensPerStep(16).withMaxSeqsPerStep(4), reqs, fillers, 0);
    int[][] rev = run(EngineConfig.defaults().withMaxTokensPerStep(8).withMaxSeqsPerStep(3), reversed, fillers, 0);
    int[][] late = run(EngineConfig.defaults().withMaxTokensPerStep(24), reqs, fillers, 3);
    for (int i = 0; i < reqs.size(); i++) {
      String id = reqs.get(i).id();
      assertArrayEquals(alone[i], together[i], id + ": all at once vs alone");
      assertArrayEquals(alone[i], small[i], id + ": small budget with fillers vs alone");
      assertArrayEquals(alone[i], rev[reqs.size() - 1 - i], id + ": reversed order vs alone");
      assertArrayEquals(alone[i], late[i], id + ": arriving after 3 steps of fillers vs alone");
    }
    // The draws really sample: not every sampled sequence is the greedy one, and seeds matter.
    int differFromGreedy = 0;
    for (int i = 0; i < reqs.size(); i++) {
      TinyA.Case c = TinyA.cases().get(i / 3);
      if (!Arrays.equals(TinyA.aloneGreedy(c, NEW), alone[i])) differFromGreedy++;
    }
    assertTrue(differFromGreedy >= reqs.size() / 2, "only " + differFromGreedy + " sampled sequences differ from greedy");
    GenerationRequest r0 = reqs.get(0);
    int[] otherSeed = TinyA.alone(TinyA.weights(), r0.inputIds(), NEW, new SamplingParams(1.0f, 1f, 0, 8, 0), List.of());
    assertFalse(Arrays.equals(alone[0], otherSeed), "seed 7 and seed 8 sampled the same " + NEW + " tokens");
  }
}
