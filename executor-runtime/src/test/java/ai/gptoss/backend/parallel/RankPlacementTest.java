package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Where the ranks of an engine spanning several GPUs run, from the device setting, and the K/V budget that follows. */
class RankPlacementTest {
  static final ParallelPlan TP2 = new ParallelPlan(2, false), TP4 = new ParallelPlan(4, false);

  @Test
  void theFirstGpuPlacesTheRanksOnConsecutiveGpus() {
    assertEquals(List.of(0, 1), RankPlacement.of("cuda", TP2, 2).devices());
    assertEquals(List.of(0, 1, 2, 3), RankPlacement.of("cuda:0", TP4, 8).devices());
    assertEquals(List.of(4, 5, 6, 7), RankPlacement.of("CUDA:4", TP4, 8).devices());
    assertFalse(RankPlacement.of("cuda:4", TP4, 8).sharesDevice());
  }

  @Test
  void aListPlacesEachRankAndMayRepeatAGpuForChecking() {
    RankPlacement one = RankPlacement.of("cuda:0,0,0,0", TP4, 1);
    assertEquals(List.of(0, 0, 0, 0), one.devices());
    assertTrue(one.sharesDevice());
    RankPlacement two = RankPlacement.of("cuda:1, 0", TP2, 2);
    assertEquals(List.of(1, 0), two.devices());
    assertEquals(1, two.device(0));
    assertFalse(two.sharesDevice());
  }

  @Test
  void moreRanksThanGpusNamesTheSettingAndTheDeviceCount() {
    String msg = assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cuda:0", TP4, 1)).getMessage();
    assertTrue(msg.contains("tensor_parallel_size=4 on device cuda:0") && msg.contains("this machine has 1 CUDA device ")
        && msg.contains("[0, 1, 2, 3]") && msg.contains("cuda:0,0,0,0"), msg);
    String offset = assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cuda:1", TP2, 2)).getMessage();
    assertTrue(offset.contains("[1, 2]") && offset.contains("2 CUDA devices"), offset);
    String listed = assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cuda:0,0", TP4, 1)).getMessage();
    assertTrue(listed.contains("2 GPUs listed for 4 ranks"), listed);
    String bad = assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cuda:0,x", TP2, 2)).getMessage();
    assertTrue(bad.contains("--device cuda:0,x") && bad.contains("GPU number"), bad);
    String negative = assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cuda:0,-1", TP2, 2)).getMessage();
    assertTrue(negative.contains("--device cuda:0,-1") && negative.contains("GPU number"), negative);
    assertEquals(java.util.List.of(0, 3), RankPlacement.listedGpus("cuda:0, 3"));
    for (String notAList : new String[] {"cuda", "cuda:", "cuda:0,", "cuda:-1", "cpu", "cuda:x"}) {
      assertEquals(java.util.List.of(), RankPlacement.listedGpus(notAList), notAList);
    }
    assertThrows(IllegalArgumentException.class, () -> RankPlacement.of("cpu", TP2, 2));
    String nccl = assertThrows(IllegalArgumentException.class, () -> RankPlacement.requireDistinct(new int[] {0, 1, 0},
        "NCCL")).getMessage();
    assertTrue(nccl.contains("NCCL") && nccl.contains("GPU 0 is listed twice"), nccl);
  }

  @Test
  void theKvBudgetIsWhatTheTightestGpuHoldsForAllItsRanks() {
    // two GPUs, one rank each, 100 bytes per token each: the smaller GPU's 1,000 bytes hold 10 tokens on each rank
    assertEquals(2_000, RankPlacement.of("cuda:0", TP2, 2).kvBudget(new long[] {5_000, 1_000}, new long[] {6_000, 2_000},
        new long[] {100, 100}));
    // four ranks on one GPU of 10,000 free bytes, each needing 1,000 besides K/V (budget 9,000): 6,000 left for K/V,
    // 15 tokens of 400 bytes
    assertEquals(6_000, RankPlacement.of("cuda:0,0,0,0", TP4, 1).kvBudget(new long[] {9_000, 9_000, 9_000, 9_000},
        new long[] {10_000, 10_000, 10_000, 10_000}, new long[] {100, 100, 100, 100}));
    // ranks 0, 1 on GPU 0 (5,000 free, needs 1,000 and 1,000: 3,000 for 300 bytes a token) and 2, 3 on GPU 1
    // (9,000 free, needs 500 each: 8,000 for 200): 10 tokens of 500 bytes
    assertEquals(5_000, RankPlacement.of("cuda:0,0,1,1", TP4, 2).kvBudget(new long[] {4_000, 4_000, 8_500, 8_500},
        new long[] {5_000, 5_000, 9_000, 9_000}, new long[] {200, 100, 100, 100}));
    // more needs than free memory: no K/V at all, never a negative budget
    assertEquals(0, RankPlacement.of("cuda:0,0", TP2, 1).kvBudget(new long[] {100, 100}, new long[] {1_000, 1_000},
        new long[] {10, 10}));
  }
}
