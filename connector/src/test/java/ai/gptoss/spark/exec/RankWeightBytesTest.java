package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankShard;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.DType;
import ai.gptoss.spark.TestData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A rank's weight bytes from the tensor headers equal what {@link RankShard} loads for a CUDA rank (counted as it
 * holds them: dense tensors as float32, MXFP4 as bytes), for every rank of tiny-a's plans; the memory plan's figure
 * is the largest rank's in the file's own types.
 */
class RankWeightBytesTest {
  static final Path TINY_A = TestData.resource("tiny-a");

  @Test
  void eachRanksShareIsWhatRankShardHolds() {
    try (Checkpoint ckpt = Checkpoint.open(TINY_A)) {
      for (ParallelPlan plan : new ParallelPlan[] {new ParallelPlan(2, false), new ParallelPlan(2, true),
          new ParallelPlan(4, true), ParallelPlan.SINGLE}) {
        for (int r = 0; r < plan.ranks(); r++) {
          long held = RankShard.load(ckpt, plan, r, RankShard.Replication.CUDA).bytes();
          long estimated = RankWeightBytes.rank(ckpt, plan, r, t -> t.numel() * (t.dtype() == DType.U8 ? 1 : 4));
          assertEquals(held, estimated, plan.label() + " rank " + r);
        }
      }
    }
  }

  @Test
  void theLargestRankHoldsLessThanTheModelAndTheWholeWithOneRank() {
    long whole = ModelFiles.weightBytes(TINY_A);
    long tp2 = RankWeightBytes.largestRank(TINY_A, new ParallelPlan(2, false));
    long ep4 = RankWeightBytes.largestRank(TINY_A, new ParallelPlan(4, true));
    long one = RankWeightBytes.largestRank(TINY_A, ParallelPlan.SINGLE);
    assertTrue(ep4 < tp2 && tp2 < one && one <= whole, ep4 + " < " + tp2 + " < " + one + " <= " + whole);
    var e = assertThrows(IllegalArgumentException.class, () -> RankWeightBytes.largestRank(TINY_A, new ParallelPlan(4, false)));
    assertTrue(e.getMessage().contains("tensor_parallel_size=4") && e.getMessage().contains("intermediate_size"), e.getMessage());
  }
}
