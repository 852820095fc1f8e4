package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReferenceArray;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Over random mixes of valid, invalid, sampled, stopped and cancelled requests arriving at random
 * steps, with small budgets and pools that force preemption: every request gets an answer, finished
 * ones are the ids they would be alone, and the pools end entirely free.
 */
class PoolPropertyTest {
  /**
   * @param promptLen 0 makes the request invalid (empty prompt)
   * @param maxNew 0 makes it invalid
   * @param badToken put an id outside the vocabulary into the prompt
   * @param arriveAt submit after this many steps (0: at the start)
   * @param cancelAt cancel after this many steps (0: right after submitting, -1: never)
   * @param stop a stop token id (-1: none)
   */
  record Spec(int promptLen, int maxNew, boolean badToken, int arriveAt, int cancelAt, boolean sampled, int stop) {}

  @Provide
  Arbitrary<Spec> spec() {
    return Combinators.combine(
            Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(12, Arbitraries.integers().between(1, 40))),
            Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(12, Arbitraries.integers().between(1, 16))),
            Arbitraries.frequencyOf(Tuple.of(7, Arbitraries.just(false)), Tuple.of(1, Arbitraries.just(true))),
            Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 8))),
            Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(-1)), Tuple.of(1, Arbitraries.integers().between(0, 40))),
            Arbitraries.of(false, true),
            Arbitraries.integers().between(-1, 1023))
        .as(Spec::new);
  }

  @Provide
  Arbitrary<List<Spec>> specs() {
    return spec().list().ofMinSize(2).ofMaxSize(10);
  }

  @Property(tries = 30, seed = "20261126")
  void poolsAreEntirelyFreeAfterAnyMix(
      @ForAll("specs") List<Spec> specs,
      @ForAll @IntRange(min = 1, max = 40) int budget,
      @ForAll @IntRange(min = 2, max = 8) int maxSeqs,
      @ForAll @IntRange(min = 11, max = 24) int fullPages,
      @ForAll @IntRange(min = 0, max = 12) int extraSliding,
      @ForAll long seed) {
    int page = 4;
    int slidingMin = SlidingWindowKvManager.maxPagesForChunk(budget, 8, page, fullPages * page);
    EngineConfig cfg = EngineConfig.defaults().withPageSize(page).withMaxTokensPerStep(budget)
        .withMaxSeqsPerStep(maxSeqs).withPools(fullPages, slidingMin + extraSliding);
    Random rnd = new Random(seed);
    List<GenerationRequest> reqs = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      Spec s = specs.get(i);
      int[] prompt = new int[s.promptLen()];
      for (int j = 0; j < prompt.length; j++) prompt[j] = rnd.nextInt(1024);
      if (s.badToken() && prompt.length > 0) prompt[rnd.nextInt(prompt.length)] = 1024 + rnd.nextInt(5);
      List<Integer> stops = s.stop() < 0 ? List.of() : List.of(s.stop());
      reqs.add(s.sampled()
          ? new GenerationRequest("r" + i, prompt, s.maxNew(), stops, SamplingParams.of(1.0f, 0.9f, 20, seed + i))
          : GenerationRequest.greedy("r" + i, prompt, s.maxNew(), stops));
    }
    int n = specs.size();
    AtomicReferenceArray<RequestHandle> handles = new AtomicReferenceArray<>(n);
    int[] arriveAt = specs.stream().mapToInt(Spec::arriveAt).toArray(), cancelAt = specs.stream().mapToInt(Spec::cancelAt).toArray();
    ScriptedArrivals.run(cfg, reqs, arriveAt, cancelAt, handles, new Object(), new ScriptedArrivals.Observer() {}, e -> {
      EngineStats s = e.stats();
      assertTrue(s.poolsFree(), "pages held after every request finished: " + s);
      assertEquals(0, s.running() + s.waiting());
      assertEquals(specs.size(), s.requestsDone());
      assertEquals(fullPages, s.fullPagesFree());
      Statistics.label("preempted").collect(s.preemptions() > 0);
      Statistics.label("cancelled").collect(s.requestsCancelled() > 0);
      Statistics.label("some completed").collect(s.requestsDone() > s.requestsFailed() + s.requestsCancelled());
      // The mixes must exercise what the property is about.
      Statistics.label("preempted").coverage(c -> c.check(true).count(k -> k >= 3));
      Statistics.label("cancelled").coverage(c -> c.check(true).count(k -> k >= 3));
      for (int i = 0; i < n; i++) check(specs.get(i), reqs.get(i), handles.get(i).result().join(), fullPages * page);
      return null;
    });
  }

  private static void check(Spec s, GenerationRequest req, GenerationResult r, int capacity) {
    boolean invalid = s.promptLen() == 0 || s.maxNew() == 0 || s.badToken() || s.promptLen() + 1 > capacity;
    if (invalid) {
      assertEquals(FinishReason.ERROR, r.finishReason(), r.id());
      assertTrue(r.error() != null && !r.error().isBlank());
      return;
    }
    if (r.finishReason() == FinishReason.CANCELLED) {
      assertTrue(s.cancelAt() >= 0, r.id() + " cancelled without a cancel");
      return;
    }
    assertTrue(r.finishReason() == FinishReason.STOP || r.finishReason() == FinishReason.LENGTH, r.id() + ": " + r.error());
    SamplingParams sp = req.sampling();
    int maxNew = Math.min(s.maxNew(), capacity - s.promptLen());
    int[] alone = TinyA.alone(TinyA.weights(), req.inputIds(), maxNew, sp, req.stopTokenIds());
    assertArrayEquals(alone, r.outputIds(), r.id() + " differs from the same request alone");
    int last = r.outputIds()[r.outputIds().length - 1];
    assertEquals(r.finishReason() == FinishReason.STOP, req.stopTokenIds().contains(last),
        r.id() + " " + r.finishReason() + " " + Arrays.toString(r.outputIds()));
  }
}
