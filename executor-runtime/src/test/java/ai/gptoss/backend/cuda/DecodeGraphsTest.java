package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The graph cache's policy on the CPU, with a fake launcher standing in for CUDA: which steps are
 * graphed, what a key distinguishes, when a key is captured, LRU eviction, invalidation, capture
 * failure and that every graph made is destroyed exactly once.
 */
class DecodeGraphsTest {
  /** Graphs are numbered; "enqueue" runs are counted; a capture records without running. */
  static final class FakeLauncher implements DecodeGraphs.Launcher<Integer> {
    final Set<Integer> live = new HashSet<>();
    final List<Integer> launched = new ArrayList<>();
    final List<Integer> destroyed = new ArrayList<>();
    int made, captureCalls;
    boolean fail;

    @Override
    public Integer capture(Runnable enqueue) throws DecodeGraphs.CaptureFailed {
      captureCalls++;
      if (fail) throw new DecodeGraphs.CaptureFailed("operation not permitted when stream is capturing", null);
      live.add(++made);
      return made;
    }

    @Override
    public void launch(Integer g) {
      assertTrue(live.contains(g), "launch of a destroyed graph " + g);
      launched.add(g);
    }

    @Override
    public void destroy(Integer g) {
      assertTrue(live.remove(g), "graph " + g + " destroyed twice or never made");
      destroyed.add(g);
    }
  }

  static StepMetadata decode(int seqs, int position, boolean pad) {
    return DecodeStream.metadata(seqs, position, pad);
  }

  static StepMetadata prefill() {
    return new StepMetadata(new StepBatch(new int[] {1, 2, 3}, new int[] {0, 1, 2}, new int[] {0, 3}, new int[][] {{0}},
        new int[][] {{0}}, new int[] {2}, new SamplingParams[] {SamplingParams.greedy()}, false), 1000, 4, 8, 8, true);
  }

  static DecodeGraphs.Key key(int seqs, int position) {
    return DecodeGraphs.Key.of(decode(seqs, position, true), true, 0);
  }

  @Test
  void onlySmallDecodeOnlyStepsHaveKeys() {
    assertNull(DecodeGraphs.Key.of(prefill(), true, 0));
    assertNull(DecodeGraphs.Key.of(decode(DecodeGraphs.MAX_GRAPH_TOKENS + 1, 5, true), true, 0));
    assertTrue(DecodeGraphs.Key.of(decode(DecodeGraphs.MAX_GRAPH_TOKENS, 5, true), true, 0) != null);
    assertTrue(DecodeGraphs.Key.of(decode(1, 5, true), true, 0) != null);
  }

  @Test
  void keysSeparateLayoutModeAndBuffersButNotData() {
    // same layout, different positions inside the same page-table bucket: one key
    assertEquals(key(3, 100), key(3, 120));
    assertEquals(key(3, 100).hashCode(), key(3, 120).hashCode());
    assertNotEquals(key(3, 100), key(4, 100)); // batch size
    assertNotEquals(key(3, 100), key(3, 1000)); // page-table width 7 -> 8 vs 63 -> 64
    StepMetadata md = decode(3, 100, true);
    assertNotEquals(DecodeGraphs.Key.of(md, true, 0), DecodeGraphs.Key.of(md, false, 0)); // precise vs fast
    assertNotEquals(DecodeGraphs.Key.of(md, true, 0), DecodeGraphs.Key.of(md, true, 1)); // reallocated buffers
  }

  @Test
  void pageTablesPadToPowersOfTwoOnlyWhenAsked() {
    // positions 0..15 -> 1 page, 16..31 -> 2, 32..47 -> 3 (padded to 4), 64..79 -> 5 (padded to 8)
    int[][] cases = {{0, 1}, {16, 2}, {32, 4}, {48, 4}, {64, 8}, {127, 8}, {128, 16}, {1023, 64}, {1024, 128}};
    for (int[] c : cases) {
      StepMetadata padded = decode(2, c[0], true);
      assertEquals(c[1], padded.maxPages, "position " + c[0]);
      assertEquals(c[0] / 16 + 1, decode(2, c[0], false).maxPages, "position " + c[0] + " unpadded");
      // mapped entries copied, the rest -1
      int[] row1 = Arrays.copyOfRange(padded.data, padded.offFullTable + padded.maxPages, padded.offFullTable + 2 * padded.maxPages);
      for (int j = 0; j < row1.length; j++) assertEquals(j <= c[0] / 16 ? 100 + j : -1, row1[j]);
    }
    // a step within one bucket keeps its layout as the context grows
    assertEquals(Arrays.toString(decode(2, 1100, true).layout()), Arrays.toString(decode(2, 2040, true).layout()));
  }

  @Test
  void capturesOnTheSecondSightingThenReplays() {
    FakeLauncher f = new FakeLauncher();
    DecodeGraphs<Integer> g = new DecodeGraphs<>(f, true, s -> {});
    int[] eager = new int[1];
    Runnable enqueue = () -> eager[0]++;
    g.run(key(2, 40), enqueue); // first sighting: eager
    assertEquals(1, eager[0]);
    assertEquals(0, f.captureCalls);
    g.run(key(2, 41), enqueue); // second: captured and launched (capture itself runs nothing)
    assertEquals(1, eager[0]);
    assertEquals(List.of(1), f.launched);
    for (int i = 0; i < 5; i++) g.run(key(2, 42 + i), enqueue);
    assertEquals(1, eager[0]);
    assertEquals(1, f.made);
    assertEquals(6, f.launched.size());
    assertEquals(new DecodeGraphs.Stats(5, 1, 0, 1, 1), g.stats());
    g.run(null, enqueue); // a prefill step
    assertEquals(2, eager[0]);
    g.close();
    assertTrue(f.live.isEmpty());
  }

  @Test
  void offRunsEverythingEagerly() {
    FakeLauncher f = new FakeLauncher();
    DecodeGraphs<Integer> g = new DecodeGraphs<>(f, false, s -> {});
    int[] eager = new int[1];
    for (int i = 0; i < 4; i++) g.run(key(1, 10), () -> eager[0]++);
    assertEquals(4, eager[0]);
    assertEquals(0, f.captureCalls);
    g.enabled(true);
    g.captureAfter(1);
    g.run(key(1, 10), () -> eager[0]++);
    assertEquals(4, eager[0]);
    assertEquals(1, f.launched.size());
    g.enabled(false); // the cached graph stays but is not used
    g.run(key(1, 10), () -> eager[0]++);
    assertEquals(5, eager[0]);
    assertEquals(1, g.stats().cached());
    g.close();
    assertTrue(f.live.isEmpty());
  }

  @Test
  void leastRecentlyUsedGraphIsDestroyedBeyondTheCap() {
    FakeLauncher f = new FakeLauncher();
    DecodeGraphs<Integer> g = new DecodeGraphs<>(f, true, s -> {});
    g.captureAfter(1);
    Runnable none = () -> {
      throw new AssertionError("eager run of a graphed key");
    };
    for (int t = 1; t <= DecodeGraphs.MAX_GRAPHS; t++) g.run(key(t, 50), none);
    assertEquals(DecodeGraphs.MAX_GRAPHS, f.live.size());
    g.run(key(1, 50), none); // touch the oldest: graph 1 becomes the most recent
    g.run(key(DecodeGraphs.MAX_GRAPHS + 1, 50), none);
    assertEquals(List.of(2), f.destroyed); // batch size 2 was the least recently used
    assertEquals(DecodeGraphs.MAX_GRAPHS, f.live.size());
    g.run(key(1, 50), none); // still cached: a replay, no capture
    assertEquals(DecodeGraphs.MAX_GRAPHS + 1, f.made);
    g.close();
    assertTrue(f.live.isEmpty());
    assertEquals(f.made, f.destroyed.size());
  }

  @Test
  void invalidateDestroysEveryGraphAndForgetsSightings() {
    FakeLauncher f = new FakeLauncher();
    DecodeGraphs<Integer> g = new DecodeGraphs<>(f, true, s -> {});
    int[] eager = new int[1];
    g.run(key(1, 10), () -> eager[0]++);
    g.run(key(1, 10), () -> eager[0]++);
    g.run(key(2, 10), () -> eager[0]++);
    g.run(key(2, 10), () -> eager[0]++);
    assertEquals(2, f.live.size());
    g.invalidate();
    assertTrue(f.live.isEmpty());
    assertEquals(0, g.stats().cached());
    g.run(key(1, 10), () -> eager[0]++); // a first sighting again
    assertEquals(3, eager[0]);
    assertEquals(2, f.made);
  }

  @Test
  void captureFailureFallsBackEagerlyForThatKeyAndWarnsOnce() {
    FakeLauncher f = new FakeLauncher();
    List<String> warnings = new ArrayList<>();
    DecodeGraphs<Integer> g = new DecodeGraphs<>(f, true, warnings::add);
    g.captureAfter(1);
    f.fail = true;
    int[] eager = new int[1];
    g.run(key(3, 10), () -> eager[0]++);
    assertEquals(1, eager[0]); // the step still ran, eagerly
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("operation not permitted"), warnings.get(0));
    g.run(key(3, 10), () -> eager[0]++);
    assertEquals(2, eager[0]);
    assertEquals(1, f.captureCalls); // a failed key is not captured again
    g.run(key(4, 10), () -> eager[0]++); // another key fails too: no second warning
    assertEquals(1, warnings.size());
    assertEquals(2, g.stats().failures());
    f.fail = false;
    g.invalidate(); // failures survive reallocation
    g.run(key(3, 10), () -> eager[0]++);
    assertEquals(2, f.captureCalls);
    g.run(key(5, 10), () -> eager[0]++); // other keys still graph
    assertEquals(1, f.made);
    assertEquals(4, eager[0]);
    g.close();
    assertTrue(f.live.isEmpty());
  }

  @Test
  void environmentSwitches() {
    assertTrue(DecodeGraphs.enabledByEnvironment(null, null));
    assertTrue(DecodeGraphs.enabledByEnvironment("1", null));
    assertFalse(DecodeGraphs.enabledByEnvironment("0", null));
    assertFalse(DecodeGraphs.enabledByEnvironment(" 0", null));
    assertFalse(DecodeGraphs.enabledByEnvironment(null, "1")); // the profiler records events per kernel family
    assertThrows(IllegalArgumentException.class, () -> new DecodeGraphs<>(new FakeLauncher(), true, s -> {}).captureAfter(0));
  }
}
