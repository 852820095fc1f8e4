package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Every tiny-a golden case through one engine at once, under several step budgets and arrival
 * patterns: each case gets exactly the ids it gets alone, and transformers' greedy ids up to the
 * margin rule of golden/README.md.
 */
class EngineGoldenTest {
  static final int NEW_TOKENS = 24;

  /** Runs every case through one engine; case i arrives after step {@code arrivalStep[i]} (-1: at start). */
  static Map<String, GenerationResult> runAll(EngineConfig cfg, int[] arrivalStep) {
    List<TinyA.Case> cases = TinyA.cases();
    Map<String, GenerationResult> out = new ConcurrentHashMap<>();
    List<RequestHandle> handles = new ArrayList<>();
    Engine[] engine = new Engine[1];
    long[] step = {0};
    try (CpuBackend b = TinyA.backend();
        Engine e = engine[0] = Engine.start(b, cfg, stats -> {
          step[0]++;
          for (int i = 0; i < cases.size(); i++) {
            if (arrivalStep[i] == step[0]) {
              RequestHandle h = engine[0].submit(request(cases.get(i)));
              synchronized (handles) {
                handles.add(h);
              }
            }
          }
        })) {
      List<GenerationRequest> first = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) if (arrivalStep[i] < 0) first.add(request(cases.get(i)));
      List<RequestHandle> firstHandles = e.submitAll(first);
      for (RequestHandle h : firstHandles) put(out, h);
      // Late arrivals are submitted by the loop thread after their step; every arrival step must
      // come before the engine runs dry (the first request alone takes NEW_TOKENS steps).
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (true) {
        EngineStats st = e.stats(); // before reading the handles: the observer of a step runs before its stats publish
        int n;
        synchronized (handles) {
          n = handles.size();
        }
        if (n + firstHandles.size() == cases.size()) break;
        if (st.running() + st.waiting() == 0 && st.requestsDone() == n + firstHandles.size()) {
          StringBuilder sb = new StringBuilder();
          for (RequestHandle h : firstHandles) sb.append(h.result().join()).append('\n');
          throw new AssertionError("the engine ran dry before every late arrival came: " + st + "\n" + sb);
        }
        if (System.nanoTime() > deadline) throw new AssertionError("late arrivals never submitted: " + st);
        try {
          Thread.sleep(1);
        } catch (InterruptedException ie) {
          throw new AssertionError(ie);
        }
      }
      List<RequestHandle> late;
      synchronized (handles) {
        late = List.copyOf(handles);
      }
      for (RequestHandle h : late) put(out, h);
      EngineStats s = e.stats();
      assertTrue(s.poolsFree(), "pages still held after every request finished: " + s);
      assertEquals(cases.size(), s.requestsDone());
    }
    return out;
  }

  private static void put(Map<String, GenerationResult> out, RequestHandle h) {
    GenerationResult r = h.result().join();
    out.put(r.id(), r);
  }

  static GenerationRequest request(TinyA.Case c) {
    return GenerationRequest.greedy(c.name(), c.inputIds(), NEW_TOKENS, List.of());
  }

  static void assertMatchesAloneAndGolden(Map<String, GenerationResult> results, String label) {
    for (TinyA.Case c : TinyA.cases()) {
      GenerationResult r = results.get(c.name());
      assertEquals(FinishReason.LENGTH, r.finishReason(), label + " " + c.name() + ": " + r.error());
      assertEquals(c.inputIds().length, r.promptTokens());
      assertEquals(NEW_TOKENS, r.completionTokens());
      int[] alone = TinyA.aloneGreedy(c, NEW_TOKENS);
      assertArrayEquals(alone, r.outputIds(), label + " " + c.name() + ": batched ids differ from the same case alone");
      int k = c.binding();
      assertTrue(k >= 10, c.name() + ": golden margins bind only " + k + " tokens");
      assertArrayEquals(Arrays.copyOf(c.greedyIds(), k), Arrays.copyOf(r.outputIds(), k),
          label + " " + c.name() + ": greedy ids differ from transformers within the first " + k);
    }
  }

  @Test
  void allCasesAtOnceUnderSeveralBudgets() {
    int[] atStart = {-1, -1, -1, -1, -1};
    for (EngineConfig cfg : List.of(
        EngineConfig.defaults(),
        EngineConfig.defaults().withMaxTokensPerStep(32).withMaxSeqsPerStep(3),
        EngineConfig.defaults().withMaxTokensPerStep(8).withMaxSeqsPerStep(2),
        EngineConfig.defaults().withPageSize(4).withMaxTokensPerStep(7).withPrefillChunkSize(5))) {
      assertMatchesAloneAndGolden(runAll(cfg, atStart), cfg.toString());
    }
  }

  @Test
  void staggeredArrivals() {
    // Longest first, the others join while it prefills or decodes.
    int[] staggered = {9, 3, 20, 1, -1};
    for (EngineConfig cfg : List.of(
        EngineConfig.defaults(),
        EngineConfig.defaults().withMaxTokensPerStep(8),
        EngineConfig.defaults().withPageSize(8).withMaxTokensPerStep(32).withMaxSeqsPerStep(2))) {
      assertMatchesAloneAndGolden(runAll(cfg, staggered), "staggered " + cfg);
    }
  }
}
