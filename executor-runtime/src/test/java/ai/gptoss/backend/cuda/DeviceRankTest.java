package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import org.junit.jupiter.api.Test;

/**
 * Which CUDA ranks run the vocab-parallel embedding and LM head (an all-reduce of the embedding and of the logits): every
 * rank of a plan over several ranks, whose vocabulary rows tile [0, V) without overlap; not a rank holding all V rows
 * (one rank over NCCL, which must compute as one GPU does). A rank of no rows is refused.
 */
class DeviceRankTest {
  static final int V = 201_088;

  @Test
  void theRanksOfAPlanSplitTheVocabularyAndOneRankDoesNot() {
    for (int n : new int[] {2, 3, 4, 8}) {
      ParallelPlan plan = new ParallelPlan(n, false);
      try (HostStagedCollectives coll = new HostStagedCollectives(n)) {
        int next = 0;
        for (int r = 0; r < n; r++) {
          Range vocab = plan.split(V, r);
          DeviceRank rank = new DeviceRank(r, 0, 1, vocab, coll);
          assertTrue(rank.splitsVocab(V), n + " ranks, rank " + r);
          assertEquals(next, vocab.from(), n + " ranks, rank " + r);
          next = vocab.to();
        }
        assertEquals(V, next);
      }
    }
    try (HostStagedCollectives one = new HostStagedCollectives(1)) {
      assertFalse(new DeviceRank(0, 0, 1, ParallelPlan.SINGLE.split(V, 0), one).splitsVocab(V));
    }
  }

  @Test
  void aRankOfNoVocabularyRowsIsRefused() {
    try (HostStagedCollectives coll = new HostStagedCollectives(2)) {
      String e = assertThrows(IllegalArgumentException.class, () -> new DeviceRank(1, 0, 1, new Range(5, 5), coll)).getMessage();
      assertTrue(e.contains("vocabulary rows [5, 5)"), e);
      assertThrows(IllegalArgumentException.class, () -> new DeviceRank(1, 0, 1, new Range(-1, 5), coll));
    }
  }
}
