package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The attention launch depends on the step's shape only, and its split-K partials fit the workspace. */
class AttentionPlanTest {
  @Test
  void batchDecodeNeedsNoSplitAndSingleStreamFillsTheGpu() {
    AttentionPlan batch = AttentionPlan.of(true, false, 1024, 8, 64, 8, 96, 0);
    assertEquals("attention_mma", batch.kernel());
    assertEquals(1, batch.splits());
    assertEquals(256, batch.gridX());
    assertEquals(128, batch.block());
    AttentionPlan single = AttentionPlan.of(true, false, 1, 8, 64, 8, 128, 0);
    assertTrue(single.splits() * 8 >= 132, "single stream at context 2,048: " + single.splits() + " splits");
    assertEquals(32, single.block());
    AttentionPlan sliding = AttentionPlan.of(true, false, 1, 8, 64, 8, 128, 128);
    assertTrue(sliding.splits() <= 10, "a 128-token window spans at most 10 pages: " + sliding.splits());
    AttentionPlan prefill = AttentionPlan.of(true, true, 3, 8, 64, 8, 128, 0);
    assertEquals(4, prefill.warpsPerItem()); // 8 tokens x 8 heads = 64 rows = 4 warps of 16
  }

  @Test
  void partialsFitTheWorkspaceForEveryShape() {
    int[][] shapes = {{64, 8}, {8, 1}, {4, 2}, {16, 16}, {48, 3}};
    for (int[] hs : shapes) {
      int group = hs[0] / hs[1];
      int tile = Math.max(1, 64 / group);
      for (boolean prefill : new boolean[] {false, true})
        for (int items = 1; items <= 300; items++)
          for (int maxPages : new int[] {1, 2, 7, 128, 4096})
            for (int window : new int[] {0, 128}) {
              AttentionPlan p = AttentionPlan.of(true, prefill, items, tile, hs[0], hs[1], maxPages, window);
              long rows = (long) p.splits() * p.tasks(items) * hs[1] * 16;
              if (p.splits() > 1) assertTrue(rows * 66 <= AttentionPlan.partialFloats(64), "partials overflow: " + p);
              assertTrue(p.splits() >= 1 && p.splits() <= Math.max(1, maxPages), p.toString());
            }
    }
  }

  @Test
  void tensorCoresOnlyForBf16Kv16TokenPagesAndHeadDims16To64() {
    assertTrue(AttentionPlan.tensorCores(KvFormat.BF16, 64, 16));
    assertTrue(AttentionPlan.tensorCores(KvFormat.BF16, 16, 16));
    assertFalse(AttentionPlan.tensorCores(KvFormat.F32, 64, 16));
    assertTrue(AttentionPlan.tensorCores(KvFormat.FP8, 64, 16));
    assertFalse(AttentionPlan.tensorCores(KvFormat.FP8, 64, 32));
    assertFalse(AttentionPlan.tensorCores(KvFormat.BF16, 48, 16));
    assertFalse(AttentionPlan.tensorCores(KvFormat.BF16, 64, 32));
    assertEquals("attention_prefill", AttentionPlan.of(false, true, 5, 8, 64, 8, 10, 0).kernel());
  }
}
