package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Automatic prefix caching on tiny-a (sliding window 8): prompts that share prefixes of every shape
 * (ending mid-page, on a page boundary, far longer than the window) give exactly the ids they give
 * with caching off, also when the pools force preemption and when requests are cancelled; a request
 * that follows a finished one reports the cached tokens the rule predicts; and no page stays referenced
 * or cached after everything ends and the cache is cleared.
 */
class PrefixCachingTest {
  static final int NEW = 12;

  /** The longest tiny-a case's prompt, the shared base of the test prompts. */
  static int[] base() {
    int[] best = new int[0];
    for (TinyA.Case c : TinyA.cases()) if (c.inputIds().length > best.length) best = c.inputIds();
    return best;
  }

  /** {@code base[0, shared)} followed by {@code tail} tokens of another case (distinct from base at {@code shared}). */
  static int[] prompt(int shared, int tail, int salt) {
    int[] b = base();
    int[] other = TinyA.cases().get(salt % 4).inputIds();
    int[] p = Arrays.copyOf(b, shared + tail);
    for (int i = 0; i < tail; i++) p[shared + i] = other[i % other.length];
    if (tail > 0 && shared < b.length && p[shared] == b[shared]) p[shared] = (b[shared] + 1) % 1000;
    return p;
  }

  /** Prompts sharing base prefixes of several shapes, for page size 16 and 4. */
  static List<GenerationRequest> mixed() {
    int[][] shapes = {{37, 9}, {48, 7}, {64, 20}, {96, 1}, {16, 3}, {5, 30}, {90, 0}, {97, 0}, {33, 16}, {80, 11}};
    List<GenerationRequest> reqs = new ArrayList<>();
    for (int i = 0; i < shapes.length; i++) {
      reqs.add(GenerationRequest.greedy("r" + i, prompt(shapes[i][0], shapes[i][1], i), NEW, List.of()));
    }
    return reqs;
  }

  record Run(List<GenerationResult> results, EngineStats stats) {}

  /**
   * Runs {@code warm} to completion, then {@code reqs} at once, cancelling those named in {@code cancel}
   * after the first step; checks that no page is left referenced, then clears the cache and checks that
   * every page is back on the free stacks.
   */
  static Run run(EngineConfig cfg, List<GenerationRequest> warm, List<GenerationRequest> reqs, List<String> cancel) {
    List<GenerationResult> out = new ArrayList<>();
    List<RequestHandle> hs = new ArrayList<>();
    Engine[] engine = new Engine[1];
    try (CpuBackend b = TinyA.backend();
        Engine e = engine[0] = Engine.start(b, cfg, st -> {
          if (st.steps() == 2 + warmSteps(warm)) {
            synchronized (hs) {
              for (RequestHandle h : hs) {
                if (cancel.contains(((Sequence) h).id())) h.cancel();
              }
            }
          }
        })) {
      for (RequestHandle h : e.submitAll(warm)) out.add(h.result().join());
      synchronized (hs) {
        hs.addAll(e.submitAll(reqs));
      }
      for (RequestHandle h : hs) out.add(h.result().join());
      EngineStats s = e.stats();
      assertTrue(s.poolsFree(), "pages still referenced after every request finished: " + s);
      e.clearPrefixCache().join();
      assertEquals(e.fullPool().capacity(), e.fullPool().uncachedFreePages(), "full pages left after clearing");
      assertEquals(e.slidingPool().capacity(), e.slidingPool().uncachedFreePages(), "sliding pages left after clearing");
      assertEquals(0, e.fullPool().cachedPages());
      assertEquals(0, e.slidingPool().cachedPages());
      return new Run(out, s);
    }
  }

  private static int warmSteps(List<GenerationRequest> warm) {
    return warm.isEmpty() ? 0 : NEW; // a warm request runs its NEW steps alone (prefill fits one step)
  }

  static void assertSameIds(Run off, Run on, String label) {
    assertEquals(off.results().size(), on.results().size());
    for (int i = 0; i < off.results().size(); i++) {
      GenerationResult a = off.results().get(i), b = on.results().get(i);
      assertEquals(a.id(), b.id());
      assertEquals(a.finishReason(), b.finishReason(), label + " " + a.id());
      if (a.finishReason() == FinishReason.CANCELLED) continue; // cut at a step that may differ
      assertArrayEquals(a.outputIds(), b.outputIds(), label + " " + a.id() + ": ids differ with prefix caching on");
      assertEquals(0, a.cachedTokens(), "caching off reports no cached tokens");
    }
  }

  private static final List<EngineConfig> CONFIGS = List.of(
      EngineConfig.defaults(),
      EngineConfig.defaults().withMaxTokensPerStep(32).withMaxSeqsPerStep(3),
      EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(7).withPrefillChunkSize(5));

  @Test
  void sameIdsWithCachingOnAndOff() {
    List<GenerationRequest> warm = List.of(GenerationRequest.greedy("warm", base(), NEW, List.of()));
    for (EngineConfig cfg : CONFIGS) {
      for (List<GenerationRequest> w : List.of(List.<GenerationRequest>of(), warm)) {
        Run off = run(cfg.withPrefixCaching(false), w, mixed(), List.of());
        Run on = run(cfg, w, mixed(), List.of());
        assertSameIds(off, on, cfg + " warm=" + !w.isEmpty());
        assertTrue(off.stats().computedTokens() >= on.stats().computedTokens());
        if (!w.isEmpty()) {
          assertTrue(on.stats().computedTokens() < off.stats().computedTokens(), "the cache saved nothing: " + cfg);
        }
      }
    }
  }

  @Test
  void cachedTokensFollowTheRule() {
    // After a finished warm request, each prompt is served its longest page-aligned prefix shared with
    // the warm sequence's computed tokens, stopping before its own last token.
    GenerationRequest warmReq = GenerationRequest.greedy("warm", base(), NEW, List.of());
    for (EngineConfig cfg : CONFIGS) {
      // One at a time, so that only the warm request's pages can serve a hit.
      List<GenerationRequest> reqs = mixed();
      for (GenerationRequest r : reqs) {
        Run on = run(cfg, List.of(warmReq), List.of(r), List.of());
        GenerationResult w = on.results().get(0), got = on.results().get(1);
        int[] warmAll = concat(base(), w.outputIds());
        int computed = warmAll.length - 1; // the last sampled id was never fed
        int lcp = 0;
        while (lcp < r.inputIds().length && lcp < computed && r.inputIds()[lcp] == warmAll[lcp]) lcp++;
        int p = cfg.pageSize();
        int want = Math.min(lcp / p, (r.inputIds().length - 1) / p) * p;
        assertEquals(want, got.cachedTokens(), cfg + " " + r.id() + " (prompt " + r.inputIds().length + ", shared " + lcp + ")");
        assertEquals(0, w.cachedTokens());
      }
    }
  }

  @Test
  void preemptionAndCancellationKeepIdsAndPages() {
    // 32 pages of 4 tokens: the mixed batch does not fit at once, so sequences are preempted and
    // re-admitted through the cache; three requests are cancelled after the first step.
    EngineConfig small = EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(64).withPools(32, 64);
    EngineConfig smallSliding = EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(8).withPools(1000, 7);
    List<String> cancel = List.of("r1", "r4", "r8");
    for (EngineConfig cfg : List.of(small, smallSliding)) {
      Run off = run(cfg.withPrefixCaching(false), List.of(), mixed(), List.of());
      Run on = run(cfg, List.of(), mixed(), List.of());
      assertTrue(on.stats().preemptions() > 0, "the pools were meant to run out: " + on.stats());
      assertSameIds(off, on, "preempted " + cfg);
      Run cancelled = run(cfg, List.of(), mixed(), cancel);
      for (GenerationResult r : cancelled.results()) {
        if (cancel.contains(r.id())) {
          assertEquals(FinishReason.CANCELLED, r.finishReason(), r.id());
        } else {
          int i = Integer.parseInt(r.id().substring(1));
          assertArrayEquals(off.results().get(i).outputIds(), r.outputIds(), "cancelled run " + cfg + " " + r.id());
        }
      }
    }
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
