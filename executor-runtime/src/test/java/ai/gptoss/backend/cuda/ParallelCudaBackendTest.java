package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.model.Checkpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link ParallelCudaBackend#load} refuses before it touches a GPU (so these run without one). */
class ParallelCudaBackendTest {
  @Test
  void aPlanThatDoesNotSplitTheModelOrDoesNotMatchThePlacementFailsBeforeAnyGpu() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      String blocks = assertThrows(IllegalArgumentException.class, () -> ParallelCudaBackend.load(ckpt,
          new ParallelPlan(4, false), new RankPlacement(List.of(0, 0, 0, 0)), Precision.EXACT, KvCacheDtype.AUTO)).getMessage();
      assertTrue(blocks.contains("tensor_parallel_size=4") && blocks.contains("intermediate_size=64"), blocks);
      String placed = assertThrows(IllegalArgumentException.class, () -> ParallelCudaBackend.load(ckpt,
          new ParallelPlan(2, true), new RankPlacement(List.of(0, 1, 2, 3)), Precision.EXACT, KvCacheDtype.AUTO)).getMessage();
      assertTrue(placed.contains("4 GPUs placed for 2 ranks"), placed);
    }
  }
}
