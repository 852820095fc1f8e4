package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Invalid requests, cancellation, close, backend failures and concurrent submitters. */
class EngineLifecycleTest {
  static final TinyA.Case LEN5 = TinyA.cases().get(1);

  static GenerationRequest good(String id, int maxNew) {
    return GenerationRequest.greedy(id, LEN5.inputIds(), maxNew, List.of());
  }

  @Test
  void invalidRequestsFailWithMessagesAndOthersComplete() {
    EngineConfig cfg = EngineConfig.defaults().withMaxModelLen(64).withPools(8, 64); // 128 tokens of pool
    int[] long97 = TinyA.cases().get(4).inputIds();
    List<GenerationRequest> reqs = new ArrayList<>();
    reqs.add(good("ok-1", 6));
    reqs.add(GenerationRequest.greedy("empty", new int[0], 4, List.of()));
    reqs.add(GenerationRequest.greedy("vocab", new int[] {3, 1024, 5}, 4, List.of()));
    reqs.add(GenerationRequest.greedy("negative", new int[] {-1}, 4, List.of()));
    reqs.add(GenerationRequest.greedy("zero-new", new int[] {3}, 0, List.of()));
    reqs.add(GenerationRequest.greedy("too-long", long97, 4, List.of()));
    reqs.add(GenerationRequest.greedy("edge", Arrays.copyOf(long97, 64), 4, List.of()));
    reqs.add(new GenerationRequest("temp", new int[] {3}, 4, List.of(), SamplingParams.of(-1f, 1f, 0, 0)));
    reqs.add(new GenerationRequest("top-p", new int[] {3}, 4, List.of(), SamplingParams.of(1f, 0f, 0, 0)));
    reqs.add(new GenerationRequest("top-k", new int[] {3}, 4, List.of(), SamplingParams.of(1f, 1f, -2, 0)));
    reqs.add(GenerationRequest.greedy("stop", new int[] {3}, 4, List.of(7, 200002)));
    reqs.add(null);
    reqs.add(good("ok-2", 6));
    String[] expect = {null, "input_ids is empty", "input_ids[1] = 1024 is outside the vocabulary (vocab_size 1024)",
        "input_ids[0] = -1 is outside", "max_new_tokens must be at least 1", "prompt of 97 tokens leaves no room",
        "prompt of 64 tokens leaves no room", "temperature", "top_p", "request top-k: top_k must be >= 0, got -2",
        "request stop: stop_token_ids[1] = 200002 is outside the vocabulary (vocab_size 1024)", "request is null", null};
    try (CpuBackend b = TinyA.backend(); Engine e = Engine.start(b, cfg)) {
      List<RequestHandle> hs = e.submitAll(reqs);
      hs.add(e.submit(null));
      for (int i = 0; i < reqs.size(); i++) {
        GenerationResult r = hs.get(i).result().join();
        if (expect[i] == null) {
          assertEquals(FinishReason.LENGTH, r.finishReason(), r.error());
          assertArrayEquals(TinyA.aloneGreedy(LEN5, 6), r.outputIds());
          assertEquals(null, r.error());
        } else {
          assertEquals(FinishReason.ERROR, r.finishReason(), "request " + i);
          assertTrue(r.error().contains(expect[i]), "request " + i + ": " + r.error());
          assertEquals(0, r.completionTokens());
        }
      }
      assertEquals(FinishReason.ERROR, hs.get(reqs.size()).result().join().finishReason());
      EngineStats s = e.stats();
      assertEquals(reqs.size() + 1, s.requestsDone());
      assertEquals(reqs.size() - 1, s.requestsFailed());
    }
    // A prompt that fits the max model length but not the pool.
    try (CpuBackend b = TinyA.backend(); Engine e = Engine.start(b, EngineConfig.defaults().withPools(2, 64))) {
      GenerationResult r = e.submit(GenerationRequest.greedy("pool", TinyA.cases().get(3).inputIds(), 4, List.of()))
          .result().join();
      assertEquals(FinishReason.ERROR, r.finishReason());
      assertTrue(r.error().contains("does not fit the KV pool (32 tokens)"), r.error());
    }
  }

  @Test
  void stopTokenEndsTheRequestAndIsIncluded() {
    int[] greedy = TinyA.aloneGreedy(LEN5, 20);
    int stop = greedy[2];
    int first = 0;
    while (greedy[first] != stop) first++;
    try (CpuBackend b = TinyA.backend(); Engine e = Engine.start(b, EngineConfig.defaults())) {
      GenerationResult r = e.submit(GenerationRequest.greedy("s", LEN5.inputIds(), 20, List.of(stop))).result().join();
      assertEquals(FinishReason.STOP, r.finishReason());
      assertArrayEquals(Arrays.copyOf(greedy, first + 1), r.outputIds());
      assertEquals(first + 1, r.completionTokens());
      assertEquals(5, r.promptTokens());
      assertTrue(r.totalNanos() >= r.firstTokenNanos() && r.firstTokenNanos() > 0, r.toString());
    }
  }

  @Test
  void configErrorsNameTheField() {
    try (CpuBackend b = TinyA.backend()) {
      IllegalArgumentException tooSmall = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Engine.start(b, EngineConfig.defaults().withPools(100, 2)));
      assertTrue(tooSmall.getMessage().contains("slidingPages 2 is below"), tooSmall.getMessage());
    }
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> EngineConfig.defaults().withMaxSeqsPerStep(-1));
    assertTrue(bad.getMessage().contains("EngineConfig.maxSeqsPerStep must not be negative"), bad.getMessage());
  }

  @Test
  void cancelFreesPagesAndCompletesWithCancelled() {
    CompletableFuture<RequestHandle> target = new CompletableFuture<>();
    List<EngineStats> afterCancel = new ArrayList<>();
    try (CpuBackend b = TinyA.backend();
        Engine e = Engine.start(b, EngineConfig.defaults(), s -> {
          if (s.steps() == 5) target.join().cancel();
          if (s.steps() > 5) afterCancel.add(s);
        })) {
      List<RequestHandle> both = e.submitAll(List.of(good("other", 40),
          GenerationRequest.greedy("victim", TinyA.cases().get(4).inputIds(), 500, List.of()))); // both join at step 1
      RequestHandle other = both.get(0), victim = both.get(1);
      target.complete(victim);
      GenerationResult r = victim.result().join();
      assertEquals(FinishReason.CANCELLED, r.finishReason());
      assertTrue(r.completionTokens() >= 3 && r.completionTokens() < 500, "tokens before the cancel: " + r.completionTokens());
      GenerationResult o = other.result().join();
      assertArrayEquals(TinyA.aloneGreedy(LEN5, 40), o.outputIds());
      assertTrue(e.stats().poolsFree());
      // Steps after the cancel held only the other request's pages: 45 tokens at most = 3 pages.
      for (EngineStats s : afterCancel) assertTrue(s.fullPagesUsed() <= 3, s.toString());
      victim.cancel(); // idempotent after completion
      // Cancelling a request before it runs.
      RequestHandle early = e.submit(good("early", 100_000)); // cannot finish before the cancel below
      early.cancel();
      assertEquals(FinishReason.CANCELLED, early.result().join().finishReason());
      assertEquals(2, e.stats().requestsCancelled());
      assertTrue(e.stats().poolsFree());
    }
  }

  @Test
  void closeCancelsEverythingAndStopsTheLoop() {
    CpuBackend b = TinyA.backend();
    Engine e = Engine.start(b, EngineConfig.defaults().withMaxSeqsPerStep(1));
    List<RequestHandle> hs = new ArrayList<>();
    for (int i = 0; i < 4; i++) hs.add(e.submit(good("r" + i, 2000)));
    e.close();
    for (RequestHandle h : hs) assertEquals(FinishReason.CANCELLED, h.result().join().finishReason());
    assertTrue(e.stats().poolsFree());
    assertFalse(Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("gptoss-engine-cpu") && t.isAlive()), "loop thread still alive");
    GenerationResult late = e.submit(good("late", 3)).result().join();
    assertEquals(FinishReason.ERROR, late.finishReason());
    assertTrue(late.error().contains("closed"), late.error());
    e.close(); // idempotent
    b.close();
  }

  /** Throws on any step that contains the poison token id. */
  static final class PoisonBackend extends ForwardingBackend {
    final int poison;

    PoisonBackend(Backend inner, int poison) {
      super(inner);
      this.poison = poison;
    }

    @Override
    public String name() {
      return "poison";
    }

    @Override
    public StepResult step(StepBatch batch) {
      for (int t : batch.tokens()) if (t == poison) throw new BackendException("simulated device fault");
      return delegate.step(batch);
    }
  }

  @Test
  void backendFailureFailsOnlyThatStepsRequests() {
    int poison = 1000;
    try (PoisonBackend b = new PoisonBackend(TinyA.backend(), poison);
        Engine e = Engine.start(b, EngineConfig.defaults().withMaxSeqsPerStep(1))) {
      List<RequestHandle> hs = e.submitAll(List.of(good("a", 8),
          GenerationRequest.greedy("poisoned", new int[] {4, poison, 6}, 8, List.of()), good("b", 8)));
      GenerationResult a = hs.get(0).result().join(), p = hs.get(1).result().join(), c = hs.get(2).result().join();
      assertEquals(FinishReason.ERROR, p.finishReason());
      assertTrue(p.error().contains("backend poison failed") && p.error().contains("simulated device fault"), p.error());
      assertArrayEquals(TinyA.aloneGreedy(LEN5, 8), a.outputIds());
      assertArrayEquals(TinyA.aloneGreedy(LEN5, 8), c.outputIds());
      assertTrue(e.stats().poolsFree());
      // The engine keeps serving.
      assertArrayEquals(TinyA.aloneGreedy(LEN5, 4), e.submit(good("after", 4)).result().join().outputIds());
    }
  }

  @Test
  void manyThreadsSubmitConcurrently() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try (CpuBackend b = TinyA.backend();
        Engine e = Engine.start(b, EngineConfig.defaults().withMaxTokensPerStep(64).withMaxSeqsPerStep(8))) {
      List<Future<Void>> fs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int thread = t;
        fs.add(pool.submit(() -> {
          for (TinyA.Case c : TinyA.cases()) {
            GenerationResult r = e.submit(GenerationRequest.greedy(thread + "/" + c.name(), c.inputIds(), 10, List.of()))
                .result().join();
            assertArrayEquals(TinyA.aloneGreedy(c, 10), r.outputIds(), r.id());
          }
          return null;
        }));
      }
      for (Future<Void> f : fs) f.get();
      assertEquals(30, e.stats().requestsDone());
      assertTrue(e.stats().poolsFree());
    } finally {
      pool.shutdownNow();
    }
  }
}
