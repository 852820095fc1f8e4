package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import org.junit.jupiter.api.Test;

/**
 * Each rank holds only its part: apart from the replicated RMSNorms and router, and the row-parallel biases rank 0
 * adds, a rank of N holds 1/N of the model's bytes, and the ranks together hold the model once.
 */
class RankShardTest {
  static long bytes(float[]... arrays) {
    long b = 0;
    for (float[] a : arrays) b += 4L * a.length;
    return b;
  }

  static long wholeBytes(ModelWeights w) {
    long b = bytes(w.embedTokens, w.norm, w.lmHead) + w.expertBytes();
    for (ModelWeights.Layer l : w.layers) {
      b += bytes(l.inputLayernorm(), l.postAttentionLayernorm(), l.qProj(), l.qBias(), l.kProj(), l.kBias(), l.vProj(),
          l.vBias(), l.oProj(), l.oBias(), l.sinks(), l.routerWeight(), l.routerBias(), l.gateUpBias(), l.downBias());
    }
    return b;
  }

  /** What every rank holds in full. */
  static long replicatedBytes(ModelWeights w) {
    long b = bytes(w.norm);
    for (ModelWeights.Layer l : w.layers) {
      b += bytes(l.inputLayernorm(), l.postAttentionLayernorm(), l.routerWeight(), l.routerBias());
    }
    return b;
  }

  /** What rank 0 alone holds: the biases of row-parallel products, added once. */
  static long rankZeroBytes(ModelWeights w, ParallelPlan plan) {
    long b = 0;
    for (ModelWeights.Layer l : w.layers) b += bytes(l.oBias()) + (plan.expertParallel() ? 0 : bytes(l.downBias()));
    return b;
  }

  @Test
  void eachRankHoldsItsShareOfTheShardedTensors() {
    for (ParallelPlan plan : new ParallelPlan[] {new ParallelPlan(2, false), new ParallelPlan(2, true),
        new ParallelPlan(4, true)}) {
      try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
        ModelWeights w = ModelWeights.load(ckpt);
        ModelConfig c = w.config;
        long replicated = replicatedBytes(w), rankZero = rankZeroBytes(w, plan);
        long sharded = wholeBytes(w) - replicated - rankZero;
        // 4 ranks over 2 K/V heads: each K/V head (k_proj, v_proj rows and biases) is held by 2 ranks.
        long kv = 0;
        for (ModelWeights.Layer l : w.layers) kv += bytes(l.kProj(), l.kBias(), l.vProj(), l.vBias());
        long kvExtra = plan.ranks() > c.numKeyValueHeads() ? kv * (plan.ranks() / c.numKeyValueHeads() - 1) : 0;
        long sum = 0;
        for (int r = 0; r < plan.ranks(); r++) {
          long own = RankShard.load(ckpt, plan, r).bytes() - replicated - (r == 0 ? rankZero : 0);
          assertEquals((sharded + kvExtra) / plan.ranks(), own, plan.label() + " rank " + r + " of " + sharded + " bytes");
          sum += own;
        }
        assertEquals(sharded + kvExtra, sum, plan.label());
      }
    }
  }
}
