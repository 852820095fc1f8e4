package ai.gptoss.backend.parallel;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.backend.cpu.CpuAttention;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.backend.cpu.CpuKvCache;
import ai.gptoss.backend.cpu.CpuMoe;
import ai.gptoss.backend.cpu.Matmul;
import ai.gptoss.backend.cpu.RmsNorm;
import ai.gptoss.model.ModelConfig;

/**
 * One rank's forward pass over a step, with the pure-Java backend's kernels on the rank's {@link RankShard} and its
 * own K/V cache (its K/V heads only). The residual stream is replicated: every rank holds all of it after each
 * collective. Per layer: RMSNorm; the rank's q/k/v; YaRN; attention over its heads; its columns of o_proj, then
 * all-reduce; residual; RMSNorm; the router (replicated); the experts ({@link #experts}); residual.
 */
final class RankForward {
  private final ModelConfig c;
  private final ParallelPlan plan;
  private final RankShard s;
  private final YarnRope rope;
  private final int[] layerOfType;
  private final int heads;
  private final int kvHeads;
  /** Sees the residual stream after the embedding and each layer (rank 0's, from the backend); null: none. */
  volatile CpuBackend.ResidualProbe probe;
  private CpuKvCache fullCache;
  private CpuKvCache slidingCache;

  RankForward(ModelConfig c, ParallelPlan plan, RankShard shard, YarnRope rope, int[] layerOfType) {
    this.c = c;
    this.plan = plan;
    this.s = shard;
    this.rope = rope;
    this.layerOfType = layerOfType;
    this.heads = shard.heads.size();
    this.kvHeads = shard.kvHeads.size();
  }

  int kvDim() {
    return kvHeads * c.headDim();
  }

  void allocateKvCache(KvCacheSpec spec, KvCacheDtype dtype) {
    fullCache = CpuKvCache.of(spec, c.numFullLayers(), false, kvDim(), dtype);
    slidingCache = CpuKvCache.of(spec, c.numSlidingLayers(), true, kvDim(), dtype);
  }

  void release() {
    fullCache = null;
    slidingCache = null;
  }

  /** Runs the step on this rank; returns the logits of the batch's output rows ([rows][vocab]) on rank 0, null on the others. */
  float[][] step(StepBatch batch, Collectives coll) {
    int tokens = batch.numTokens(), hid = c.hiddenSize(), hd = c.headDim();
    int qDim = heads * hd;
    float eps = (float) c.rmsNormEps();
    float[] x = embed(batch, coll);
    CpuBackend.ResidualProbe probe = this.probe;
    if (probe != null) probe.residual(0, x);
    float[] h = new float[tokens * hid];
    float[] attn = new float[tokens * qDim];
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      RankShard.Layer lw = s.layers.get(l);
      boolean sliding = c.isSliding(l);
      RmsNorm.apply(x, tokens, hid, lw.inputLayernorm(), eps, h);
      CpuAttention.forward(batch, h, hid, lw.attention(), heads, kvHeads, hd, rope, sliding ? slidingCache : fullCache,
          layerOfType[l], sliding, c.slidingWindow(), attn);
      float[] o = new float[tokens * hid];
      Matmul.linear(attn, tokens, qDim, lw.oProj(), lw.oBias(), hid, o);
      coll.allReduceSum(s.rank, o);
      for (int i = 0; i < x.length; i++) x[i] += o[i];
      RmsNorm.apply(x, tokens, hid, lw.postAttentionLayernorm(), eps, h);
      experts(lw, h, tokens, x, coll);
      if (probe != null) probe.residual(l + 1, x);
    }
    return unembed(batch, x, coll);
  }

  /** Vocab-parallel lookup: each rank copies the rows it holds, zeros elsewhere, and an all-reduce fills them in. */
  private float[] embed(StepBatch batch, Collectives coll) {
    int hid = c.hiddenSize();
    float[] x = new float[batch.numTokens() * hid];
    for (int t = 0; t < batch.numTokens(); t++) {
      int id = batch.tokens()[t];
      if (id >= s.vocab.from() && id < s.vocab.to()) System.arraycopy(s.embed, (id - s.vocab.from()) * hid, x, t * hid, hid);
    }
    coll.allReduceSum(s.rank, x);
    return x;
  }

  /**
   * The expert block. Tensor parallel: this rank's share of every chosen expert, weighted and summed, then one
   * all-reduce. Expert parallel: {@link ExpertDispatch}.
   */
  private void experts(RankShard.Layer lw, float[] h, int tokens, float[] x, Collectives coll) {
    CpuMoe.Route[] routes = CpuMoe.route(c, lw.routerWeight(), lw.routerBias(), h, tokens);
    float limit = (float) c.swigluLimit();
    if (plan.expertParallel()) {
      new ExpertDispatch(c, plan, s.rank, coll).run(lw.experts(), routes, h, tokens, limit, x);
      return;
    }
    float[] y = new float[x.length];
    CpuMoe.accumulate(lw.experts(), routes, h, tokens, limit, y);
    coll.allReduceSum(s.rank, y);
    for (int i = 0; i < x.length; i++) x[i] += y[i];
  }

  /** Final RMSNorm at the output rows, this rank's vocabulary columns of the logits, gathered into whole rows on rank 0. */
  private float[][] unembed(StepBatch batch, float[] x, Collectives coll) {
    int hid = c.hiddenSize(), part = s.vocab.size();
    int[] rows = batch.outputRows();
    int n = rows.length;
    float[] normed = RmsNorm.applyToRows(x, rows, hid, s.norm, (float) c.rmsNormEps());
    float[] logits = new float[n * part];
    Matmul.linear(normed, n, hid, s.lmHead, null, part, logits);
    float[][] parts = coll.allGather(s.rank, logits);
    if (s.rank != 0) return null; // rank 0 samples
    float[][] perRow = new float[n][c.vocabSize()];
    for (int src = 0; src < parts.length; src++) {
      ParallelPlan.Range v = plan.vocab(c, src);
      for (int r = 0; r < n; r++) System.arraycopy(parts[src], r * v.size(), perRow[r], v.from(), v.size());
    }
    return perRow;
  }
}
