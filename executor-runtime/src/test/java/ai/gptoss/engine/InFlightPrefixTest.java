package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * In-flight prefix sharing on tiny-a (sliding window 8, pages of 4): requests that share a multi-page
 * prefix and are submitted together, several admitted per step, compute the shared pages once (the
 * first computes them, the others wait for each page and are served it from the cache), with the ids of
 * caching off; when the computing request is cancelled or preempted, the waiting ones proceed and
 * finish with the same ids.
 */
class InFlightPrefixTest {
  static final int PAGE = 4;
  static final int SHARED = 26; // tokens every prompt shares: 6 full pages, and 2 tokens into the 7th
  static final int NEW = 6;
  static final int N = 4;

  /** N prompts: the base's first SHARED tokens, then 5 tokens of their own (they differ at SHARED). */
  static List<GenerationRequest> requests() {
    List<GenerationRequest> reqs = new ArrayList<>();
    int[] base = PrefixCachingTest.base();
    for (int i = 0; i < N; i++) {
      int[] p = java.util.Arrays.copyOf(base, SHARED + 5);
      for (int t = 0; t < 5; t++) p[SHARED + t] = 100 + 10 * i + t;
      reqs.add(GenerationRequest.greedy("r" + i, p, NEW, List.of()));
    }
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < i; j++) {
        int[] a = reqs.get(i).inputIds(), b = reqs.get(j).inputIds();
        int l = 0;
        while (a[l] == b[l]) l++;
        assertEquals(SHARED, l, "r" + i + " and r" + j + " share exactly SHARED tokens");
      }
    }
    return reqs;
  }

  record Run(List<GenerationResult> results, EngineStats stats) {}

  /** Submits {@code reqs} at once; {@code afterStep} sees the step count and the handles. */
  static Run run(EngineConfig cfg, List<GenerationRequest> reqs, BiConsumer<Long, List<RequestHandle>> afterStep) {
    List<RequestHandle> hs = new ArrayList<>();
    try (CpuBackend b = TinyA.backend();
        Engine e = Engine.start(b, cfg, st -> {
          synchronized (hs) {
            afterStep.accept(st.steps(), hs);
          }
        })) {
      synchronized (hs) {
        hs.addAll(e.submitAll(reqs));
      }
      List<GenerationResult> out = new ArrayList<>();
      for (RequestHandle h : hs) out.add(h.result().join());
      EngineStats s = e.stats();
      assertTrue(s.poolsFree(), "pages still referenced: " + s);
      return new Run(out, s);
    }
  }

  static void assertSameIds(Run off, Run on) {
    for (int i = 0; i < off.results().size(); i++) {
      GenerationResult a = off.results().get(i), b = on.results().get(i);
      if (a.finishReason() == FinishReason.CANCELLED || b.finishReason() == FinishReason.CANCELLED) continue;
      assertEquals(FinishReason.LENGTH, b.finishReason(), b.id() + ": " + b.error());
      assertArrayEquals(a.outputIds(), b.outputIds(), a.id() + ": ids differ with prefix caching on");
    }
  }

  static long promptTokens(List<GenerationRequest> reqs) {
    long n = 0;
    for (GenerationRequest r : reqs) n += r.inputIds().length;
    return n;
  }

  /** Whole prefill in one step (every request admitted in step 1), and chunked prefill (8 tokens a step). */
  @Test
  void sharedPagesAreComputedOnceWhenAdmittedTogether() {
    int hit = SHARED / PAGE * PAGE; // 24
    for (EngineConfig cfg : List.of(
        EngineConfig.defaults().withPageSize(PAGE).withMaxTokensPerStep(256).withMaxSeqsPerStep(8),
        EngineConfig.defaults().withPageSize(PAGE).withMaxTokensPerStep(64).withMaxSeqsPerStep(8).withPrefillChunkSize(8))) {
      List<GenerationRequest> reqs = requests();
      Run off = run(cfg.withPrefixCaching(false), reqs, (k, hs) -> {});
      Run on = run(cfg, reqs, (k, hs) -> {});
      assertSameIds(off, on);
      // r0 computes the shared pages; each other request is served them: exactly N - 1 hits of 24 tokens.
      assertEquals(0, on.results().get(0).cachedTokens(), cfg.toString());
      for (int i = 1; i < N; i++) assertEquals(hit, on.results().get(i).cachedTokens(), cfg + " r" + i);
      assertEquals((long) (N - 1) * hit, on.stats().cachedTokens(), cfg.toString());
      // Tokens run through the model: the prompts less the hits, and NEW - 1 fed generated tokens per request.
      long fed = (long) N * (NEW - 1);
      assertEquals(promptTokens(reqs) + fed, off.stats().computedTokens(), "caching off computes every prompt token");
      assertEquals(promptTokens(reqs) - (long) (N - 1) * hit + fed, on.stats().computedTokens(), cfg.toString());
    }
  }

  /**
   * The computing request is cancelled after its first chunk (8 tokens: 2 pages registered): the next
   * one, waiting for page 2, proceeds, is served r0's 2 pages and computes the rest of the shared
   * prefix itself; the last two wait for it and are served 24 tokens.
   */
  @Test
  void cancellingTheComputingRequestLetsTheWaitingOnesProceed() {
    EngineConfig cfg = EngineConfig.defaults().withPageSize(PAGE).withMaxTokensPerStep(64).withMaxSeqsPerStep(8)
        .withPrefillChunkSize(8);
    List<GenerationRequest> reqs = requests();
    Run off = run(cfg.withPrefixCaching(false), reqs, (k, hs) -> {});
    Run on = run(cfg, reqs, (k, hs) -> {
      if (k == 1) hs.get(0).cancel();
    });
    assertEquals(FinishReason.CANCELLED, on.results().get(0).finishReason());
    assertSameIds(off, on);
    assertEquals(8, on.results().get(1).cachedTokens());
    assertEquals(24, on.results().get(2).cachedTokens());
    assertEquals(24, on.results().get(3).cachedTokens());
    long fed = (long) (N - 1) * (NEW - 1);
    assertEquals(8 + promptTokens(reqs.subList(1, N)) - 8 - 2 * 24 + fed, on.stats().computedTokens());
  }

  /**
   * A full-attention pool of 10 pages of 4: an older request (6 + 30 tokens) and the request computing the
   * shared prefix (31 tokens) do not fit together, so the computing one is preempted while the others wait
   * for its pages; it is readmitted through the cache once there is room, the others wait for it again,
   * and every request ends with the ids of caching off.
   */
  @Test
  void preemptingTheComputingRequestKeepsIds() {
    EngineConfig cfg = EngineConfig.defaults().withPageSize(PAGE).withMaxTokensPerStep(16).withMaxSeqsPerStep(8)
        .withPrefillChunkSize(8).withPools(10, 64);
    List<GenerationRequest> reqs = new ArrayList<>();
    reqs.add(GenerationRequest.greedy("long", PrefixCachingTest.prompt(0, 6, 1), 30, List.of()));
    reqs.addAll(requests());
    Run off = run(cfg.withPrefixCaching(false), reqs, (k, hs) -> {});
    // After some step: a shared-prefix request waits for pages while another one has been preempted.
    boolean[] seen = new boolean[1];
    Run on = run(cfg, reqs, (k, hs) -> {
      boolean waits = false, preempted = false;
      for (RequestHandle h : hs.subList(1, hs.size())) {
        Sequence q = (Sequence) h;
        waits |= q.status == Sequence.Status.WAITING && q.deferredOn != null;
        preempted |= q.preemptions > 0 && q.status != Sequence.Status.FINISHED;
      }
      seen[0] |= waits && preempted;
    });
    assertTrue(on.stats().preemptions() > 0, "the pool was meant to force preemption: " + on.stats());
    assertTrue(seen[0], "no request waited for the prefix of a request that had been preempted");
    assertSameIds(off, on);
    for (GenerationResult r : on.results()) assertEquals(FinishReason.LENGTH, r.finishReason(), r.id());
    // r0 (first admission uncached) computed the shared pages; the others were each served 24 tokens.
    assertEquals(0, on.results().get(1).cachedTokens());
    for (int i = 2; i <= N; i++) assertEquals(24, on.results().get(i).cachedTokens(), on.results().get(i).id());
  }
}
